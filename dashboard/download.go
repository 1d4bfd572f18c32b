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

// export answers GET /api/v1/export: the data file of a series or of the
// reactions (what, format, tidy, story, from, to, interval, tz, platform,
// stance, include_roots, min_bucket, bom), or with meta=true its metadata
// sidecar.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	p, e := newParams(r, "what", "format", "tidy", "story", "from", "to", "interval", "tz", "platform", "stance", "include_roots", "min_bucket", "meta", "bom")
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
	if req.What == "reactions" {
		return s.exp.Reactions(ctx, req, w)
	}
	return s.exp.Series(ctx, req, w)
}

func exportErr(err error) error {
	if errors.Is(err, series.ErrTooManyBuckets) {
		return badParam("interval", "%s", err)
	}
	return err
}

// exportRequest validates the export parameters.
func (s *Server) exportRequest(ctx context.Context, p *params) (export.Request, error) {
	var req export.Request
	var e *apiError
	if req.What, e = p.oneOf("what", "series", "series", "reactions"); e != nil {
		return req, e
	}
	if req.Format, e = p.format(); e != nil {
		return req, e
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
	if req.What == "reactions" && req.IncludeRoots {
		return req, badParam("include_roots", "applies to what=series only (a reactions export always holds the thread starters, flagged in is_root)")
	}
	if req.What == "series" && (len(req.Stances) > 0) {
		return req, badParam("stance", "applies to what=reactions only (a series has every stance)")
	}
	if req.What == "reactions" && req.Tidy {
		return req, badParam("tidy", "applies to what=series only")
	}
	if _, err := s.loadStory(ctx, req.Story); err != nil {
		return req, err
	}
	return req, nil
}

// exportName is the download's file name, e.g. "jack-series-1h.csv".
func exportName(req export.Request) string {
	parts := []string{req.Story, req.What}
	if req.Tidy {
		parts = append(parts, "tidy")
	}
	if req.What == "series" && req.Interval.Name != "" {
		parts = append(parts, req.Interval.Name)
	}
	if req.Platform != "" {
		parts = append(parts, string(req.Platform))
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
