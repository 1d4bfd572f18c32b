package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// SeriesQuery asks for reaction counts of one story grouped into keys:
//
//	key = intDiv(unix(minute) + shift(minute), Step)
//
// where shift is piecewise constant (Shifts). With no shift and Step = 3600
// the keys are UTC hours; with the display timezone's UTC offset as the shift
// and Step = 86400 the keys are local days (exact across DST changes, since
// the shifted time is the local wall clock). The caller turns keys into
// buckets; see package dashboard.
//
// Counts come from reaction_minutes with sum(n) (never FINAL), so they are
// exact whether or not ClickHouse has merged the parts yet.
type SeriesQuery struct {
	// Story is the story id. Required.
	Story string
	// From and To bound the minutes counted, [From, To). Required; To after From.
	From, To time.Time
	// Platform restricts the counts to one platform; "" counts all.
	Platform reaction.Platform
	// Step is the key width in seconds: a multiple of 60, at least 60.
	Step int64
	// ByPlatform groups by platform too; otherwise SeriesCount.Platform is
	// empty and every platform is counted together.
	ByPlatform bool
	// IncludeRoots counts thread starters too (reaction.Reaction.IsRoot);
	// by default they are left out, as they are usually the news itself.
	IncludeRoots bool
	// Shifts gives the shift added to each minute before grouping: the
	// shift of the first span whose Until is after the minute, or the last
	// span's when none is (its Until is ignored). Empty means no shift.
	Shifts []ShiftSpan
}

// ShiftSpan is one piece of a piecewise constant shift (see SeriesQuery).
type ShiftSpan struct {
	Until   time.Time
	Seconds int64
}

// SeriesCount is the counts of one key (and platform, with ByPlatform) by
// stance.
type SeriesCount struct {
	// Key is intDiv(unix + shift, Step): Key*Step is the start of the group
	// in shifted seconds.
	Key       int64
	Platform  reaction.Platform
	Support   int64
	Criticism int64
	Neutral   int64
}

// maxShiftSpans bounds the multiIf built from Shifts (two DST changes a year
// for 50 years).
const maxShiftSpans = 101

// SeriesCounts returns the non-zero counts of q, ordered by key, platform
// and stance. Every value is bound as a parameter.
func (s *Store) SeriesCounts(ctx context.Context, q SeriesQuery) ([]SeriesCount, error) {
	expr, args, err := q.keyExpr()
	if err != nil {
		return nil, err
	}
	platform := "''"
	if q.ByPlatform {
		platform = "toString(platform)"
	}
	// One row per key (and platform), the stances side by side: a third
	// of the rows of grouping by stance too.
	sql := "SELECT " + expr + " AS k, " + platform + ` AS p,
    sumIf(n, stance = 'support') AS s, sumIf(n, stance = 'criticism') AS c, sumIf(n, stance = 'neutral') AS u
FROM reaction_minutes
WHERE story = ? AND minute >= toDateTime(?) AND minute < toDateTime(?)`
	args = append(args, q.Story, q.From.Unix(), q.To.Unix())
	if q.Platform != "" {
		sql += " AND platform = ?"
		args = append(args, string(q.Platform))
	}
	sql += rootFilter(q.IncludeRoots)
	sql += "\nGROUP BY k, p HAVING s != 0 OR c != 0 OR u != 0 ORDER BY k, p"
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query series: %w", err)
	}
	defer rows.Close()
	var out []SeriesCount
	for rows.Next() {
		var c SeriesCount
		var p string
		if err := rows.Scan(&c.Key, &p, &c.Support, &c.Criticism, &c.Neutral); err != nil {
			return nil, fmt.Errorf("read series: %w", err)
		}
		c.Platform = reaction.Platform(p)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read series: %w", err)
	}
	return out, nil
}

func (q *SeriesQuery) keyExpr() (string, []any, error) {
	return q.keyExprOn("toInt64(toUInt32(minute))")
}

// keyExprOn is keyExpr over t, an Int64 expression of a row's minute in
// Unix seconds.
func (q *SeriesQuery) keyExprOn(t string) (string, []any, error) {
	switch {
	case !reaction.ValidStoryID(q.Story):
		return "", nil, fmt.Errorf("series query: story %q is not a story id", q.Story)
	case !q.To.After(q.From):
		return "", nil, errors.New("series query: to must be after from")
	case q.Step < 60 || q.Step%60 != 0:
		return "", nil, fmt.Errorf("series query: step %d is not a positive multiple of 60 seconds", q.Step)
	case q.Platform != "" && !q.Platform.Valid():
		return "", nil, fmt.Errorf("series query: unknown platform %q", q.Platform)
	case len(q.Shifts) > maxShiftSpans:
		return "", nil, fmt.Errorf("series query: %d shift spans is more than %d", len(q.Shifts), maxShiftSpans)
	}
	switch len(q.Shifts) {
	case 0:
		return "intDiv(" + t + ", ?)", []any{q.Step}, nil
	case 1:
		return "intDiv(" + t + " + ?, ?)", []any{q.Shifts[0].Seconds, q.Step}, nil
	}
	var b strings.Builder
	var args []any
	b.WriteString("intDiv(" + t + " + multiIf(")
	for _, sp := range q.Shifts[:len(q.Shifts)-1] {
		b.WriteString(t + " < ?, toInt64(?), ")
		args = append(args, sp.Until.Unix(), sp.Seconds)
	}
	b.WriteString("toInt64(?)), ?)")
	args = append(args, q.Shifts[len(q.Shifts)-1].Seconds, q.Step)
	return b.String(), args, nil
}

// Extent returns the first and last minute holding reactions of a story
// (both zero when it has none).
func (s *Store) Extent(ctx context.Context, story string) (first, last time.Time, err error) {
	var n uint64
	var a, b time.Time
	err = s.conn.QueryRow(ctx, `SELECT count(), min(m), max(m) FROM (
    SELECT minute AS m, sum(n) AS c FROM reaction_minutes WHERE story = ? GROUP BY m HAVING c > 0)`, story).Scan(&n, &a, &b)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("query extent of story %s: %w", story, err)
	}
	if n == 0 {
		return time.Time{}, time.Time{}, nil
	}
	return a.UTC(), b.UTC(), nil
}

// PlatformExtent is the first minute holding reactions of one platform.
type PlatformExtent struct {
	Platform reaction.Platform
	First    time.Time
	Last     time.Time
}

// PlatformExtents returns, per platform of a story, the first and last
// minute holding reactions.
func (s *Store) PlatformExtents(ctx context.Context, story string) ([]PlatformExtent, error) {
	rows, err := s.conn.Query(ctx, `SELECT p, min(m), max(m) FROM (
    SELECT toString(platform) AS p, minute AS m, sum(n) AS c FROM reaction_minutes
    WHERE story = ? GROUP BY p, m HAVING c > 0)
GROUP BY p ORDER BY p`, story)
	if err != nil {
		return nil, fmt.Errorf("query platform extents of story %s: %w", story, err)
	}
	defer rows.Close()
	var out []PlatformExtent
	for rows.Next() {
		var e PlatformExtent
		var p string
		if err := rows.Scan(&p, &e.First, &e.Last); err != nil {
			return nil, fmt.Errorf("read platform extents: %w", err)
		}
		e.Platform, e.First, e.Last = reaction.Platform(p), e.First.UTC(), e.Last.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
