package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/reactions-research/reactions/internal/fnv1a"
	"github.com/reactions-research/reactions/reaction"
)

// WriteResult counts what a write did.
type WriteResult struct {
	// New counts reactions stored for the first time.
	New int
	// Updated counts reactions whose stored state changed (edited text,
	// deleted flag, more likes, another stance).
	Updated int
	// Duplicates counts reactions identical to the stored state: nothing
	// was written for them.
	Duplicates int
	// Duplicate[i] reports whether rs[i] was a duplicate, so that a caller
	// writing several senders' reactions in one call can answer each.
	Duplicate []bool
	// Resent counts the times the INSERT was sent again after an error,
	// on a cluster (see insert). Its first attempt may have been stored
	// without all its views: a caller that keeps the views exact
	// reconciles the batch (aggregator/reconcile.go) as after a failure.
	Resent int
}

// resendAttempts bounds the times a cluster write sends its INSERT again
// after an error, waiting 0.1 s, then twice as long each time (3.1 s in
// all): enough for a Distributed INSERT to reach the shard's next replica,
// and for clickhouse-go to connect to the next server of the DSN.
const resendAttempts = 5

// lookupChunk bounds the ids per lookup query: their array literal (about
// 150 KB at 5,000 ids) stays under ClickHouse's default max_query_size of
// 256 KiB.
const lookupChunk = 5000

// reactionColumns is the column list of every INSERT into reactions.
const reactionColumns = "story, platform, id, parent_id, root_id, relation, is_root, url, created_at, first_seen, author, content_warning, text, lang, " +
	"likes, replies, deleted, stance, stance_score, classifier, digest, version, sign"

// historyColumns is the column list of every INSERT into reaction_history:
// those of reactions but sign, and observed_at.
const historyColumns = "story, platform, id, parent_id, root_id, relation, is_root, url, created_at, first_seen, author, content_warning, text, lang, " +
	"likes, replies, deleted, stance, stance_score, classifier, digest, version, observed_at"

// stored is the current state of one reaction in the table.
type stored struct {
	r       reaction.Reaction
	digest  uint64
	version uint64
}

// storyID is the key of a reaction.
type storyID struct{ story, id string }

