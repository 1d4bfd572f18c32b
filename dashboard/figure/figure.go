// Package figure draws a story's series as a figure for papers (SVG or PNG,
// with gonum/plot): support, criticism and neutral per bucket, stacked or as
// lines, the published moment and annotations as markers, periods not
// crawled shaded, the display timezone in the axis label and a caption with
// the classifier version and n.
package figure

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// Marker is a labelled moment on the chart.
type Marker struct {
	At    time.Time
	Label string
}

// Options describe one figure.
type Options struct {
	// Title is the story title (default: the story id).
	Title string
	// Stacked stacks the stances; otherwise one line each.
	Stacked bool
	// Markers are the published moment and the annotations.
	Markers []Marker
	// Gaps are periods when a source was not crawled (shaded).
	Gaps []series.Gap
	// Classifiers are the classifier versions of the counted reactions.
	Classifiers []string
	// Width and Height are the figure size (default 16 cm × 9 cm).
	Width, Height vg.Length
}

// Stance colours, the dashboard's (colour-blind safe, Okabe–Ito).
var (
	SupportColor   = color.RGBA{0x00, 0x72, 0xB2, 0xff} // blue
	CriticismColor = color.RGBA{0xD5, 0x5E, 0x00, 0xff} // vermillion
	NeutralColor   = color.RGBA{0x99, 0x99, 0x99, 0xff} // grey
	gapColor       = color.RGBA{0xee, 0xee, 0xee, 0xff}
	markerColor    = color.RGBA{0x33, 0x33, 0x33, 0xff}
)

// AutoBuckets is the most buckets an automatic figure interval gives
// (fewer than on screen: a figure is small).
const AutoBuckets = 200

// Formats are the figure formats.
var Formats = []string{"svg", "png"}

// ContentType returns the MIME type of a figure format.
func ContentType(format string) string {
	if format == "png" {
		return "image/png"
	}
	return "image/svg+xml"
}

// Plot builds the figure of s.
func Plot(s *series.Series, opt Options) (*plot.Plot, error) {
	if len(s.Buckets) == 0 {
		return nil, errors.New("figure: the series has no buckets")
	}
	p := plot.New()
	p.Title.Text = opt.Title
	if p.Title.Text == "" {
		p.Title.Text = s.Story
	}
	loc := s.Loc
	if loc == nil {
		loc = time.UTC
	}
	total := s.Total()
	what := "reactions"
	if s.Platform != "" {
		what += " on " + string(s.Platform)
	}
	p.Y.Label.Text = fmt.Sprintf("%s per %s", what, s.Interval.Name)
	cls := "unknown"
	if len(opt.Classifiers) > 0 {
		cls = strings.Join(opt.Classifiers, ", ")
	}
	p.X.Label.Text = fmt.Sprintf("time (%s)\nclassifier %s · n = %d (support %d, criticism %d, neutral %d)",
		loc, cls, total.Total, total.Support, total.Criticism, total.Neutral)
	p.X.Tick.Marker = plot.TimeTicks{Format: tickFormat(s), Time: func(v float64) time.Time { return time.Unix(int64(v), 0).In(loc) }}
	p.X.Min, p.X.Max = float64(s.From.Unix()), float64(s.To.Unix())
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	var ymax float64
	for _, b := range s.Buckets {
		v := float64(b.Total)
		if !opt.Stacked {
			v = float64(max(b.Support, b.Criticism, b.Neutral))
		}
		ymax = max(ymax, v)
	}
	if ymax == 0 {
		ymax = 1
	}
	// Headroom: marker labels sit just above the data, the legend above
	// them (top right), so that neither hides the other or the data.
	p.Y.Max = ymax * 1.5
	labelY := ymax * 1.08

	// Not-crawled shading first, under everything.
	for _, g := range mergeGaps(opt.Gaps) {
		a, b := float64(g.From.Unix()), float64(g.To.Unix())
		poly, err := plotter.NewPolygon(plotter.XYs{{X: a, Y: 0}, {X: b, Y: 0}, {X: b, Y: p.Y.Max}, {X: a, Y: p.Y.Max}})
		if err != nil {
			return nil, err
		}
		poly.Color, poly.LineStyle.Width = gapColor, 0
		p.Add(poly)
	}
	if len(opt.Gaps) > 0 {
		p.Legend.Add("not crawled (some source)", &swatch{gapColor})
	}

	type layer struct {
		name string
		c    color.Color
		v    func(series.Counts) int64
	}
	layers := []layer{
		{"support", SupportColor, func(c series.Counts) int64 { return c.Support }},
		{"criticism", CriticismColor, func(c series.Counts) int64 { return c.Criticism }},
		{"neutral", NeutralColor, func(c series.Counts) int64 { return c.Neutral }},
	}
	xy := func(val func(series.Counts) int64) plotter.XYs {
		pts := make(plotter.XYs, 0, len(s.Buckets)+1)
		for _, b := range s.Buckets {
			pts = append(pts, plotter.XY{X: float64(b.Start.Unix()), Y: float64(val(b.Counts))})
		}
		last := s.Buckets[len(s.Buckets)-1]
		return append(pts, plotter.XY{X: float64(last.End.Unix()), Y: float64(val(last.Counts))})
	}
	if opt.Stacked {
		// Cumulative from the top layer down, each filled to zero: the
		// lower fills cover the upper ones, which shows the stack.
		for i := len(layers) - 1; i >= 0; i-- {
			ls := layers[:i+1]
			l, err := plotter.NewLine(xy(func(c series.Counts) int64 {
				var sum int64
				for _, x := range ls {
					sum += x.v(c)
				}
				return sum
			}))
			if err != nil {
				return nil, err
			}
			l.StepStyle, l.FillColor, l.Color, l.Width = plotter.PostStep, layers[i].c, layers[i].c, vg.Points(0.5)
			p.Add(l)
		}
		for _, l := range layers {
			p.Legend.Add(l.name, &swatch{l.c})
		}
	} else {
		for _, ly := range layers {
			l, err := plotter.NewLine(xy(ly.v))
			if err != nil {
				return nil, err
			}
			l.StepStyle, l.Color, l.Width = plotter.PostStep, ly.c, vg.Points(1.2)
			p.Add(l)
			p.Legend.Add(ly.name, l)
		}
	}

	for _, m := range opt.Markers {
		if m.At.Before(s.From) || !m.At.Before(s.To) {
			continue
		}
		x := float64(m.At.Unix())
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: p.Y.Max}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes, l.Width = markerColor, []vg.Length{vg.Points(3), vg.Points(2)}, vg.Points(0.8)
		p.Add(l)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: labelY}}, Labels: []string{" " + m.Label}})
		if err != nil {
			return nil, err
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].YAlign = draw.YBottom
			lb.TextStyle[i].Font.Size = vg.Points(7)
		}
		p.Add(lb)
	}
	return p, nil
}

