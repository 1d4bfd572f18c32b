package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/reactions-research/reactions/reaction"
)

// ReactionQuery selects the current state of a story's reactions: per id,
// the row with the highest version, kept only while sum(sign) > 0 (see
// docs/architecture.md, "Exact counts"). Filters apply to that state.
type ReactionQuery struct {
	// Story is the story id. Required.
	Story string
	// From and To bound created_at, [From, To). A zero From or To is unbounded.
	From, To time.Time
	// Stances keeps only these stances; empty keeps all.
	Stances []reaction.Stance
	// Platforms keeps only these platforms; empty keeps all.
	Platforms []reaction.Platform
	// NoRoots leaves thread starters out (reaction.Reaction.IsRoot), as the
	// series do by default; item reads keep them, flagged.
	NoRoots bool
	// Thread keeps only the reactions of one thread: those whose root_id
	// is this id (the thread starter included, unless NoRoots).
	Thread string
	// After, when set, keeps only reactions after it in (created_at, id)
	// order: the keyset cursor of paged reads.
	After *ReactionKey
	// Limit bounds the rows returned by Reactions; it must be 1..MaxPage.
	Limit int
	// ChunkRows bounds the reactions EachReaction groups in one query
	// (ClickHouse holds a chunk while grouping and sorting it). Default
	// 200,000.
	ChunkRows int64
}

// ReactionKey is a position in (created_at, id) order.
type ReactionKey struct {
	CreatedAt time.Time
	ID        string
}

// MaxPage bounds ReactionQuery.Limit for paged reads.
const MaxPage = 1000

// defaultChunkRows is the default ReactionQuery.ChunkRows.
const defaultChunkRows = 200_000

// streamBlockRows is the block size of streaming reads (ClickHouse's
// default, 65,536 rows, is tens of megabytes of reactions per block).
const streamBlockRows = 8192

const stateColumns = `id,
    toString(argMax(platform, version)) AS p,
    argMax(parent_id, version), argMax(root_id, version), argMax(relation, version), argMax(is_root, version), argMax(url, version),
    argMax(created_at, version) AS c, argMax(first_seen, version), argMax(author, version),
    argMax(content_warning, version), argMax(text, version), argMax(lang, version), argMax(likes, version), argMax(replies, version),
    argMax(deleted, version), toString(argMax(stance, version)), argMax(stance_score, version),
    argMax(classifier, version)`

