// Package series turns a story's stored counts into chart series: buckets
// of a chosen interval aligned in a display timezone (DST-aware),
// zero-filled, with stance totals, the criticism share, an optional
// per-platform breakdown, spikes, and the periods when a source was not
// being crawled. ClickHouse groups at a granularity that is safe in every
// timezone and Go folds the groups into local buckets, so that the
// timezone rules are Go's and the SQL stays in the subset ClickHouse 18.16
// and the current LTS share.
package series

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reactions-research/reactions/store"
)

// Interval is a bucket width.
type Interval struct {
	// Name is the API's spelling: 1m, 5m, 15m, 1h, 6h, 1d, 1w.
	Name string
	// D is the nominal width (a local day can be 23 or 25 hours).
	D time.Duration
}

// Intervals lists the supported intervals, finest first.
var Intervals = []Interval{
	{"1m", time.Minute}, {"5m", 5 * time.Minute}, {"15m", 15 * time.Minute},
	{"1h", time.Hour}, {"6h", 6 * time.Hour}, {"1d", 24 * time.Hour}, {"1w", 7 * 24 * time.Hour},
}

// IntervalNames is the list for error messages: "1m, 5m, 15m, 1h, 6h, 1d, 1w".
func IntervalNames() string {
	var ns []string
	for _, iv := range Intervals {
		ns = append(ns, iv.Name)
	}
	return strings.Join(ns, ", ")
}

// ParseInterval returns the interval named s.
func ParseInterval(s string) (Interval, error) {
	for _, iv := range Intervals {
		if iv.Name == s {
			return iv, nil
		}
	}
	return Interval{}, fmt.Errorf("%q is not one of auto, %s", s, IntervalNames())
}

// MaxBuckets bounds the buckets of one series (a week of minutes).
const MaxBuckets = 7 * 24 * 60

// AutoBuckets is the most buckets the automatic interval choice aims for.
const AutoBuckets = 750

// AutoInterval returns the finest interval giving at most AutoBuckets
// buckets over [from, to).
func AutoInterval(from, to time.Time) Interval { return AutoIntervalMax(from, to, AutoBuckets) }

// AutoIntervalMax returns the finest interval giving at most max buckets
// over [from, to) (the coarsest when none does).
func AutoIntervalMax(from, to time.Time, max int) Interval {
	d := to.Sub(from)
	for _, iv := range Intervals {
		if d/iv.D <= time.Duration(max) {
			return iv
		}
	}
	return Intervals[len(Intervals)-1]
}

// ErrTooManyBuckets is wrapped when a range is too long for its interval.
var ErrTooManyBuckets = errors.New("too many buckets")

// local reports whether buckets of iv follow the local calendar (6h, 1d, 1w:
// they start at local midnight, or 06:00, 12:00, 18:00, or Monday 00:00).
func (iv Interval) local() bool { return iv.D >= 6*time.Hour }

// monday is the Unix time of Monday 1970-01-05 00:00: weeks are counted from it.
const monday = 4 * 86400

// Plan is how one series is bucketed and queried.
type Plan struct {
	Interval Interval
	Loc      *time.Location
	// Starts are the bucket starts (UTC instants), then the end of the last
	// bucket: len(Starts) = buckets + 1.
	Starts []time.Time
	// Query is the grouping to ask the store for (Story and Platform unset).
	Query store.SeriesQuery
	// index maps a query key to its bucket (local intervals) ...
	byKey map[int64]int
}

// From is the start of the first bucket.
func (p *Plan) From() time.Time { return p.Starts[0] }

// To is the end of the last bucket.
func (p *Plan) To() time.Time { return p.Starts[len(p.Starts)-1] }

// Len is the number of buckets.
func (p *Plan) Len() int { return len(p.Starts) - 1 }

