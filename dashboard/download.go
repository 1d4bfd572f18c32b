package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/figure"
	"github.com/reactions-research/reactions/dashboard/series"
)

// exportTimeout bounds one export download (millions of rows stream).
const exportTimeout = 30 * time.Minute

// export answers GET /api/v1/export: the data file of a series, of the
// reactions, of the reply network or of a comparison of stories (what,
// format, tidy, story, from, to, interval, tz, platform, stance,
// include_roots, min_bucket, part, align, from_hours, to_hours, bom), or
// with meta=true its metadata sidecar.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	p, e := newParams(r, "what", "format", "tidy", "story", "from", "to", "interval", "tz", "platform", "stance", "include_roots",
		"min_bucket", "part", "quotes", "deleted", "changes", "align", "from_hours", "to_hours", "meta", "bom")
	if e != nil {
		s.fail(w, r, e)
		return
	}
	req, err := s.exportRequest(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.Command = "GET " + r.URL.RequestURI()
	ctx, cancel := context.WithTimeout(r.Context(), exportTimeout)
	defer cancel()
	if req.MetaOnly {
		m, err := s.runExport(ctx, req, &countingWriter{w: discard{}})
		if err != nil {
			s.fail(w, r, exportErr(err))
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+exportName(req)+`.meta.json"`)
		writeJSON(w, http.StatusOK, m)
		return
	}
	h := w.Header()
	h.Set("Content-Type", req.Format.ContentType())
	h.Set("Content-Disposition", `attachment; filename="`+exportName(req)+`"`)
	h.Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	if _, err := s.runExport(ctx, req, cw); err != nil {
		if cw.n == 0 {
			h.Del("Content-Disposition")
			s.fail(w, r, exportErr(err))
			return
		}
		// Half a file was sent: break the connection so that the client
		// sees a failed download, never a truncated file that looks whole.
		s.log.Error("export failed mid-stream", "story", req.Story, "what", req.What, "bytes", cw.n, "err", err)
		panic(http.ErrAbortHandler)
	}
}

func (s *Server) runExport(ctx context.Context, req export.Request, w *countingWriter) (*export.Meta, error) {
	switch req.What {
	case "reactions":
		return s.exp.Reactions(ctx, req, w)
	case "compare":
		return s.exp.Compare(ctx, req, w)
	case "history":
		return s.exp.History(ctx, req, w)
	case "network":
		return s.exp.Network(ctx, req, w)
	}
	return s.exp.Series(ctx, req, w)
}

// exportErr maps the errors of series, exports and comparisons to answers
// naming the parameter at fault.
func exportErr(err error) error {
	switch {
	case errors.Is(err, series.ErrTooManyBuckets):
		return badParam("interval", "%s", err)
	case errors.Is(err, series.ErrNoPublished):
		return badParam("align", "%s", err)
	}
	return err
}

// exportRequest validates the export parameters.
func (s *Server) exportRequest(ctx context.Context, p *params) (export.Request, error) {
	var req export.Request
	var e *apiError
	if req.What, e = p.oneOf("what", "series", "series", "reactions", "history", "network", "compare"); e != nil {
		return req, e
	}
	if req.Deleted, e = p.boolean("deleted"); e != nil {
		return req, e
	}
	if req.Deleted && req.What != "series" {
		return req, badParam("deleted", "applies to what=series only")
	}
	changes, e := p.oneOf("changes", "all", "all", "content")
	if e != nil {
		return req, e
	}
	if p.get("changes") != "" && req.What != "history" {
		return req, badParam("changes", "applies to what=history only")
	}
	req.ContentOnly = changes == "content"
	if req.What == "compare" {
		return s.exportCompareRequest(ctx, p)
	}
	for _, n := range []string{"align", "from_hours", "to_hours"} {
		if p.get(n) != "" {
			return req, badParam(n, "applies to what=compare only")
		}
	}
	if req.What == "network" {
		if req.Format, e = p.networkFormat(); e != nil {
			return req, e
		}
		if req.Part, e = p.oneOf("part", "", export.EdgesPart, export.NodesPart); e != nil {
			return req, e
		}
		if req.Part != "" && req.Format != export.CSV {
			return req, badParam("part", "applies to format=csv only (GraphML and GEXF hold edges and nodes)")
		}
		if req.Quotes, e = p.boolean("quotes"); e != nil {
			return req, e
		}
	} else {
		if req.Format, e = p.format(); e != nil {
			return req, e
		}
		for _, n := range []string{"part", "quotes"} {
			if p.get(n) != "" {
				return req, badParam(n, "applies to what=network only")
			}
		}
	}
	if req.Tidy, e = p.boolean("tidy"); e != nil {
		return req, e
	}
	if req.MetaOnly, e = p.boolean("meta"); e != nil {
		return req, e
	}
	bom := true
	if p.get("bom") != "" {
		if bom, e = p.boolean("bom"); e != nil {
			return req, e
		}
	}
	req.NoBOM = !bom
	if req.Story, e = p.story(); e != nil {
		return req, e
	}
	if req.From, req.To, e = p.rangeParams(); e != nil {
		return req, e
	}
	if req.Interval, e = p.interval(); e != nil {
		return req, e
	}
	if req.Loc, e = p.tz(); e != nil {
		return req, e
	}
	if req.Platform, e = p.platform(); e != nil {
		return req, e
	}
	if req.Stances, e = p.stances(); e != nil {
		return req, e
	}
	if req.MinBucket, e = p.minBucket(); e != nil {
		return req, e
	}
	if req.IncludeRoots, e = p.boolean("include_roots"); e != nil {
		return req, e
	}
	if req.What != "series" && req.IncludeRoots {
		return req, badParam("include_roots", "applies to what=series only (a reactions export always holds the thread starters, flagged in is_root; a network's nodes include their authors)")
	}
	if req.What != "reactions" && (len(req.Stances) > 0) {
		return req, badParam("stance", "applies to what=reactions only (a series has every stance, each state of a history its own)")
	}
	if req.What != "series" && req.Tidy {
		return req, badParam("tidy", "applies to what=series only")
	}
	if req.Tidy && req.Deleted {
		return req, badParam("deleted", "applies to the wide layout (not tidy)")
	}
	if _, err := s.loadStory(ctx, req.Story); err != nil {
		return req, err
	}
	return req, nil
}

