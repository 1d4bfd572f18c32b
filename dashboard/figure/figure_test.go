package figure

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/store"
)

func testSeries(t *testing.T, tz string) *series.Series {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	iv, _ := series.ParseInterval("1h")
	from := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	plan, err := series.NewPlan(from, from.Add(24*time.Hour), iv, loc)
	if err != nil {
		t.Fatal(err)
	}
	var counts []store.SeriesCount
	for i := range 24 {
		k := plan.From().Unix()/3600 + int64(i)
		counts = append(counts, store.SeriesCount{Key: k, Support: int64(i % 5), Criticism: int64(i % 3), Neutral: 1})
	}
	return series.Fold(series.Request{Story: "s", Interval: iv, Loc: loc}, plan, counts)
}

func TestPlotWritesSVGAndPNG(t *testing.T) {
	s := testSeries(t, "Europe/Berlin")
	for _, stacked := range []bool{true, false} {
		opt := Options{Title: "A <story> & title", Stacked: stacked, Classifiers: []string{"stance-1"},
			Markers: []Marker{{At: s.From.Add(5 * time.Hour), Label: "published"}, {At: s.From.Add(-time.Hour), Label: "outside"}},
			Gaps:    []series.Gap{{Source: "x", From: s.From.Add(2 * time.Hour), To: s.From.Add(4 * time.Hour)}}}
		p, err := Plot(s, opt)
		if err != nil {
			t.Fatal(err)
		}
		var svg bytes.Buffer
		if err := Write(&svg, p, "svg", opt); err != nil {
			t.Fatal(err)
		}
		out := svg.String()
		for _, want := range []string{"A &lt;story&gt; &amp; title", "time (Europe/Berlin)", "classifier stance-1", "n = ", "published", "not crawled"} {
			if !strings.Contains(out, want) {
				t.Errorf("stacked=%v: svg lacks %q", stacked, want)
			}
		}
		if strings.Contains(out, "outside") {
			t.Error("a marker outside the range is drawn")
		}
		var pngBuf bytes.Buffer
		if err := Write(&pngBuf, p, "png", opt); err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(&pngBuf); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := Plot(s, Options{})
	if err := Write(&bytes.Buffer{}, p, "gif", Options{}); err == nil {
		t.Error("gif: want an error")
	}
	if _, err := Plot(&series.Series{}, Options{}); err == nil {
		t.Error("empty series: want an error")
	}
}