// Write stores labelled reactions so that counts stay exact however often
// the same reaction is sent. For each reaction it looks up the stored
// state of (story, id): an identical reaction (same content digest)
// writes nothing; a new one writes a +1 row; a changed one writes a -1
// copy of the stored state and a +1 row with the new state and a higher
// version. All rows of one call go in one INSERT, so a failure leaves the
// table as it was. Every state written is kept in reaction_history too
// (see insert).
//
// Every reaction must have a valid Stance: labelling is the caller's. A
// reaction that becomes deleted with its text removed keeps its last
// known stance instead of the one it comes with, and the stored
// first_seen of a reaction never changes.
//
// Write calls are serialised within a Store. Exactness assumes one writing
// process per database (the aggregator).
func (s *Store) Write(ctx context.Context, rs []reaction.Reaction) (WriteResult, error) {
	if len(rs) == 0 {
		return WriteResult{}, nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.cluster != "" {
		stories := make([]string, 0, 1)
		for i := range rs {
			if i == 0 || rs[i].Story != rs[i-1].Story {
				stories = append(stories, rs[i].Story)
			}
		}
		if err := s.awaitReplicas(ctx, stories); err != nil {
			return WriteResult{}, err
		}
	}
	cur := make(map[storyID]*stored, len(rs)) // current state, stored or written by this call
	byStory := map[string][]string{}
	for i := range rs {
		byStory[rs[i].Story] = append(byStory[rs[i].Story], rs[i].ID)
	}
	for st, ids := range byStory {
		found, err := s.lookup(ctx, st, ids)
		if err != nil {
			return WriteResult{}, err
		}
		for id, v := range found {
			cur[storyID{st, id}] = v
		}
	}

	res := WriteResult{Duplicate: make([]bool, len(rs))}
	now := uint64(time.Now().UnixNano())
	rows := newRowBuffer(len(rs))     // most reactions are new: one row each
	states := make([]stored, len(rs)) // the written states, one allocation
	for i := range rs {
		r := &states[i].r
		*r = rs[i]
		r.Normalize()
		d := Digest(r)
		key := storyID{r.Story, r.ID}
		old := cur[key]
		if old != nil && old.digest == d {
			res.Duplicates++
			res.Duplicate[i] = true
			continue
		}
		if old != nil {
			r.FirstSeen = old.r.FirstSeen
			if r.Deleted && r.Text == "" && old.r.Stance.Valid() {
				r.Stance, r.StanceScore, r.Classifier = old.r.Stance, old.r.StanceScore, old.r.Classifier
			}
		}
		if r.FirstSeen.IsZero() {
			r.FirstSeen = time.Now().UTC().Truncate(time.Second)
		}
		if !r.Stance.Valid() {
			return WriteResult{}, fmt.Errorf("reaction %s of story %s has no stance: label it before writing", r.ID, r.Story)
		}
		version := now
		if old != nil {
			rows.add(&old.r, old.digest, old.version, -1)
			if version <= old.version {
				version = old.version + 1
			}
			res.Updated++
		} else {
			res.New++
		}
		rows.add(r, d, version, 1)
		states[i].digest, states[i].version = d, version
		cur[key] = &states[i]
	}
	if rows.len() == 0 {
		return res, nil
	}
	resent, err := s.insert(ctx, rows)
	res.Resent = resent
	if err != nil {
		return WriteResult{}, err
	}
	return res, nil
}

// insert writes rows into reactions in one INSERT, after their +1 rows
// (the states written) into reaction_history, and reports how often it
// sent them again. The caller holds writeMu.
//
// The history goes first so that no stored state is missing from it:
// when the INSERT into reactions fails, the retried write (or, on a
// cluster, the resend) stores the state again, and the history's second
// row has the digest of the first, which its readers skip (EachState); a
// resend of the same rows is deduplicated on a cluster anyway.
//
// On a cluster an INSERT that fails is sent again, the same rows in the
// same order: the writer's INSERTs deduplicate on their shard
// (settings.go), so the resend stores the rows whether or not the failed
// attempt had, and never twice, even when the replica that stored them
// died before the other fetched them (its ZooKeeper keeps the block's id
// for the whole shard). Preparing the write again instead would look the
// rows up on that other replica, miss them, and store them a second time
// once the first came back.
func (s *Store) insert(ctx context.Context, rows *rowBuffer) (resent int, err error) {
	err = s.sendRows(ctx, rows)
	wait := 100 * time.Millisecond
	for ; err != nil && s.cluster != "" && resent < resendAttempts && ctx.Err() == nil; resent++ {
		select {
		case <-ctx.Done():
			continue
		case <-time.After(wait):
		}
		wait *= 2
		err = s.sendRows(ctx, rows)
	}
	return resent, err
}

// sendRows prepares and sends the INSERT of rows' states into
// reaction_history, then the INSERT of rows into reactions.
func (s *Store) sendRows(ctx context.Context, rows *rowBuffer) error {
	history, err := PrepareBatch(ctx, s.inserter, "INSERT INTO reaction_history ("+historyColumns+")")
	if err != nil {
		return fmt.Errorf("prepare insert into reaction_history: %w", err)
	}
	n, err := rows.appendStatesTo(history)
	if err != nil {
		_ = history.Abort()
		return err
	}
	if err := history.Send(); err != nil {
		return fmt.Errorf("insert %d states into reaction_history: %w", n, err)
	}
	batch, err := PrepareBatch(ctx, s.inserter, "INSERT INTO reactions ("+reactionColumns+")")
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	if err := rows.appendTo(batch); err != nil {
		_ = batch.Abort()
		return err
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into reactions: %w", rows.len(), err)
	}
	return nil
}

// selectCurrent selects the current state of reactions: one row per id
// with sum(sign) > 0, every column from the row with the highest version.
const selectCurrent = `SELECT story, id,
    argMax(platform, version), argMax(parent_id, version), argMax(root_id, version), argMax(relation, version), argMax(is_root, version),
    argMax(url, version), argMax(created_at, version), argMax(first_seen, version), argMax(author, version),
    argMax(content_warning, version), argMax(text, version),
    argMax(lang, version), argMax(likes, version), argMax(replies, version), argMax(deleted, version),
    argMax(stance, version), argMax(stance_score, version), argMax(classifier, version),
    argMax(digest, version), max(version)`

func (s *Store) lookup(ctx context.Context, story string, ids []string) (map[string]*stored, error) {
	out := make(map[string]*stored, len(ids))
	for start := 0; start < len(ids); start += lookupChunk {
		end := min(start+lookupChunk, len(ids))
		// The ids go as one array, not as a tuple of literals for "id IN
		// (…)": ClickHouse 18.16 takes several times longer to parse
		// thousands of literals than the lookup itself (BenchmarkWrite).
		rows, err := s.conn.Query(ctx, selectCurrent+`
FROM reactions WHERE story = ? AND id IN (SELECT arrayJoin(?))
GROUP BY story, id HAVING sum(sign) > 0`, story, ids[start:end])
		if err != nil {
			return nil, fmt.Errorf("look up stored reactions: %w", err)
		}
		for rows.Next() {
			var v stored
			if err := scanCurrent(rows, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up stored reactions: %w", err)
			}
			out[v.r.ID] = &v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up stored reactions: %w", err)
		}
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanCurrent(rows scanner, v *stored) error {
	var platform, stance string
	var deleted, isRoot uint8
	r := &v.r
	if err := rows.Scan(&r.Story, &r.ID, &platform, &r.ParentID, &r.RootID, &r.Relation, &isRoot, &r.URL, &r.CreatedAt, &r.FirstSeen,
		&r.Author, &r.ContentWarning, &r.Text, &r.Lang, &r.Likes, &r.Replies, &deleted, &stance, &r.StanceScore, &r.Classifier,
		&v.digest, &v.version); err != nil {
		return err
	}
	r.Platform, r.Stance, r.Deleted, r.IsRoot = reaction.Platform(platform), reaction.Stance(stance), deleted == 1, isRoot == 1
	r.CreatedAt, r.FirstSeen = r.CreatedAt.UTC(), r.FirstSeen.UTC()
	return nil
}

// Digest hashes what a platform can change about a reaction (not first_seen,
// and not the stance, which is derived): two versions with the same digest
// are the same reaction state. is_root and content_warning are hashed only
// when set, and relation only when it is not what parent_id implies
// (reaction.ImpliedRelation), so that the digests stored before they
// existed still match.
func Digest(r *reaction.Reaction) uint64 {
	h := fnv1a.Offset
	h = fnv1a.Field(h, string(r.Platform))
	h = fnv1a.Field(h, r.ParentID)
	h = fnv1a.Field(h, r.RootID)
	h = fnv1a.Field(h, r.URL)
	h = fnv1a.Uint64(h, uint64(r.CreatedAt.Unix()))
	h = fnv1a.Field(h, r.Author)
	h = fnv1a.Field(h, r.Text)
	h = fnv1a.Field(h, r.Lang)
	h = fnv1a.Uint64(h, uint64(r.Likes))
	h = fnv1a.Uint64(h, uint64(r.Replies))
	var deleted uint64
	if r.Deleted {
		deleted = 1
	}
	h = fnv1a.Uint64(h, deleted)
	if r.IsRoot {
		h = fnv1a.Field(h, "is_root")
	}
	if r.ContentWarning != "" {
		h = fnv1a.Field(fnv1a.Field(h, "content_warning"), r.ContentWarning)
	}
	if r.Relation != "" && r.Relation != r.ImpliedRelation() {
		h = fnv1a.Field(fnv1a.Field(h, "relation"), r.Relation)
	}
	return h
}

// CurrentReactions calls fn for the current state of every reaction of a
// story, ordered by id, streaming (bounded memory). It is what reclassify
// and full exports read.
func (s *Store) CurrentReactions(ctx context.Context, story string, fn func(r *reaction.Reaction) error) error {
	rows, err := s.conn.Query(ctx, selectCurrent+`
FROM reactions WHERE story = ?
GROUP BY story, id HAVING sum(sign) > 0 ORDER BY id`, story)
	if err != nil {
		return fmt.Errorf("read reactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v stored
		if err := scanCurrent(rows, &v); err != nil {
			return fmt.Errorf("read reactions: %w", err)
		}
		if err := fn(&v.r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// StoredReactions returns the current state of the reactions of story
// with the given ids that are stored, in no order: what the aggregator
// reads to relabel a story, a chunk at a time.
func (s *Store) StoredReactions(ctx context.Context, story string, ids []string) ([]reaction.Reaction, error) {
	cur, err := s.lookup(ctx, story, ids)
	if err != nil {
		return nil, err
	}
	out := make([]reaction.Reaction, 0, len(cur))
	for _, v := range cur {
		out = append(out, v.r)
	}
	return out, nil
}

// Relabel stores new stance labels: rs are reactions read from the store
// (StoredReactions) and labelled again. For each whose stored state is
// still the one read (same content digest) and whose stance, score or
// classifier differ, it writes a cancel row of the stored state and the
// relabelled state, so that counts follow; a reaction changed or gone
// meanwhile is left to its writer, and one deleted with its text removed
// keeps its last known stance, as with Write. It returns how many it
// changed.
func (s *Store) Relabel(ctx context.Context, rs []reaction.Reaction) (changed int, err error) {
	if len(rs) == 0 {
		return 0, nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur := map[storyID]*stored{}
	byStory := map[string][]string{}
	for i := range rs {
		byStory[rs[i].Story] = append(byStory[rs[i].Story], rs[i].ID)
	}
	for st, ids := range byStory {
		for start := 0; start < len(ids); start += lookupChunk {
			found, err := s.lookup(ctx, st, ids[start:min(start+lookupChunk, len(ids))])
			if err != nil {
				return 0, err
			}
			for id, v := range found {
				cur[storyID{st, id}] = v
			}
		}
	}
	rows := newRowBuffer(2 * len(rs))
	for i := range rs {
		r := rs[i]
		old := cur[storyID{r.Story, r.ID}]
		switch {
		case old == nil || Digest(&old.r) != Digest(&r):
			// Gone or changed since it was read (both digests computed
			// now: a stored one may predate a field).
			continue
		case r.Deleted && r.Text == "":
			continue // nothing to classify: keep the last known stance
		case r.Stance == old.r.Stance && r.Classifier == old.r.Classifier && math.Abs(r.StanceScore-old.r.StanceScore) < 1e-9:
			continue
		case !r.Stance.Valid():
			return 0, fmt.Errorf("reaction %s of story %s has no stance: label it before writing", r.ID, r.Story)
		}
		rows.add(&old.r, old.digest, old.version, -1)
		rows.add(&r, old.digest, old.version+1, 1)
		changed++
	}
	if changed == 0 {
		return 0, nil
	}
	if _, err := s.insert(ctx, rows); err != nil {
		return 0, fmt.Errorf("write relabelled reactions: %w", err)
	}
	return changed, nil
}

// Counts returns the number of current reactions of a story by platform and
// stance, from the per-minute table (what charts read), thread starters
// left out unless includeRoots.
func (s *Store) Counts(ctx context.Context, story string, includeRoots bool) (map[reaction.Platform]map[reaction.Stance]int64, error) {
	rows, err := s.conn.Query(ctx, `SELECT platform, stance, sum(n) FROM reaction_minutes
WHERE story = ?`+rootFilter(includeRoots)+` GROUP BY platform, stance HAVING sum(n) != 0`, story)
	if err != nil {
		return nil, fmt.Errorf("count reactions: %w", err)
	}
	defer rows.Close()
	out := map[reaction.Platform]map[reaction.Stance]int64{}
	for rows.Next() {
		var p, st string
		var n int64
		if err := rows.Scan(&p, &st, &n); err != nil {
			return nil, fmt.Errorf("count reactions: %w", err)
		}
		if out[reaction.Platform(p)] == nil {
			out[reaction.Platform(p)] = map[reaction.Stance]int64{}
		}
		out[reaction.Platform(p)][reaction.Stance(st)] = n
	}
	return out, rows.Err()
}

// rootFilter is the condition on reaction_minutes that leaves thread
// starters out, unless includeRoots.
func rootFilter(includeRoots bool) string {
	if includeRoots {
		return ""
	}
	return " AND is_root = 0"
}
