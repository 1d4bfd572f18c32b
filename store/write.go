package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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
}

// lookupChunk bounds the ids per lookup query (ClickHouse's max_query_size
// is 256 KiB by default).
const lookupChunk = 2000

// reactionColumns is the column list of every INSERT into reactions.
const reactionColumns = "story, platform, id, parent_id, root_id, relation, is_root, url, created_at, first_seen, author, content_warning, text, lang, " +
	"likes, replies, deleted, stance, stance_score, classifier, digest, version, sign"

// IDFilter lets Write skip looking up ids that are certainly not stored:
// when most reactions are new, the lookup is most of a write's cost.
type IDFilter interface {
	// MayBeStored returns the ids of story that may be stored. Every
	// stored id must be among them (false positives only cost a lookup).
	MayBeStored(ctx context.Context, story string, ids []string) ([]string, error)
	// Writing is called, before the insert, with the ids of story that
	// are about to be inserted (also when the insert then fails).
	Writing(story string, ids []string)
}

// SetIDFilter installs f for Write (nil removes it). A filter only knows
// what this process writes: install one only in the single writing process.
func (s *Store) SetIDFilter(f IDFilter) {
	s.writeMu.Lock()
	s.filter = f
	s.writeMu.Unlock()
}

// stored is the current state of one reaction in the table.
type stored struct {
	r       reaction.Reaction
	digest  uint64
	version uint64
}

// WriteReactions stores labelled reactions with exact deduplication: see
// Write.
func (s *Store) WriteReactions(ctx context.Context, rs []reaction.Reaction) (WriteResult, error) {
	return s.Write(ctx, rs, nil)
}

// Write stores reactions so that counts stay exact however often the same
// reaction is sent. For each reaction it looks up the stored state of (story,
// id): an identical reaction (same content digest) writes nothing; a new one
// writes a +1 row; a changed one writes a -1 copy of the stored state and a
// +1 row with the new state and a higher version. All rows of one call go in
// one INSERT, so a failure leaves the table as it was.
//
// label, when not nil, is called for the reactions that will be written (new
// or changed), so duplicates cost no classification; reactions that are
// written must have a valid Stance when Write inserts them. A reaction that
// becomes deleted with its text removed keeps its last known stance. The
// stored first_seen of a reaction never changes.
//
// Write calls are serialised within a Store. Exactness assumes one writing
// process per database (the aggregator).
func (s *Store) Write(ctx context.Context, rs []reaction.Reaction, label func(*reaction.Reaction)) (WriteResult, error) {
	if len(rs) == 0 {
		return WriteResult{}, nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	p, err := s.prepare(ctx, rs, label, nil)
	if err != nil {
		return WriteResult{}, err
	}
	if err := p.send(); err != nil {
		return WriteResult{}, err
	}
	return p.res, nil
}

// WriteEach writes batches as Write does, one after another, but prepares
// each (lookups, dedup, labelling, the INSERT's columns) while ClickHouse
// inserts the one before, so that the writer's work and ClickHouse's
// overlap. next returns the next batch, or none to end; done is called, in
// order, once a batch is written (an error from done ends WriteEach with
// it). Preparing a batch, and sending it, may each take up to timeout (the
// wait for the batch before it does not count): beyond, the write fails
// with context.DeadlineExceeded.
//
// A batch is prepared against the states the batch before it writes, so
// counts are exact as with Write. When a batch's insert fails, the batch
// prepared after it is abandoned, never sent, and WriteEach returns the
// error: done has then been called for exactly the batches that were
// written, and the failed one is the first batch done was not called for.
func (s *Store) WriteEach(ctx context.Context, timeout time.Duration, next func() []reaction.Reaction,
	label func(*reaction.Reaction), done func(WriteResult) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var (
		flying *pendingWrite // being sent
		sent   chan error
	)
	// land waits for the batch in flight and reports it done.
	land := func() error {
		if flying == nil {
			return nil
		}
		p := flying
		flying = nil
		err := <-sent
		p.cancel()
		if err != nil {
			return err
		}
		return done(p.res)
	}
	for {
		rs := next()
		if len(rs) == 0 {
			return land()
		}
		var prev map[storyID]*stored
		if flying != nil {
			prev = flying.cur
		}
		bctx, cancel := context.WithCancel(ctx)
		var p *pendingWrite
		err := timed(timeout, cancel, func() (err error) {
			p, err = s.prepare(bctx, rs, label, prev)
			return err
		})
		if err != nil {
			cancel()
			return errors.Join(land(), err)
		}
		p.cancel = cancel
		if err := land(); err != nil {
			p.abort()
			return err
		}
		if p.batch == nil { // nothing to write
			p.cancel()
			if err := done(p.res); err != nil {
				return err
			}
			continue
		}
		flying, sent = p, make(chan error, 1)
		go func() { sent <- timed(timeout, p.cancel, p.send) }()
	}
}

// timed runs f, calling cancel if f takes longer than timeout; an error of
// f after that is reported as context.DeadlineExceeded (with f's error).
func timed(timeout time.Duration, cancel context.CancelFunc, f func() error) error {
	var fired atomic.Bool
	t := time.AfterFunc(timeout, func() {
		fired.Store(true)
		cancel()
	})
	err := f()
	t.Stop()
	if err != nil && fired.Load() {
		return fmt.Errorf("%w after %s: %w", context.DeadlineExceeded, timeout, err)
	}
	return err
}

// pendingWrite is a write prepared up to its INSERT's Send.
type pendingWrite struct {
	res    WriteResult
	cur    map[storyID]*stored // the states of the batch's reactions once written
	rows   int
	batch  driver.Batch // nil when nothing is to be written
	cancel context.CancelFunc
}

// send sends the prepared INSERT (when there is one).
func (p *pendingWrite) send() error {
	if p.batch == nil {
		return nil
	}
	if err := p.batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into reactions: %w", p.rows, err)
	}
	return nil
}

