package series

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// How compared stories are aligned.
const (
	// AlignPublished puts bucket k of every story at k intervals after
	// that story's published moment (to the minute).
	AlignPublished = "published"
	// AlignCalendar gives every story the same buckets of calendar time.
	AlignCalendar = "calendar"
)

// Fewest and most stories one comparison holds.
const (
	MinCompare = 2
	MaxCompare = 5
)

// ErrNoPublished is wrapped when a story aligned by publication has no
// published moment.
var ErrNoPublished = errors.New("story has no published time")

// CorrectFunc returns how to correct a story's buckets for its
// classifier's measured errors (a Request.Correct, e.g.
// study.Report.Correct), or nil and a note saying why the story has no
// correction (no validated, hand-coded sample).
type CorrectFunc func(ctx context.Context, story string, includeRoots bool, minBucket int) (correct func([]coding.Counts, int) []coding.Estimate, note string, err error)

// CompareRequest asks for several stories' series on common buckets.
type CompareRequest struct {
	// Stories are 2 to 5 distinct story ids. Required.
	Stories []string
	// Align is AlignPublished or AlignCalendar. Required.
	Align string
	// Interval is the bucket width; zero means automatic.
	Interval Interval
	// From and To bound a calendar comparison (zero: from the earliest to
	// the latest of the stories' default ranges).
	From, To time.Time
	// FromOffset and ToOffset bound a comparison by publication, relative
	// to each story's published moment (nil: the earliest and latest of the
	// stories' default ranges so measured).
	FromOffset, ToOffset *time.Duration
	// Loc is the display timezone calendar buckets align to (default UTC).
	Loc *time.Location
	// Platform restricts the counts to one platform ("" = all).
	Platform reaction.Platform
	// IncludeRoots counts thread starters too.
	IncludeRoots bool
	// MinBucket is the small-bucket rule of every story's shares, raw and
	// corrected (see Request). Default coding.DefaultMinBucket.
	MinBucket int
	// Correct, when set, adds corrected criticism shares to the stories
	// that have them (Series.Corrected).
	Correct CorrectFunc
	// Now is the time default ranges are measured at (default time.Now).
	Now time.Time
}

// Compared is one story of a comparison.
type Compared struct {
	Story  string
	Record *store.StoryRecord
	// Anchor is the story's published moment to the minute (published
	// alignment only).
	Anchor time.Time
	// Series has the comparison's buckets (bucket i of every story is
	// bucket i of the comparison), in the story's own time, and their
	// corrected figures (Series.Corrected) when the story has them.
	Series *Series
	// Total sums the buckets; each bucket's TotalPct is its Total ÷
	// Total.Total × 100 (the story's total = 100 %).
	Total Counts
	// CorrectionNote says why the story has no corrected figures ("" when
	// it has, or when no correction was asked for).
	CorrectionNote string
}

// TotalPct is bucket i's share of the story's reactions, in percent; nil
// when the story has none in the range.
func (c *Compared) TotalPct(i int) *float64 {
	if c.Total.Total == 0 {
		return nil
	}
	v := 100 * float64(c.Series.Buckets[i].Total) / float64(c.Total.Total)
	return &v
}

// Comparison is the series of several stories on common buckets.
type Comparison struct {
	Align    string
	Interval Interval
	Loc      *time.Location
	// Offsets are the bucket starts relative to each story's published
	// moment, then the end of the last (published alignment).
	Offsets []time.Duration
	// Starts are the common bucket starts, then the end of the last
	// (calendar alignment).
	Starts  []time.Time
	Stories []Compared
}

// Len is the number of buckets.
func (c *Comparison) Len() int { return len(c.Stories[0].Series.Buckets) }

