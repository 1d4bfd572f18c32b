package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/reactions-research/reactions/reaction"
)

// How an observed state differs from the one observed before it
// (State.Change). When several things changed at once, the first of
// deleted, restored, edited, other, score names it.
const (
	// ChangeNew is a reaction's first observed state.
	ChangeNew = "new"
	// ChangeEdited: the text or the content warning of a visible reaction
	// changed.
	ChangeEdited = "edited"
	// ChangeDeleted: the reaction was deleted or removed on the platform.
	ChangeDeleted = "deleted"
	// ChangeRestored: a deleted reaction is visible again.
	ChangeRestored = "restored"
	// ChangeScore: only the score (likes) or the reply count changed.
	ChangeScore = "score"
	// ChangeOther: something else the platform shows changed (its parent,
	// URL, language, author, thread-starter flag, or the placeholder text
	// of a deleted reaction).
	ChangeOther = "other"
)

// State is one observed state of a reaction (reaction_history).
type State struct {
	reaction.Reaction
	// N numbers the reaction's observed states from 1.
	N int
	// ObservedAt is when the state was stored, to the second: at most a
	// few seconds after the crawl that saw it, unless the aggregator's
	// spool held it while ClickHouse was down.
	ObservedAt time.Time
	// Version is the state's version in reactions.
	Version uint64
	// Change says how it differs from the state before (ChangeNew for
	// the first).
	Change string
	digest uint64
}

// HistoryQuery selects observed states.
type HistoryQuery struct {
	// Reactions selects the reactions: story, created_at range, platforms
	// (Stances, NoRoots and Thread apply too, to each state). Limit and
	// After are ignored.
	Reactions ReactionQuery
	// IDs, when set, keeps only these reactions (and ignores the range).
	IDs []string
	// ContentOnly leaves out the states whose only change is the score or
	// the reply count (ChangeScore); they are still compared with.
	ContentOnly bool
}

const stateSelect = `SELECT id, version, toString(platform), parent_id, root_id, relation, is_root, url, created_at, first_seen,
    author, content_warning, text, lang, likes, replies, deleted, toString(stance), stance_score, classifier, digest, observed_at
FROM reaction_history`

// EachState calls fn with every observed state of q's reactions, each
// reaction's states in the order observed, reactions in (created_at, id)
// order (by id with IDs), streaming in time chunks as EachReaction does.
// A relabelling stores a row but is no observed state: a row with the
// digest of the state before it is skipped. The *State is reused between
// calls.
func (s *Store) EachState(ctx context.Context, q HistoryQuery, fn func(*State) error) error {
	var it stateIterator
	it.contentOnly, it.fn = q.ContentOnly, fn
	if len(q.IDs) > 0 {
		if !reaction.ValidStoryID(q.Reactions.Story) {
			return fmt.Errorf("history query: story %q is not a story id", q.Reactions.Story)
		}
		for start := 0; start < len(q.IDs); start += lookupChunk {
			end := min(start+lookupChunk, len(q.IDs))
			if err := s.readStates(ctx, &it, "story = ? AND id IN (SELECT arrayJoin(?))", []any{q.Reactions.Story, q.IDs[start:end]}, "id, version"); err != nil {
				return err
			}
		}
		return nil
	}
	return s.eachChunk(ctx, q.Reactions, func(where string, args []any) error {
		return s.readStates(ctx, &it, where, args, "created_at, id, version")
	})
}

// readStates reads the states of where (one row per id and version).
func (s *Store) readStates(ctx context.Context, it *stateIterator, where string, args []any, order string) error {
	rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows})),
		stateSelect+"\nWHERE "+where+"\nORDER BY "+order+" LIMIT 1 BY id, version", args...)
	if err != nil {
		return fmt.Errorf("query reaction history: %w", err)
	}
	defer rows.Close()
	story := storyOf(args)
	for rows.Next() {
		st := &it.cur
		r := &st.Reaction
		var p, stance string
		var isRoot, deleted uint8
		if err := rows.Scan(&r.ID, &st.Version, &p, &r.ParentID, &r.RootID, &r.Relation, &isRoot, &r.URL, &r.CreatedAt, &r.FirstSeen,
			&r.Author, &r.ContentWarning, &r.Text, &r.Lang, &r.Likes, &r.Replies, &deleted, &stance, &r.StanceScore, &r.Classifier,
			&st.digest, &st.ObservedAt); err != nil {
			return fmt.Errorf("read reaction history: %w", err)
		}
		r.Story, r.Platform, r.Stance, r.IsRoot, r.Deleted = story, reaction.Platform(p), reaction.Stance(stance), isRoot != 0, deleted != 0
		r.CreatedAt, r.FirstSeen, st.ObservedAt = r.CreatedAt.UTC(), r.FirstSeen.UTC(), st.ObservedAt.UTC()
		if err := it.next(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read reaction history: %w", err)
	}
	return nil
}