// exportCompareRequest validates the parameters of a comparison's export.
func (s *Server) exportCompareRequest(ctx context.Context, p *params) (export.Request, error) {
	req := export.Request{What: "compare", Format: export.CSV}
	for _, n := range []string{"tidy", "stance", "part"} {
		if p.get(n) != "" {
			return req, badParam(n, "does not apply to what=compare")
		}
	}
	if f := p.get("format"); f != "" && f != string(export.CSV) {
		return req, badParam("format", "a comparison is one wide CSV")
	}
	var e *apiError
	if req.MetaOnly, e = p.boolean("meta"); e != nil {
		return req, e
	}
	if p.get("bom") != "" {
		bom, e := p.boolean("bom")
		if e != nil {
			return req, e
		}
		req.NoBOM = !bom
	}
	cr, e := s.compareRequest(p)
	if e != nil {
		return req, e
	}
	for _, id := range cr.Stories {
		if _, err := s.loadStory(ctx, id); err != nil {
			return req, err
		}
	}
	req.Stories, req.Story, req.Align, req.Interval = cr.Stories, cr.Stories[0], cr.Align, cr.Interval
	req.From, req.To, req.FromOffset, req.ToOffset = cr.From, cr.To, cr.FromOffset, cr.ToOffset
	req.Loc, req.Platform, req.IncludeRoots, req.MinBucket = cr.Loc, cr.Platform, cr.IncludeRoots, cr.MinBucket
	return req, nil
}

// exportName is the download's file name, e.g. "jack-series-1h.csv".
func exportName(req export.Request) string {
	parts := []string{req.Story, req.What}
	if req.What == "compare" {
		parts = []string{strings.Join(req.Stories, "-vs-"), req.Align}
	}
	if req.Tidy {
		parts = append(parts, "tidy")
	}
	if req.What == "series" && req.Interval.Name != "" {
		parts = append(parts, req.Interval.Name)
	}
	if req.Platform != "" {
		parts = append(parts, string(req.Platform))
	}
	if req.Part == export.NodesPart {
		return strings.Join(parts, "-") + ".nodes.csv"
	}
	return strings.Join(parts, "-") + "." + string(req.Format)
}

// figure answers GET /api/v1/figure.svg and .png: the chart for papers,
// with the series parameters and mode=stacked|lines.
func (s *Server) figure(w http.ResponseWriter, r *http.Request) {
	format := "svg"
	if strings.HasSuffix(r.URL.Path, ".png") {
		format = "png"
	}
	p, e := newParams(r, "story", "from", "to", "interval", "tz", "platform", "include_roots", "mode")
	if e != nil {
		s.fail(w, r, e)
		return
	}
	mode, e := p.oneOf("mode", "stacked", "stacked", "lines")
	if e != nil {
		s.fail(w, r, e)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	req, rec, auto, err := s.seriesRequest(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if auto {
		req.Interval = series.AutoIntervalMax(req.From, req.To, figure.AutoBuckets)
	}
	pl, opt, err := figure.Build(ctx, s.st, req, rec, mode == "stacked", s.opt.Now())
	if err != nil {
		s.fail(w, r, exportErr(err))
		return
	}
	var buf strings.Builder
	if err := figure.Write(&buf, pl, format, opt); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", figure.ContentType(format))
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.%s"`, req.Story, req.Interval.Name, format))
	h.Set("Cache-Control", "no-store")
	w.Write([]byte(buf.String()))
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
