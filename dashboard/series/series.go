package series

import (
	"context"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// Counts are the reactions of one bucket by stance.
type Counts struct {
	Support   int64 `json:"support"`
	Criticism int64 `json:"criticism"`
	Neutral   int64 `json:"neutral"`
	Total     int64 `json:"total"`
}

func (c *Counts) addCounts(sc store.SeriesCount) {
	c.Support += sc.Support
	c.Criticism += sc.Criticism
	c.Neutral += sc.Neutral
	c.Total += sc.Support + sc.Criticism + sc.Neutral
}

// Share returns criticism ÷ (support + criticism), or nil when the bucket
// is too small to show one: fewer than minBucket support and criticism
// reactions (coding.Options.Enough; 0 means coding.DefaultMinBucket). A
// share from a handful of reactions jumps between 0 % and 100 % and says
// nothing; the same rule holds for corrected shares.
func (c Counts) Share(minBucket int) *float64 {
	d := c.Support + c.Criticism
	if d == 0 || !(coding.Options{MinBucket: minBucket}).Enough(c.coding()) {
		return nil
	}
	v := float64(c.Criticism) / float64(d)
	return &v
}

// coding returns the counts as package coding takes them.
func (c Counts) coding() coding.Counts {
	return coding.Counts{Support: c.Support, Criticism: c.Criticism, Neutral: c.Neutral}
}

// Get returns the count of one stance.
func (c Counts) Get(st reaction.Stance) int64 {
	switch st {
	case reaction.Support:
		return c.Support
	case reaction.Criticism:
		return c.Criticism
	case reaction.Neutral:
		return c.Neutral
	}
	return 0
}

// Bucket is one interval of a series.
type Bucket struct {
	// Start is the bucket's first instant (UTC).
	Start time.Time
	// End is the next bucket's Start.
	End time.Time
	Counts
	// Deleted counts the bucket's reactions that are deleted now (with
	// Request.Deleted; they are in Counts too, with their last stance).
	Deleted int64
}

// PlatformSeries is one platform's counts, aligned with the buckets.
type PlatformSeries struct {
	Platform reaction.Platform
	Counts   []Counts
}

// Request asks for one series.
type Request struct {
	// Story is the story id. Required.
	Story string
	// From and To are the range before alignment to whole buckets. Required.
	From, To time.Time
	// Interval is the bucket width. Required.
	Interval Interval
	// Loc is the display timezone (default UTC).
	Loc *time.Location
	// Platform restricts counts to one platform ("" = all).
	Platform reaction.Platform
	// ByPlatform adds per-platform series.
	ByPlatform bool
	// IncludeRoots counts thread starters (reaction.Reaction.IsRoot) too;
	// by default they are left out, as they are usually the news itself.
	IncludeRoots bool
	// MinBucket is the small-bucket rule: a bucket with fewer support +
	// criticism reactions shows no share, raw or corrected. Default
	// coding.DefaultMinBucket.
	MinBucket int
	// Correct, when set, corrects buckets' counts for the classifier's
	// measured errors (study.Report.Correct); nil leaves the series raw.
	Correct func(counts []coding.Counts, minBucket int) []coding.Estimate
	// Anchor, when set, starts the buckets at Anchor (to the minute) and
	// every Interval (its nominal width) before and after it, following no
	// calendar (see NewAnchoredPlan); Loc then only names the display
	// timezone.
	Anchor time.Time
	// Deleted counts each bucket's reactions that are deleted now
	// (Bucket.Deleted).
	Deleted bool
}

// Series is a computed series.
type Series struct {
	Story    string
	Interval Interval
	Loc      *time.Location
	Platform reaction.Platform
	// IncludeRoots says whether thread starters were counted.
	IncludeRoots bool
	// From and To are the aligned range: the first bucket's start and the
	// last bucket's end.
	From, To time.Time
	Buckets  []Bucket
	// Platforms holds per-platform series (ByPlatform), in reaction.Platforms
	// order, for the platforms present in the range.
	Platforms []PlatformSeries
	// MinBucket is the small-bucket threshold applied (see Request).
	MinBucket int
	// Corrected holds each bucket's corrected figures, aligned with
	// Buckets, and TotalCorrected those of all buckets together; both nil
	// without Request.Correct.
	Corrected      []coding.Estimate
	TotalCorrected *coding.Estimate
}

// Share is a bucket's raw criticism share under the series' small-bucket
// rule.
func (s *Series) Share(c Counts) *float64 { return c.Share(s.MinBucket) }

// Total sums every bucket.
func (s *Series) Total() Counts {
	var t Counts
	for _, b := range s.Buckets {
		t.Support += b.Support
		t.Criticism += b.Criticism
		t.Neutral += b.Neutral
		t.Total += b.Total
	}
	return t
}

// Compute plans, queries and folds one series (zero-filled).
func Compute(ctx context.Context, st *store.Store, req Request) (*Series, error) {
	loc := req.Loc
	if loc == nil {
		loc = time.UTC
	}
	var plan *Plan
	var err error
	if req.Anchor.IsZero() {
		plan, err = NewPlan(req.From, req.To, req.Interval, loc)
	} else {
		plan, err = NewAnchoredPlan(req.Anchor, req.From, req.To, req.Interval)
	}
	if err != nil {
		return nil, err
	}
	q := plan.Query
	q.Story, q.Platform, q.ByPlatform, q.IncludeRoots = req.Story, req.Platform, req.ByPlatform, req.IncludeRoots
	counts, err := st.SeriesCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	s := Fold(req, plan, counts)
	if req.Correct != nil {
		cs := make([]coding.Counts, len(s.Buckets)+1)
		for i, b := range s.Buckets {
			cs[i] = b.coding()
		}
		cs[len(s.Buckets)] = s.Total().coding()
		est := req.Correct(cs, s.MinBucket)
		if len(est) == len(cs) {
			s.Corrected, s.TotalCorrected = est[:len(s.Buckets)], &est[len(s.Buckets)]
		}
	}
	if req.Deleted {
		del, err := st.DeletedCounts(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, d := range del {
			if i := plan.Bucket(d.Key); i >= 0 {
				s.Buckets[i].Deleted += d.N
			}
		}
	}
	return s, nil
}

// Fold puts store counts into the plan's buckets.
func Fold(req Request, plan *Plan, counts []store.SeriesCount) *Series {
	s := &Series{Story: req.Story, Interval: plan.Interval, Loc: plan.Loc, Platform: req.Platform, IncludeRoots: req.IncludeRoots,
		From: plan.From(), To: plan.To(), Buckets: make([]Bucket, plan.Len()), MinBucket: req.MinBucket}
	if s.MinBucket <= 0 {
		s.MinBucket = coding.DefaultMinBucket
	}
	for i := range s.Buckets {
		s.Buckets[i].Start, s.Buckets[i].End = plan.Starts[i], plan.Starts[i+1]
	}
	per := map[reaction.Platform][]Counts{}
	for _, c := range counts {
		i := plan.Bucket(c.Key)
		if i < 0 {
			continue
		}
		s.Buckets[i].addCounts(c)
		if req.ByPlatform {
			pc := per[c.Platform]
			if pc == nil {
				pc = make([]Counts, len(s.Buckets))
				per[c.Platform] = pc
			}
			pc[i].addCounts(c)
		}
	}
	for _, p := range reaction.Platforms {
		if pc, ok := per[p]; ok {
			s.Platforms = append(s.Platforms, PlatformSeries{Platform: p, Counts: pc})
		}
	}
	return s
}
