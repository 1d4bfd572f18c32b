package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
)

// CompareJSON is the answer of GET /api/v1/compare: the stories' series on
// common buckets.
type CompareJSON struct {
	Align        string            `json:"align"`
	Interval     string            `json:"interval"`
	IntervalAuto bool              `json:"interval_auto"`
	TZ           string            `json:"tz"`
	Platform     reaction.Platform `json:"platform,omitempty"`
	IncludeRoots bool              `json:"include_roots"`
	// MinBucket is the small-bucket threshold: a bucket with fewer support
	// + criticism reactions shows no share, raw or corrected.
	MinBucket int `json:"min_bucket"`
	// Hours are the bucket starts in hours since each story's published
	// moment, then the end of the last (align=published).
	Hours []float64 `json:"hours,omitempty"`
	// Starts are the common bucket starts, then the end of the last
	// (align=calendar).
	Starts  []time.Time    `json:"starts,omitempty"`
	Stories []ComparedJSON `json:"stories"`
}

// ComparedJSON is one story of a comparison, its arrays aligned with the
// buckets.
type ComparedJSON struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Published *time.Time `json:"published"`
	// Anchor is the published moment to the minute (align=published).
	Anchor *time.Time `json:"anchor,omitempty"`
	// From and To are this story's range, in its own time.
	From           time.Time    `json:"from"`
	To             time.Time    `json:"to"`
	Totals         BucketTotals `json:"totals"`
	BucketStarts   []time.Time  `json:"bucket_starts"`
	Support        []int64      `json:"support"`
	Criticism      []int64      `json:"criticism"`
	Neutral        []int64      `json:"neutral"`
	Total          []int64      `json:"total"`
	CriticismShare []*float64   `json:"criticism_share"`
	// TotalPct is each bucket's share of the story's reactions in the
	// range, in percent (the normalised count).
	TotalPct []*float64 `json:"total_pct"`
	// CriticismShareAdj, Lo and Hi are the corrected shares and their 95 %
	// interval; null when the story has no validated correction, and
	// CorrectionNote says why.
	CorrectionNote    string     `json:"correction_note,omitempty"`
	CriticismShareAdj []*float64 `json:"criticism_share_adj"`
	CriticismShareLo  []*float64 `json:"criticism_share_lo"`
	CriticismShareHi  []*float64 `json:"criticism_share_hi"`
}

// offsetParam reads an optional offset in hours (from_hours, to_hours).
func (p *params) offsetParam(name string) (*time.Duration, *apiError) {
	s := p.get(name)
	if s == "" {
		return nil, nil
	}
	h, err := strconv.ParseFloat(s, 64)
	if err != nil || h < -24*366 || h > 24*3660 {
		return nil, badParam(name, "%s is not a number of hours from publication (like -6 or 72)", strconv.QuoteToASCII(truncate(s, 80)))
	}
	d := time.Duration(h * float64(time.Hour)).Round(time.Minute)
	return &d, nil
}