// abort abandons the prepared INSERT.
func (p *pendingWrite) abort() {
	if p.batch != nil {
		_ = p.batch.Abort()
	}
	if p.cancel != nil {
		p.cancel()
	}
}

// prepare does a write's work up to sending its INSERT: it finds the
// current state of each reaction (in prev, the states of a write prepared
// before and not yet sent, else in the table), decides what to write and
// prepares the INSERT. The caller holds writeMu.
func (s *Store) prepare(ctx context.Context, rs []reaction.Reaction, label func(*reaction.Reaction),
	prev map[storyID]*stored) (*pendingWrite, error) {
	p := &pendingWrite{}
	res := &p.res
	cur := make(map[storyID]*stored, len(rs)) // current state, stored or written by this call
	byStory := map[string][]string{}
	for i := range rs {
		key := storyID{rs[i].Story, rs[i].ID}
		if v, ok := prev[key]; ok {
			cur[key] = v
			continue
		}
		byStory[rs[i].Story] = append(byStory[rs[i].Story], rs[i].ID)
	}
	for st, ids := range byStory {
		if s.filter != nil {
			var err error
			if ids, err = s.filter.MayBeStored(ctx, st, ids); err != nil {
				return nil, fmt.Errorf("look up stored reactions: %w", err)
			}
		}
		found, err := s.lookup(ctx, st, ids)
		if err != nil {
			return nil, err
		}
		for id, v := range found {
			cur[storyID{st, id}] = v
		}
	}

	now := uint64(time.Now().UnixNano())
	rows := newRowBuffer(len(rs)) // most reactions are new: one row each
	res.Duplicate = make([]bool, len(rs))
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
			} else if label != nil {
				label(r)
			}
		} else if label != nil {
			label(r)
		}
		if r.FirstSeen.IsZero() {
			r.FirstSeen = time.Now().UTC().Truncate(time.Second)
		}
		if !r.Stance.Valid() {
			return nil, fmt.Errorf("reaction %s of story %s has no stance: label it before writing", r.ID, r.Story)
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
	p.cur, p.rows = cur, rows.len()
	if rows.len() == 0 {
		return p, nil
	}
	if s.filter != nil {
		written := map[string][]string{}
		for i := range rs {
			if !res.Duplicate[i] {
				written[rs[i].Story] = append(written[rs[i].Story], rs[i].ID)
			}
		}
		for st, ids := range written {
			s.filter.Writing(st, ids)
		}
	}
	batch, err := s.prepareInsert(ctx, rows)
	if err != nil {
		return nil, err
	}
	p.batch = batch
	return p, nil
}

// storyID is the key of a reaction.
type storyID struct{ story, id string }

// prepareInsert prepares an INSERT of rows into reactions, to be sent. The
// caller holds writeMu.
func (s *Store) prepareInsert(ctx context.Context, rows *rowBuffer) (driver.Batch, error) {
	batch, err := PrepareBatch(ctx, s.inserter, "INSERT INTO reactions ("+reactionColumns+")")
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	if err := rows.appendTo(batch); err != nil {
		_ = batch.Abort()
		return nil, err
	}
	return batch, nil
}

// insert writes rows into reactions in one INSERT. The caller holds
// writeMu.
func (s *Store) insert(ctx context.Context, rows *rowBuffer) error {
	batch, err := s.prepareInsert(ctx, rows)
	if err != nil {
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
		rows, err := s.conn.Query(ctx, selectCurrent+`
FROM reactions WHERE story = ? AND id IN ?
GROUP BY story, id HAVING sum(sign) > 0`, story, inSet(ids[start:end]))
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

// inSet binds a list of strings as a tuple for "x IN ?": clickhouse-go binds
// a plain slice as an array, which ClickHouse 18.16 rejects in IN.
func inSet(ids []string) clickhouse.GroupSet {
	v := make([]any, len(ids))
	for i, id := range ids {
		v[i] = id
	}
	return clickhouse.GroupSet{Value: v}
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

// Relabel recomputes the stance of every stored reaction of a story with
// label and writes the ones whose stance, score or classifier changed (a
// cancel row and a new state each), so that counts follow. It returns how
// many reactions it read and how many changed.
func (s *Store) Relabel(ctx context.Context, story string, label func(*reaction.Reaction)) (read, changed int, err error) {
	// Read the ids first: writing while streaming would read our own writes.
	var ids []string
	if err := s.CurrentReactions(ctx, story, func(r *reaction.Reaction) error {
		ids = append(ids, r.ID)
		return nil
	}); err != nil {
		return 0, 0, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for start := 0; start < len(ids); start += lookupChunk {
		end := min(start+lookupChunk, len(ids))
		cur, err := s.lookup(ctx, story, ids[start:end])
		if err != nil {
			return read, changed, err
		}
		var rows rowBuffer
		n := 0
		for _, id := range ids[start:end] {
			old, ok := cur[id]
			if !ok {
				continue
			}
			read++
			r := old.r
			if r.Deleted && r.Text == "" {
				continue // nothing to classify: keep the last known stance
			}
			label(&r)
			if r.Stance == old.r.Stance && r.Classifier == old.r.Classifier &&
				math.Abs(r.StanceScore-old.r.StanceScore) < 1e-9 {
				continue
			}
			rows.add(&old.r, old.digest, old.version, -1)
			rows.add(&r, old.digest, old.version+1, 1)
			n++
		}
		if n == 0 {
			continue
		}
		if err := s.insert(ctx, &rows); err != nil {
			return read, changed, fmt.Errorf("write relabelled reactions: %w", err)
		}
		changed += n
	}
	return read, changed, nil
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