// NewPlan aligns [from, to) to whole buckets of iv in loc (from goes back to
// the start of its bucket, to forward to the end of its bucket) and works
// out the store query. It fails with ErrTooManyBuckets beyond MaxBuckets.
func NewPlan(from, to time.Time, iv Interval, loc *time.Location) (*Plan, error) {
	if !to.After(from) {
		return nil, errors.New("to must be after from")
	}
	// A quick estimate first, so that absurd ranges cost nothing; the exact
	// count is checked once the buckets are known.
	if n := int64((to.Sub(from) + iv.D - 1) / iv.D); n > MaxBuckets {
		return nil, fmt.Errorf("%w: %s buckets from %s to %s would be about %d, more than %d: choose a coarser interval or a shorter range",
			ErrTooManyBuckets, iv.Name, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), n, MaxBuckets)
	}
	p := &Plan{Interval: iv, Loc: loc}
	if iv.local() {
		p.planLocal(from.UTC(), to.UTC())
	} else {
		if err := p.planFixed(from.UTC(), to.UTC()); err != nil {
			return nil, err
		}
	}
	if p.Len() > MaxBuckets {
		return nil, fmt.Errorf("%w: %d %s buckets, more than %d: choose a coarser interval or a shorter range",
			ErrTooManyBuckets, p.Len(), iv.Name, MaxBuckets)
	}
	return p, nil
}

// NewAnchoredPlan plans buckets of iv's nominal width (a day is 24 hours)
// starting at anchor, cut to the minute since counts are per minute:
// bucket k is [anchor + k×width, anchor + (k+1)×width), k negative before
// the anchor. They cover [from, to) and follow no calendar: this is the
// alignment of stories compared by the time since each was published. It
// fails with ErrTooManyBuckets beyond MaxBuckets.
func NewAnchoredPlan(anchor, from, to time.Time, iv Interval) (*Plan, error) {
	if !to.After(from) {
		return nil, errors.New("to must be after from")
	}
	anchor = anchor.UTC().Truncate(time.Minute)
	w := int64(iv.D / time.Second)
	a := anchor.Unix()
	first := floorDiv(from.Unix()-a, w)
	last := -floorDiv(a-to.Unix(), w) // ceil((to - a) / w)
	if n := last - first; n > MaxBuckets {
		return nil, fmt.Errorf("%w: %d %s buckets from %s to %s, more than %d: choose a coarser interval or a shorter range",
			ErrTooManyBuckets, n, iv.Name, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), MaxBuckets)
	}
	p := &Plan{Interval: iv, Loc: time.UTC}
	for k := first; k <= last; k++ {
		p.Starts = append(p.Starts, time.Unix(a+k*w, 0).UTC())
	}
	// Every start is a multiple of g seconds, so groups of g never
	// straddle a bucket.
	p.Query = store.SeriesQuery{From: p.From(), To: p.To(), Step: gcd(w, mod(a, w))}
	return p, nil
}

// floorDiv is a ÷ b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// offsets returns the UTC offsets (seconds) loc uses over [from, to], as
// spans for a SeriesQuery.
func offsets(loc *time.Location, from, to time.Time) []store.ShiftSpan {
	var spans []store.ShiftSpan
	t := from
	for {
		_, off := t.In(loc).Zone()
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			return append(spans, store.ShiftSpan{Seconds: int64(off)})
		}
		spans = append(spans, store.ShiftSpan{Until: end.UTC(), Seconds: int64(off)})
		t = end
	}
}

