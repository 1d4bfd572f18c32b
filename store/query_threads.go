package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/reactions-research/reactions/reaction"
)

// Link is what reply networks and thread views read of a reaction (its
// current state): where it sits in its thread, who wrote it and its stance.
// Text is left out, so that a whole story streams cheaply.
type Link struct {
	ID       string
	Platform reaction.Platform
	ParentID string
	RootID   string
	// Relation is how it answers ParentID (reaction.RelationReply or
	// RelationQuote), "" without a parent.
	Relation  string
	IsRoot    bool
	CreatedAt time.Time
	// Author is the pseudonym ("" when the platform gave none).
	Author  string
	Deleted bool
	Stance  reaction.Stance
}

const linkColumns = `id,
    toString(argMax(platform, version)), argMax(parent_id, version), argMax(root_id, version), argMax(relation, version), argMax(is_root, version),
    argMax(created_at, version) AS c, argMax(author, version), argMax(deleted, version), toString(argMax(stance, version))`

// EachLink calls fn with the Link of every reaction of q (Limit and After
// are ignored) in (created_at, id) order, streaming in time chunks as
// EachReaction does. The *Link is reused between calls.
func (s *Store) EachLink(ctx context.Context, q ReactionQuery, fn func(*Link) error) error {
	return s.eachChunk(ctx, q, func(where string, args []any) error {
		sql := "SELECT " + linkColumns + "\nFROM reactions_by_time\nWHERE " + where + "\nGROUP BY id HAVING sum(sign) > 0 ORDER BY c, id"
		rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows})), sql, args...)
		if err != nil {
			return fmt.Errorf("query reply links: %w", err)
		}
		defer rows.Close()
		var (
			l               Link
			p, st           string
			isRoot, deleted uint8
		)
		for rows.Next() {
			if err := rows.Scan(&l.ID, &p, &l.ParentID, &l.RootID, &l.Relation, &isRoot, &l.CreatedAt, &l.Author, &deleted, &st); err != nil {
				return fmt.Errorf("read reply links: %w", err)
			}
			l.Platform, l.Stance, l.IsRoot, l.Deleted, l.CreatedAt = reaction.Platform(p), reaction.Stance(st), isRoot != 0, deleted != 0, l.CreatedAt.UTC()
			if err := fn(&l); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read reply links: %w", err)
		}
		return nil
	})
}

// ThreadOrder is how Threads ranks threads.
type ThreadOrder int

// The orders of Threads.
const (
	// BySize ranks threads by their reactions, most first.
	BySize ThreadOrder = iota
	// ByCriticismShare ranks threads by criticism ÷ (support + criticism),
	// highest first, among threads with at least MinSize support and
	// criticism reactions.
	ByCriticismShare
)

// ThreadQuery asks for the top threads of a story.
type ThreadQuery struct {
	// Reactions selects the reactions counted (story, range, platforms,
	// stances); thread starters are never counted: they open the thread.
	Reactions ReactionQuery
	// By is the ranking.
	By ThreadOrder
	// MinSize is the fewest support + criticism reactions a thread needs to
	// be ranked ByCriticismShare (a share of 2 reactions says little).
	// Default 10.
	MinSize int64
	// Limit bounds the threads returned: 1..MaxPage.
	Limit int
}

// ThreadStat is one thread's reactions within a ThreadQuery.
type ThreadStat struct {
	// RootID is the thread's root_id: its starter's id.
	RootID string
	// Platform is the thread's platform (its root id's prefix).
	Platform reaction.Platform
	// Reactions counts the thread's reactions (current states, duplicates
	// and superseded versions excluded), deleted ones included.
	Reactions                   int64
	Support, Criticism, Neutral int64
	// Deleted counts the reactions now deleted on the platform.
	Deleted int64
	// Authors counts the distinct pseudonymous authors (none for reactions
	// without one).
	Authors int64
	// First and Last are the earliest and latest created_at.
	First, Last time.Time
}

// Threads returns the top threads of q.
func (s *Store) Threads(ctx context.Context, q ThreadQuery) ([]ThreadStat, error) {
	if q.Limit < 1 || q.Limit > MaxPage {
		return nil, fmt.Errorf("thread query: limit %d is not in 1..%d", q.Limit, MaxPage)
	}
	if q.MinSize <= 0 {
		q.MinSize = 10
	}
	rq := q.Reactions
	rq.NoRoots, rq.After = true, nil
	where, args, err := rq.where()
	if err != nil {
		return nil, err
	}
	having, order := "", "n DESC, r"
	if q.By == ByCriticismShare {
		having = "\nHAVING s + c >= ?"
		order = "c / (s + c) DESC, n DESC, r"
	}
	sql := `SELECT r, count() AS n, countIf(st = 'support') AS s, countIf(st = 'criticism') AS c,
    countIf(st = 'neutral'), countIf(d = 1), uniqExactIf(a, a != ''), min(t), max(t)
FROM (
    SELECT id, argMax(root_id, version) AS r, toString(argMax(stance, version)) AS st,
        argMax(deleted, version) AS d, argMax(author, version) AS a, argMax(created_at, version) AS t
    FROM reactions_by_time WHERE ` + where + `
    GROUP BY id HAVING sum(sign) > 0)
GROUP BY r` + having + `
ORDER BY ` + order + ` LIMIT ?`
	if q.By == ByCriticismShare {
		args = append(args, q.MinSize)
	}
	args = append(args, q.Limit)
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query threads: %w", err)
	}
	defer rows.Close()
	var out []ThreadStat
	for rows.Next() {
		var t ThreadStat
		var n, su, cr, ne, del, authors uint64
		if err := rows.Scan(&t.RootID, &n, &su, &cr, &ne, &del, &authors, &t.First, &t.Last); err != nil {
			return nil, fmt.Errorf("read threads: %w", err)
		}
		p, _, _ := strings.Cut(t.RootID, ":")
		t.Platform, t.First, t.Last = reaction.Platform(p), t.First.UTC(), t.Last.UTC()
		t.Reactions, t.Support, t.Criticism, t.Neutral = int64(n), int64(su), int64(cr), int64(ne)
		t.Deleted, t.Authors = int64(del), int64(authors)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read threads: %w", err)
	}
	return out, nil
}