// Write renders p as format ("svg" or "png") at the options' size.
func Write(w io.Writer, p *plot.Plot, format string, opt Options) error {
	if format != "svg" && format != "png" {
		return fmt.Errorf("figure format %q is not one of svg, png", format)
	}
	wd, ht := opt.Width, opt.Height
	if wd <= 0 {
		wd = 16 * vg.Centimeter
	}
	if ht <= 0 {
		ht = 9 * vg.Centimeter
	}
	wt, err := p.WriterTo(wd, ht, format)
	if err != nil {
		return fmt.Errorf("render figure: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("write figure: %w", err)
	}
	return nil
}

func tickFormat(s *series.Series) string {
	switch {
	case s.To.Sub(s.From) <= 2*24*time.Hour:
		return "Jan 2\n15:04"
	case s.To.Sub(s.From) <= 120*24*time.Hour:
		return "Jan 2"
	}
	return "2006-01-02"
}

// mergeGaps merges overlapping gaps of every source into one shading.
func mergeGaps(gs []series.Gap) []series.Gap {
	gs = append([]series.Gap(nil), gs...)
	sort.Slice(gs, func(i, j int) bool { return gs[i].From.Before(gs[j].From) })
	var out []series.Gap
	for _, g := range gs {
		if n := len(out); n > 0 && !g.From.After(out[n-1].To) {
			if g.To.After(out[n-1].To) {
				out[n-1].To = g.To
			}
			continue
		}
		out = append(out, series.Gap{From: g.From, To: g.To, Platform: reaction.Platform("")})
	}
	return out
}

// swatch is a filled legend thumbnail.
type swatch struct{ c color.Color }

// Thumbnail implements plot.Thumbnailer.
func (s *swatch) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}}
	c.FillPolygon(s.c, c.ClipPolygonY(pts))
}

// Build computes the series of req and draws its figure with the story's
// markers, the not-crawled periods and the classifier versions: what the
// dashboard shows, for papers. rec may be nil (no stored definition).
func Build(ctx context.Context, st *store.Store, req series.Request, rec *store.StoryRecord, stacked bool, now time.Time) (*plot.Plot, Options, error) {
	s, err := series.Compute(ctx, st, req)
	if err != nil {
		return nil, Options{}, err
	}
	opt := Options{Stacked: stacked}
	if rec != nil {
		opt.Title = rec.Story.Title
		if !rec.Story.Published.IsZero() {
			opt.Markers = append(opt.Markers, Marker{At: rec.Story.Published, Label: "published"})
		}
		for _, a := range rec.Story.Annotations {
			opt.Markers = append(opt.Markers, Marker{At: a.At, Label: a.Label})
		}
	}
	runs, err := st.CrawlRuns(ctx, req.Story)
	if err != nil {
		return nil, Options{}, err
	}
	hist, err := series.History(ctx, st, req.Story, rec)
	if err != nil {
		return nil, Options{}, err
	}
	opt.Gaps = series.NotCrawled(runs, series.Poll(rec), hist, s.From, s.To, now)
	var plats []reaction.Platform
	if req.Platform != "" {
		plats = []reaction.Platform{req.Platform}
	}
	cnt, err := st.CountReactions(ctx, store.ReactionQuery{Story: req.Story, From: s.From, To: s.To, Platforms: plats})
	if err != nil {
		return nil, Options{}, err
	}
	opt.Classifiers = cnt.ClassifierNames()
	p, err := Plot(s, opt)
	return p, opt, err
}