// where returns the WHERE clause (row level) and its arguments. Filtering
// rows before grouping is exact: a cancel row is a copy of the state it
// cancels, so within any filter the signs of a dead state sum to zero.
func (q *ReactionQuery) where() (string, []any, error) {
	if !reaction.ValidStoryID(q.Story) {
		return "", nil, fmt.Errorf("reaction query: story %q is not a story id", q.Story)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return "", nil, errors.New("reaction query: to must be after from")
	}
	var b strings.Builder
	args := []any{q.Story}
	b.WriteString("story = ?")
	if !q.From.IsZero() {
		b.WriteString(" AND created_at >= toDateTime(?)")
		args = append(args, q.From.Unix())
	}
	if !q.To.IsZero() {
		b.WriteString(" AND created_at < toDateTime(?)")
		args = append(args, ceilUnix(q.To))
	}
	if len(q.Stances) > 0 {
		b.WriteString(" AND stance IN (")
		for i, st := range q.Stances {
			if !st.Valid() {
				return "", nil, fmt.Errorf("reaction query: unknown stance %q", st)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			args = append(args, string(st))
		}
		b.WriteString(")")
	}
	if len(q.Platforms) > 0 {
		b.WriteString(" AND platform IN (")
		for i, p := range q.Platforms {
			if !p.Valid() {
				return "", nil, fmt.Errorf("reaction query: unknown platform %q", p)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			args = append(args, string(p))
		}
		b.WriteString(")")
	}
	if q.NoRoots {
		b.WriteString(" AND is_root = 0")
	}
	if q.Thread != "" {
		b.WriteString(" AND root_id = ?")
		args = append(args, q.Thread)
	}
	if q.After != nil {
		b.WriteString(" AND (created_at > toDateTime(?) OR (created_at = toDateTime(?) AND id > ?))")
		u := q.After.CreatedAt.Unix()
		args = append(args, u, u, q.After.ID)
	}
	return b.String(), args, nil
}

// ceilUnix is t in Unix seconds, rounded up (created_at has second precision).
func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.Nanosecond() > 0 {
		u++
	}
	return u
}

// Reactions returns one page of q in (created_at, id) order, and whether
// more follow.
func (s *Store) Reactions(ctx context.Context, q ReactionQuery) ([]reaction.Reaction, bool, error) {
	if q.Limit < 1 || q.Limit > MaxPage {
		return nil, false, fmt.Errorf("reaction query: limit %d is not in 1..%d", q.Limit, MaxPage)
	}
	where, args, err := q.where()
	if err != nil {
		return nil, false, err
	}
	var out []reaction.Reaction
	err = s.eachReaction(ctx, where, args, q.Limit+1, func(r *reaction.Reaction) error {
		out = append(out, *r)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// EachReaction calls fn with every reaction of q (Limit and After are
// ignored) in (created_at, id) order, streaming: the rows are read in time
// chunks of at most a few hundred thousand reactions, so memory stays
// bounded however many there are. The *Reaction is reused between calls.
func (s *Store) EachReaction(ctx context.Context, q ReactionQuery, fn func(*reaction.Reaction) error) error {
	return s.eachChunk(ctx, q, func(where string, args []any) error {
		return s.eachReaction(ctx, where, args, 0, fn)
	})
}

// eachChunk calls read with the where clause of each time chunk of q (see
// chunkBounds), in time order. Limit and After are ignored.
func (s *Store) eachChunk(ctx context.Context, q ReactionQuery, read func(where string, args []any) error) error {
	q.After, q.Limit = nil, 0
	bounds, err := s.chunkBounds(ctx, q)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(bounds); i++ {
		cq := q
		cq.From, cq.To = bounds[i], bounds[i+1]
		where, args, err := cq.where()
		if err != nil {
			return err
		}
		if err := read(where, args); err != nil {
			return err
		}
	}
	return nil
}

// chunkBounds splits q's time range at hour starts into chunks holding at
// most about exportChunkRows reactions each, from the hourly counts in
// reaction_minutes. The chunks cover the whole range, contiguously.
func (s *Store) chunkBounds(ctx context.Context, q ReactionQuery) ([]time.Time, error) {
	where := "story = ?"
	args := []any{q.Story}
	if !q.From.IsZero() {
		where += " AND minute >= toDateTime(?)"
		args = append(args, q.From.Unix()-q.From.Unix()%60)
	}
	if !q.To.IsZero() {
		where += " AND minute < toDateTime(?)"
		args = append(args, ceilUnix(q.To))
	}
	rows, err := s.conn.Query(ctx, `SELECT intDiv(toUInt32(minute), 3600) AS h, sum(n) AS c
FROM reaction_minutes WHERE `+where+` GROUP BY h HAVING c > 0 ORDER BY h`, args...)
	if err != nil {
		return nil, fmt.Errorf("count reactions per hour: %w", err)
	}
	defer rows.Close()
	type hour struct {
		h uint32
		n int64
	}
	var hs []hour
	for rows.Next() {
		var h hour
		if err := rows.Scan(&h.h, &h.n); err != nil {
			return nil, fmt.Errorf("count reactions per hour: %w", err)
		}
		hs = append(hs, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count reactions per hour: %w", err)
	}
	if len(hs) == 0 {
		return nil, nil
	}
	from, to := q.From, q.To
	if from.IsZero() {
		from = time.Unix(int64(hs[0].h)*3600, 0).UTC()
	}
	if to.IsZero() {
		to = time.Unix(int64(hs[len(hs)-1].h+1)*3600, 0).UTC()
	}
	chunk := q.ChunkRows
	if chunk <= 0 {
		chunk = defaultChunkRows
	}
	bounds := []time.Time{from}
	var acc int64
	for _, h := range hs {
		start := time.Unix(int64(h.h)*3600, 0).UTC()
		if acc > 0 && acc+h.n > chunk && start.After(bounds[len(bounds)-1]) && start.Before(to) {
			bounds = append(bounds, start)
			acc = 0
		}
		acc += h.n
	}
	return append(bounds, to), nil
}

func (s *Store) eachReaction(ctx context.Context, where string, args []any, limit int, fn func(*reaction.Reaction) error) error {
	sql := "SELECT " + stateColumns + "\nFROM reactions_by_time\nWHERE " + where +
		"\nGROUP BY id HAVING sum(sign) > 0 ORDER BY c, id"
	if limit > 0 {
		sql += " LIMIT ?"
		args = append(args, limit)
	}
	if limit == 0 {
		// Streaming: small blocks keep the client's memory bounded (the
		// driver holds a few decoded blocks at a time).
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows}))
	}
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("query reactions: %w", err)
	}
	defer rows.Close()
	var (
		r               reaction.Reaction
		p, st           string
		deleted, isRoot uint8
		story           = storyOf(args)
		scanArgs        = []any{&r.ID, &p, &r.ParentID, &r.RootID, &r.Relation, &isRoot, &r.URL, &r.CreatedAt, &r.FirstSeen, &r.Author,
			&r.ContentWarning, &r.Text, &r.Lang, &r.Likes, &r.Replies, &deleted, &st, &r.StanceScore, &r.Classifier}
	)
	for rows.Next() {
		if err := rows.Scan(scanArgs...); err != nil {
			return fmt.Errorf("read reactions: %w", err)
		}
		r.Story, r.Platform, r.Stance, r.Deleted, r.IsRoot = story, reaction.Platform(p), reaction.Stance(st), deleted != 0, isRoot != 0
		r.CreatedAt, r.FirstSeen = r.CreatedAt.UTC(), r.FirstSeen.UTC()
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read reactions: %w", err)
	}
	return nil
}

// storyOf returns the story id, the first argument of every where clause.
func storyOf(args []any) string {
	s, _ := args[0].(string)
	return s
}

// ReactionCount is the exact number of reactions q selects, and how many of
// them each classifier version labelled.
type ReactionCount struct {
	Total       int64
	Classifiers map[string]int64
}

// CountReactions counts q's reactions (Limit and After ignored) without
// grouping by id: within one classifier value the signs of dead states sum
// to zero, so sum(sign) per classifier is exact.
func (s *Store) CountReactions(ctx context.Context, q ReactionQuery) (ReactionCount, error) {
	q.After = nil
	where, args, err := q.where()
	if err != nil {
		return ReactionCount{}, err
	}
	rows, err := s.conn.Query(ctx, "SELECT classifier, toInt64(sum(sign)) AS c FROM reactions_by_time WHERE "+where+
		" GROUP BY classifier HAVING c != 0", args...)
	if err != nil {
		return ReactionCount{}, fmt.Errorf("count reactions: %w", err)
	}
	defer rows.Close()
	rc := ReactionCount{Classifiers: map[string]int64{}}
	for rows.Next() {
		var c string
		var n int64
		if err := rows.Scan(&c, &n); err != nil {
			return ReactionCount{}, fmt.Errorf("count reactions: %w", err)
		}
		rc.Classifiers[c] = n
		rc.Total += n
	}
	return rc, rows.Err()
}

// ClassifierNames returns the keys of a classifier count, sorted.
func (rc ReactionCount) ClassifierNames() []string {
	names := make([]string, 0, len(rc.Classifiers))
	for c := range rc.Classifiers {
		names = append(names, c)
	}
	sort.Strings(names)
	return names
}