// Compare computes the series of req's stories on common buckets.
func Compare(ctx context.Context, st *store.Store, req CompareRequest) (*Comparison, error) {
	if len(req.Stories) < MinCompare || len(req.Stories) > MaxCompare {
		return nil, fmt.Errorf("compare %d stories: name %d to %d", len(req.Stories), MinCompare, MaxCompare)
	}
	seen := map[string]bool{}
	for _, id := range req.Stories {
		if !reaction.ValidStoryID(id) {
			return nil, fmt.Errorf("story %q is not a story id", id)
		}
		if seen[id] {
			return nil, fmt.Errorf("story %s is named twice", id)
		}
		seen[id] = true
	}
	if req.Align != AlignPublished && req.Align != AlignCalendar {
		return nil, fmt.Errorf("align %q is not one of published, calendar", req.Align)
	}
	if req.Loc == nil || req.Align == AlignPublished {
		req.Loc = time.UTC
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	c := &Comparison{Align: req.Align, Loc: req.Loc}
	// Each story's record, anchor and default range.
	type ranged struct {
		from, to time.Time
	}
	ranges := make([]ranged, len(req.Stories))
	for i, id := range req.Stories {
		rec, err := LoadStory(ctx, st, id)
		if err != nil {
			return nil, err
		}
		cs := Compared{Story: id, Record: rec}
		if req.Align == AlignPublished {
			if rec == nil || rec.Story.Published.IsZero() {
				return nil, fmt.Errorf("%w: %s (set published in its story file, or compare by calendar time)", ErrNoPublished, id)
			}
			cs.Anchor = rec.Story.Published.UTC().Truncate(time.Minute)
		}
		f, t, err := DefaultRange(ctx, st, id, rec, req.Now)
		if err != nil {
			return nil, err
		}
		ranges[i] = ranged{f, t}
		c.Stories = append(c.Stories, cs)
	}
	if req.Align == AlignCalendar {
		from, to := req.From, req.To
		for _, r := range ranges {
			if req.From.IsZero() && (from.IsZero() || r.from.Before(from)) {
				from = r.from
			}
			if req.To.IsZero() && r.to.After(to) {
				to = r.to
			}
		}
		if !to.After(from) {
			return nil, fmt.Errorf("to %s is not after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
		}
		c.Interval = req.Interval
		if c.Interval.Name == "" {
			c.Interval = AutoInterval(from, to)
		}
		for i := range c.Stories {
			if err := c.compute(ctx, st, req, i, from, to); err != nil {
				return nil, err
			}
		}
		c.Starts = append(c.Starts, c.Stories[0].Series.From)
		for _, b := range c.Stories[0].Series.Buckets {
			c.Starts = append(c.Starts, b.End)
		}
		return c, nil
	}

	var lo, hi time.Duration
	for i, r := range ranges {
		a := c.Stories[i].Anchor
		if i == 0 || r.from.Sub(a) < lo {
			lo = r.from.Sub(a)
		}
		if i == 0 || r.to.Sub(a) > hi {
			hi = r.to.Sub(a)
		}
	}
	if req.FromOffset != nil {
		lo = *req.FromOffset
	}
	if req.ToOffset != nil {
		hi = *req.ToOffset
	}
	if hi <= lo {
		return nil, fmt.Errorf("the offset range %s to %s is empty", lo, hi)
	}
	c.Interval = req.Interval
	if c.Interval.Name == "" {
		c.Interval = AutoInterval(time.Time{}, time.Time{}.Add(hi-lo))
	}
	for i := range c.Stories {
		a := c.Stories[i].Anchor
		if err := c.compute(ctx, st, req, i, a.Add(lo), a.Add(hi)); err != nil {
			return nil, err
		}
	}
	s0 := c.Stories[0]
	c.Offsets = append(c.Offsets, s0.Series.From.Sub(s0.Anchor))
	for _, b := range s0.Series.Buckets {
		c.Offsets = append(c.Offsets, b.End.Sub(s0.Anchor))
	}
	return c, nil
}

// compute fills story i's series over [from, to), corrected when it can
// be, and its totals.
func (c *Comparison) compute(ctx context.Context, st *store.Store, req CompareRequest, i int, from, to time.Time) error {
	cs := &c.Stories[i]
	sreq := Request{Story: cs.Story, From: from, To: to, Interval: c.Interval, Loc: c.Loc, Platform: req.Platform,
		IncludeRoots: req.IncludeRoots, MinBucket: req.MinBucket, Anchor: cs.Anchor}
	if req.Correct != nil {
		correct, note, err := req.Correct(ctx, cs.Story, req.IncludeRoots, req.MinBucket)
		if err != nil {
			return fmt.Errorf("correct the shares of story %s: %w", cs.Story, err)
		}
		sreq.Correct, cs.CorrectionNote = correct, note
	}
	sr, err := Compute(ctx, st, sreq)
	if err != nil {
		return err
	}
	cs.Series, cs.Total = sr, sr.Total()
	return nil
}