// stateIterator numbers and classifies the states read, one reaction's
// states after another.
type stateIterator struct {
	cur, prev   State
	has         bool
	contentOnly bool
	fn          func(*State) error
}

func (it *stateIterator) next() error {
	cur := &it.cur
	same := it.has && it.prev.ID == cur.ID
	if same && it.prev.digest == cur.digest {
		return nil // relabelled: no new observation
	}
	if same {
		cur.N, cur.Change = it.prev.N+1, change(&it.prev.Reaction, &cur.Reaction)
	} else {
		cur.N, cur.Change = 1, ChangeNew
	}
	it.prev, it.has = *cur, true
	if it.contentOnly && cur.Change == ChangeScore {
		return nil
	}
	return it.fn(cur)
}

// change names how b differs from a, the state before it.
func change(a, b *reaction.Reaction) string {
	switch {
	case !a.Deleted && b.Deleted:
		return ChangeDeleted
	case a.Deleted && !b.Deleted:
		return ChangeRestored
	case !b.Deleted && (a.Text != b.Text || a.ContentWarning != b.ContentWarning):
		return ChangeEdited
	case a.Text != b.Text || a.ContentWarning != b.ContentWarning || a.ParentID != b.ParentID || a.RootID != b.RootID || a.Relation != b.Relation || a.IsRoot != b.IsRoot || a.URL != b.URL ||
		a.Lang != b.Lang || a.Author != b.Author || !a.CreatedAt.Equal(b.CreatedAt) || a.Platform != b.Platform:
		return ChangeOther
	}
	return ChangeScore
}

// HistorySummary is what the drill-down shows of a reaction's history.
type HistorySummary struct {
	// States counts its observed states.
	States int
	// Edits counts the states whose change is ChangeEdited.
	Edits int
	// DeletedAt is when it was first seen deleted after being seen
	// visible, if it is deleted now: it was deleted at some moment
	// before. Zero when it is not deleted, or was deleted when first
	// collected (when is then unknown).
	DeletedAt time.Time
}

// HistorySummaries returns the history summary of each of a story's
// reactions in ids that has a history.
func (s *Store) HistorySummaries(ctx context.Context, story string, ids []string) (map[string]HistorySummary, error) {
	out := map[string]HistorySummary{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.EachState(ctx, HistoryQuery{Reactions: ReactionQuery{Story: story}, IDs: ids}, func(st *State) error {
		h := out[st.ID]
		h.States++
		switch {
		case st.Change == ChangeEdited:
			h.Edits++
		case st.Change == ChangeDeleted:
			h.DeletedAt = st.ObservedAt
		case st.Change == ChangeRestored:
			h.DeletedAt = time.Time{}
		}
		out[st.ID] = h
		return nil
	})
	return out, err
}

// DeletedCounts returns, for each key of q (as SeriesCounts groups), how
// many of its reactions are deleted now. Exact from the sign sums: the
// rows of a reaction's earlier states cancel out within deleted = 0.
func (s *Store) DeletedCounts(ctx context.Context, q SeriesQuery) ([]KeyCount, error) {
	expr, args, err := q.keyExprOn("toInt64(toUInt32(toStartOfMinute(created_at)))")
	if err != nil {
		return nil, err
	}
	sql := "SELECT " + expr + ` AS k, toInt64(sum(sign)) AS n
FROM reactions_by_time
WHERE story = ? AND deleted = 1 AND created_at >= toDateTime(?) AND created_at < toDateTime(?)`
	args = append(args, q.Story, q.From.Unix(), q.To.Unix())
	if q.Platform != "" {
		sql += " AND platform = ?"
		args = append(args, string(q.Platform))
	}
	if !q.IncludeRoots {
		sql += " AND is_root = 0"
	}
	sql += "\nGROUP BY k HAVING n != 0 ORDER BY k"
	rows, err := s.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("count deleted reactions: %w", err)
	}
	defer rows.Close()
	var out []KeyCount
	for rows.Next() {
		var c KeyCount
		if err := rows.Scan(&c.Key, &c.N); err != nil {
			return nil, fmt.Errorf("count deleted reactions: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// KeyCount is a count for one key of a SeriesQuery.
type KeyCount struct {
	Key int64
	N   int64
}