func gcd(a, b int64) int64 {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// planFixed plans 1m … 1h buckets: they are fixed lengths of UTC time,
// aligned to the local clock. The store groups by g = gcd(interval, every
// UTC offset in range), the coarsest UTC grouping that never straddles a
// local bucket (g = the interval except in zones with offsets like +5:30).
func (p *Plan) planFixed(from, to time.Time) error {
	b := int64(p.Interval.D / time.Second)
	spans := offsets(p.Loc, from.Add(-p.Interval.D), to.Add(p.Interval.D))
	g := b
	for _, sp := range spans {
		g = gcd(g, sp.Seconds)
	}
	if g < 60 || g%60 != 0 {
		return fmt.Errorf("timezone %s has an offset that is not whole minutes in this range", p.Loc)
	}
	isStart := func(u int64) bool {
		_, off := time.Unix(u, 0).In(p.Loc).Zone()
		return (u+int64(off))%b == 0
	}
	u := from.Unix() - mod(from.Unix(), g)
	for !isStart(u) {
		u -= g
	}
	end := to.Unix()
	for ; ; u += g {
		if isStart(u) {
			p.Starts = append(p.Starts, time.Unix(u, 0).UTC())
			if u >= end {
				break
			}
			if len(p.Starts) > MaxBuckets+1 {
				break
			}
		}
	}
	p.Query = store.SeriesQuery{From: p.From(), To: p.To(), Step: g}
	return nil
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// planLocal plans 6h, 1d and 1w buckets: they follow the local calendar, so
// the store groups by the local wall clock (UTC + the offset in force,
// piecewise) divided by the interval; weeks start on Monday.
func (p *Plan) planLocal(from, to time.Time) {
	start := p.localStart(from.In(p.Loc))
	p.byKey = map[int64]int{}
	step := int64(p.Interval.D / time.Second)
	shift := int64(0)
	if p.Interval.Name == "1w" {
		shift = -monday
	}
	for t := start; ; {
		inst := instant(t, p.Loc)
		if len(p.Starts) > 0 && !inst.After(p.Starts[len(p.Starts)-1]) {
			// A DST gap swallowed this local start: skip it.
		} else {
			p.Starts = append(p.Starts, inst)
		}
		if !inst.Before(to) || len(p.Starts) > MaxBuckets+1 {
			break
		}
		wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, time.UTC).Unix()
		p.byKey[(wall+shift)/step] = len(p.Starts) - 1
		t = p.next(t)
	}
	spans := offsets(p.Loc, p.From(), p.To())
	for i := range spans {
		spans[i].Seconds += shift
	}
	p.Query = store.SeriesQuery{From: p.From(), To: p.To(), Step: step, Shifts: spans}
}

// localStart returns the local calendar start (as wall-clock fields in
// t's location) of the bucket holding t.
func (p *Plan) localStart(t time.Time) time.Time {
	y, m, d := t.Date()
	switch p.Interval.Name {
	case "6h":
		return time.Date(y, m, d, t.Hour()/6*6, 0, 0, 0, time.UTC)
	case "1w":
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		return time.Date(y, m, d-wd, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// next returns the next local calendar start after wall-clock fields t.
func (p *Plan) next(t time.Time) time.Time {
	switch p.Interval.Name {
	case "6h":
		return t.Add(6 * time.Hour)
	case "1w":
		return t.AddDate(0, 0, 7)
	}
	return t.AddDate(0, 0, 1)
}

// instant returns the first instant whose local wall clock in loc is at or
// after the wall-clock fields of w (held in UTC): the local time itself,
// or the end of a DST gap that skips it.
func instant(w time.Time, loc *time.Location) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc)
	_, off := t.Zone()
	wall := t.Unix() + int64(off)
	if want := w.Unix(); wall < want {
		t = t.Add(time.Duration(want-wall) * time.Second)
	}
	return t.UTC()
}

// Bucket returns the index of the bucket holding store key k, or -1.
func (p *Plan) Bucket(k int64) int {
	if p.byKey != nil {
		if i, ok := p.byKey[k]; ok {
			return i
		}
		return -1
	}
	u := k * p.Query.Step
	// The last start <= u.
	lo, hi := 0, len(p.Starts)-1
	if hi < 1 || u < p.Starts[0].Unix() || u >= p.Starts[hi].Unix() {
		return -1
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if p.Starts[mid].Unix() <= u {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}