// compareRequest reads the parameters of a comparison: story (2 to 5
// ids, comma-separated), align, interval, from and to (calendar),
// from_hours and to_hours (published), tz, platform, include_roots.
func (s *Server) compareRequest(p *params) (series.CompareRequest, *apiError) {
	req := series.CompareRequest{Correct: s.exp.Correction, Now: s.opt.Now()}
	var e *apiError
	ids := splitList(p.get("story"))
	if len(ids) < series.MinCompare || len(ids) > series.MaxCompare || len(ids) != len(strings.Split(p.get("story"), ",")) {
		return req, badParam("story", "name %d to %d different stories, comma-separated", series.MinCompare, series.MaxCompare)
	}
	for _, id := range ids {
		if !reaction.ValidStoryID(id) {
			return req, badParam("story", "%s is not a story id", strconv.QuoteToASCII(truncate(id, 80)))
		}
	}
	req.Stories = ids
	if req.Align, e = p.oneOf("align", series.AlignPublished, series.AlignPublished, series.AlignCalendar); e != nil {
		return req, e
	}
	if req.Interval, e = p.interval(); e != nil {
		return req, e
	}
	if req.Align == series.AlignPublished {
		for _, n := range []string{"from", "to", "tz"} {
			if p.get(n) != "" {
				return req, badParam(n, "applies to align=calendar (align=published takes from_hours and to_hours)")
			}
		}
		if req.FromOffset, e = p.offsetParam("from_hours"); e != nil {
			return req, e
		}
		if req.ToOffset, e = p.offsetParam("to_hours"); e != nil {
			return req, e
		}
		if req.FromOffset != nil && req.ToOffset != nil && *req.ToOffset <= *req.FromOffset {
			return req, badParam("to_hours", "is not after from_hours")
		}
	} else {
		for _, n := range []string{"from_hours", "to_hours"} {
			if p.get(n) != "" {
				return req, badParam(n, "applies to align=published (align=calendar takes from and to)")
			}
		}
		if req.From, req.To, e = p.rangeParams(); e != nil {
			return req, e
		}
		if req.Loc, e = p.tz(); e != nil {
			return req, e
		}
	}
	if req.Platform, e = p.platform(); e != nil {
		return req, e
	}
	if req.IncludeRoots, e = p.boolean("include_roots"); e != nil {
		return req, e
	}
	if req.MinBucket, e = p.minBucket(); e != nil {
		return req, e
	}
	return req, nil
}

func (s *Server) compare(r *http.Request) (any, error) {
	p, e := newParams(r, "story", "align", "interval", "from", "to", "from_hours", "to_hours", "tz", "platform", "include_roots", "min_bucket")
	if e != nil {
		return nil, e
	}
	req, e := s.compareRequest(p)
	if e != nil {
		return nil, e
	}
	ids := req.Stories
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	for _, id := range ids {
		if _, err := s.loadStory(ctx, id); err != nil {
			return nil, err
		}
	}
	c, err := series.Compare(ctx, s.st, req)
	if err != nil {
		return nil, exportErr(err)
	}
	out := &CompareJSON{Align: c.Align, Interval: c.Interval.Name, IntervalAuto: req.Interval.Name == "", TZ: c.Loc.String(),
		Platform: req.Platform, IncludeRoots: req.IncludeRoots, MinBucket: c.Stories[0].Series.MinBucket, Starts: c.Starts}
	for _, o := range c.Offsets {
		out.Hours = append(out.Hours, o.Hours())
	}
	for i := range c.Stories {
		cs := &c.Stories[i]
		n := len(cs.Series.Buckets)
		j := ComparedJSON{ID: cs.Story, From: cs.Series.From, To: cs.Series.To, BucketStarts: make([]time.Time, n),
			Support: make([]int64, n), Criticism: make([]int64, n), Neutral: make([]int64, n), Total: make([]int64, n),
			CriticismShare: make([]*float64, n), TotalPct: make([]*float64, n),
			Totals:         BucketTotals{Counts: cs.Total, CriticismShare: cs.Series.Share(cs.Total), AdjustedJSON: adjusted(cs.Series.TotalCorrected)},
			CorrectionNote: cs.CorrectionNote}
		if rec := cs.Record; rec != nil {
			j.Title = rec.Story.Title
			if !rec.Story.Published.IsZero() {
				pub := rec.Story.Published
				j.Published = &pub
			}
		}
		if !cs.Anchor.IsZero() {
			a := cs.Anchor
			j.Anchor = &a
		}
		for k, b := range cs.Series.Buckets {
			j.BucketStarts[k], j.Support[k], j.Criticism[k], j.Neutral[k], j.Total[k] = b.Start, b.Support, b.Criticism, b.Neutral, b.Total
			j.CriticismShare[k], j.TotalPct[k] = cs.Series.Share(b.Counts), cs.TotalPct(k)
		}
		if cs.Series.Corrected != nil {
			j.CriticismShareAdj, j.CriticismShareLo, j.CriticismShareHi = make([]*float64, n), make([]*float64, n), make([]*float64, n)
			for k, est := range cs.Series.Corrected {
				j.CriticismShareAdj[k], j.CriticismShareLo[k], j.CriticismShareHi[k] = est.Share, est.Lo, est.Hi
			}
		}
		out.Stories = append(out.Stories, j)
	}
	return out, nil
}
