package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/reactions-research/reactions/reaction"
)

// Sample is a stored sample of a story's reactions, drawn for coders (see
// package coding for how it is drawn). It is written once, with its items,
// and never changed.
type Sample struct {
	Story string `json:"story"`
	// Name is the sample's name, unique within the story.
	Name string `json:"name"`
	// Strategy is stratified, random or uncertain.
	Strategy string `json:"strategy"`
	Seed     uint64 `json:"seed"`
	// Filters are the population the sample was drawn from.
	Filters SampleFilters `json:"filters"`
	// N is the size asked for, Drawn the number of items (less when the
	// population is smaller).
	N     int `json:"n"`
	Drawn int `json:"drawn"`
	// Population is the number of reactions it was drawn from.
	Population int64 `json:"population"`
	// Estimable reports whether the sample is a probability sample whose
	// items may estimate error rates (false for uncertain).
	Estimable bool `json:"estimable"`
	// Classifier is the version of the classifier whose labels the draw
	// saw (several, comma-separated, when the story was mixed).
	Classifier string `json:"classifier"`
	// Overlap is the share of items every coder codes, for reliability.
	Overlap float64 `json:"overlap"`
	// Design is the draw's details as JSON (the strata of a stratified
	// draw), or null.
	Design    json.RawMessage `json:"design"`
	CreatedAt time.Time       `json:"created_at"`
}

// SampleFilters restrict the population a sample is drawn from.
type SampleFilters struct {
	// From and To bound created_at, [From, To); zero is unbounded.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Platform keeps one platform; "" keeps all.
	Platform reaction.Platform `json:"platform,omitempty"`
}

// SampleItem is one reaction of a sample.
type SampleItem struct {
	// Position is the item's place in presentation order, from 1.
	Position int    `json:"position"`
	ID       string `json:"id"`
	// Pi is the inclusion probability (0 for a sample that is not a
	// probability sample), Stratum the variance stratum (coding.Sampled).
	Pi      float64 `json:"pi"`
	Stratum string  `json:"stratum"`
	// Day is the UTC day of created_at the draw stratified by (days since
	// 1970-01-01).
	Day int32 `json:"day"`
	// Predicted and Score are the classifier's label and confidence when
	// the sample was drawn. Coders never see them.
	Predicted reaction.Stance `json:"predicted"`
	Score     float64         `json:"score"`
	// Overlap reports whether every coder codes this item.
	Overlap bool `json:"overlap"`
}

// The codes a Coding may hold besides the three stances.
const (
	// CodeUnclear is the coders' "no stance can be judged" (key 0).
	CodeUnclear reaction.Stance = "unclear"
	// CodeWithdrawn takes back a coder's earlier code (an undo): the coder
	// has no code for the item until a later one.
	CodeWithdrawn reaction.Stance = "withdrawn"
)

// ValidCode reports whether c may be stored as a code.
func ValidCode(c reaction.Stance) bool {
	return c.Valid() || c == CodeUnclear || c == CodeWithdrawn
}

// Coding is one code given to one reaction: a revision. A coder's code for
// a reaction is their latest revision; an adjudication's is the final code.
type Coding struct {
	Story string `json:"story"`
	// Sample is the sample the code was given in ("" when none).
	Sample string `json:"sample"`
	ID     string `json:"id"`
	// Coder is the coder's or adjudicator's name, as they gave it.
	Coder string `json:"coder"`
	// Adjudication marks an adjudicator's final code.
	Adjudication bool `json:"adjudication"`
	// Code is a stance, CodeUnclear or CodeWithdrawn.
	Code reaction.Stance `json:"code"`
	// CodedAt is when it was given (seconds); WriteCodings sets it when
	// zero.
	CodedAt time.Time `json:"coded_at"`
	// Seq orders the revisions of a story (set by WriteCodings when 0):
	// the latest revision has the highest.
	Seq uint64 `json:"seq"`
	// Source says where the code came from: "dashboard", "import FILE",
	// "demo".
	Source string `json:"source"`
}

// ErrSampleExists is returned by PutSample when the story already has a
// sample of that name.
var ErrSampleExists = errors.New("sample exists")

// maxNameBytes bounds coder and sample names.
const maxNameBytes = 200

// PutSample stores a sample and its items: the items first, then the
// sample's row, so that a sample that can be read is complete. It fails
// with ErrSampleExists when the story has a sample of that name.
func (s *Store) PutSample(ctx context.Context, smp Sample, items []SampleItem) error {
	switch {
	case !reaction.ValidStoryID(smp.Story):
		return fmt.Errorf("store sample: story %q is not a story id", smp.Story)
	case strings.TrimSpace(smp.Name) == "" || len(smp.Name) > maxNameBytes:
		return fmt.Errorf("store sample: name %q is empty or longer than %d bytes", smp.Name, maxNameBytes)
	}
	if _, err := s.GetSample(ctx, smp.Story, smp.Name); err == nil {
		return fmt.Errorf("store sample %s of %s: %w", smp.Name, smp.Story, ErrSampleExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	filters, err := json.Marshal(smp.Filters)
	if err != nil {
		return fmt.Errorf("store sample: %w", err)
	}
	design := smp.Design
	if len(design) == 0 {
		design = json.RawMessage("null")
	}
	if smp.CreatedAt.IsZero() {
		smp.CreatedAt = time.Now()
	}
	if len(items) > 0 {
		b, err := PrepareBatch(ctx, s.conn, "INSERT INTO sample_items (story, sample, position, id, pi, stratum, day, predicted, score, overlap)")
		if err != nil {
			return fmt.Errorf("store sample items: %w", err)
		}
		defer b.Abort()
		for _, it := range items {
			pred := it.Predicted
			if !pred.Valid() {
				pred = reaction.Neutral // the column's default; unlabelled reactions are not stored
			}
			var overlap uint8
			if it.Overlap {
				overlap = 1
			}
			if err := b.Append(smp.Story, smp.Name, uint32(it.Position), it.ID, it.Pi, it.Stratum, it.Day, string(pred), it.Score, overlap); err != nil {
				return fmt.Errorf("store sample items: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("store sample items: %w", err)
		}
	}
	b, err := PrepareBatch(ctx, s.conn, "INSERT INTO samples (story, sample, strategy, seed, filters, n, drawn, population, estimable, classifier, overlap, design, created_at)")
	if err != nil {
		return fmt.Errorf("store sample: %w", err)
	}
	defer b.Abort()
	var est uint8
	if smp.Estimable {
		est = 1
	}
	if err := b.Append(smp.Story, smp.Name, smp.Strategy, smp.Seed, string(filters), uint32(smp.N), uint32(len(items)), smp.Population,
		est, smp.Classifier, smp.Overlap, string(design), clampTime(smp.CreatedAt)); err != nil {
		return fmt.Errorf("store sample: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store sample: %w", err)
	}
	return nil
}

// Samples returns a story's samples, oldest first.
func (s *Store) Samples(ctx context.Context, story string) ([]Sample, error) {
	return s.samples(ctx, story, "")
}

// GetSample returns one sample, or an error wrapping ErrNotFound.
func (s *Store) GetSample(ctx context.Context, story, name string) (*Sample, error) {
	out, err := s.samples(ctx, story, name)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sample %q of story %q: %w", name, story, ErrNotFound)
	}
	return &out[0], nil
}

func (s *Store) samples(ctx context.Context, story, name string) ([]Sample, error) {
	q := `SELECT sample, strategy, seed, filters, n, drawn, population, estimable, classifier, overlap, design, created_at
FROM samples WHERE story = ?`
	args := []any{story}
	if name != "" {
		q += " AND sample = ?"
		args = append(args, name)
	}
	// A sample is written once; LIMIT 1 BY hides a row written twice
	// before a merge.
	q += "\nORDER BY created_at, sample LIMIT 1 BY sample"
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	defer rows.Close()
	var out []Sample
	for rows.Next() {
		smp := Sample{Story: story}
		var filters, design string
		var n, drawn uint32
		var est uint8
		if err := rows.Scan(&smp.Name, &smp.Strategy, &smp.Seed, &filters, &n, &drawn, &smp.Population, &est,
			&smp.Classifier, &smp.Overlap, &design, &smp.CreatedAt); err != nil {
			return nil, fmt.Errorf("read samples: %w", err)
		}
		if err := json.Unmarshal([]byte(filters), &smp.Filters); err != nil {
			return nil, fmt.Errorf("sample %s: stored filters do not decode: %w", smp.Name, err)
		}
		smp.N, smp.Drawn, smp.Estimable = int(n), int(drawn), est == 1
		smp.Design, smp.CreatedAt = json.RawMessage(design), smp.CreatedAt.UTC()
		out = append(out, smp)
	}
	return out, rows.Err()
}

// SampleItems returns a sample's items in presentation order.
func (s *Store) SampleItems(ctx context.Context, story, name string) ([]SampleItem, error) {
	rows, err := s.conn.Query(ctx, `SELECT position, id, pi, stratum, day, toString(predicted), score, overlap
FROM sample_items WHERE story = ? AND sample = ?
ORDER BY position LIMIT 1 BY position`, story, name)
	if err != nil {
		return nil, fmt.Errorf("read sample items: %w", err)
	}
	defer rows.Close()
	var out []SampleItem
	for rows.Next() {
		var it SampleItem
		var pos uint32
		var pred string
		var overlap uint8
		if err := rows.Scan(&pos, &it.ID, &it.Pi, &it.Stratum, &it.Day, &pred, &it.Score, &overlap); err != nil {
			return nil, fmt.Errorf("read sample items: %w", err)
		}
		it.Position, it.Predicted, it.Overlap = int(pos), reaction.Stance(pred), overlap == 1
		out = append(out, it)
	}
	return out, rows.Err()
}

// Candidate is a reaction that a sample may draw: its current state's
// label.
type Candidate struct {
	ID         string
	CreatedAt  time.Time
	Stance     reaction.Stance
	Score      float64
	Classifier string
}

// CandidateQuery selects the reactions a sample is drawn from: the current
// states of a story's reactions that are not deleted (a deleted reaction
// has no text to code) and do not start a thread (reaction.Reaction.IsRoot:
// charts leave them out by default, and so do the estimates).
type CandidateQuery struct {
	// Story is the story id. Required.
	Story string
	// Filters restrict the population.
	Filters SampleFilters
	// ChunkRows bounds the reactions grouped per query. Default 200,000.
	ChunkRows int64
}

// EachCandidate calls fn for every reaction of q, streaming in time chunks
// (as EachReaction does), in no particular order. The *Candidate is reused.
func (s *Store) EachCandidate(ctx context.Context, q CandidateQuery, fn func(*Candidate) error) error {
	rq := ReactionQuery{Story: q.Story, From: q.Filters.From, To: q.Filters.To, ChunkRows: q.ChunkRows, NoRoots: true}
	if q.Filters.Platform != "" {
		rq.Platforms = []reaction.Platform{q.Filters.Platform}
	}
	bounds, err := s.chunkBounds(ctx, rq)
	if err != nil {
		return err
	}
	var c Candidate
	var st string
	for i := 0; i+1 < len(bounds); i++ {
		cq := rq
		cq.From, cq.To = bounds[i], bounds[i+1]
		where, args, err := cq.where()
		if err != nil {
			return err
		}
		rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": streamBlockRows})),
			`SELECT id, argMax(created_at, version), toString(argMax(stance, version)), argMax(stance_score, version), argMax(classifier, version)
FROM reactions_by_time WHERE `+where+`
GROUP BY id HAVING sum(sign) > 0 AND argMax(deleted, version) = 0`, args...)
		if err != nil {
			return fmt.Errorf("read sample candidates: %w", err)
		}
		for rows.Next() {
			if err := rows.Scan(&c.ID, &c.CreatedAt, &st, &c.Score, &c.Classifier); err != nil {
				rows.Close()
				return fmt.Errorf("read sample candidates: %w", err)
			}
			c.Stance, c.CreatedAt = reaction.Stance(st), c.CreatedAt.UTC()
			if err := fn(&c); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read sample candidates: %w", err)
		}
	}
	return nil
}

// ReactionsByID returns the current state of the given reactions of a
// story, by id; ids not stored (or no longer) are absent.
func (s *Store) ReactionsByID(ctx context.Context, story string, ids []string) (map[string]reaction.Reaction, error) {
	got, err := s.lookup(ctx, story, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]reaction.Reaction, len(got))
	for id, v := range got {
		out[id] = v.r
	}
	return out, nil
}

// seqClock hands out Coding.Seq values: nanoseconds since 1970, strictly
// increasing within the process.
var seqClock struct {
	sync.Mutex
	last uint64
}

func nextSeq(now time.Time) uint64 {
	seqClock.Lock()
	defer seqClock.Unlock()
	v := uint64(now.UnixNano())
	if v <= seqClock.last {
		v = seqClock.last + 1
	}
	seqClock.last = v
	return v
}

// WriteCodings stores codes in one INSERT: all of them or, on error, none.
// A zero CodedAt becomes now, and a zero Seq the next in this process, in
// the order given (so a later code in cs is a later revision). Every code
// is checked first; the error names the first bad one by its index.
func (s *Store) WriteCodings(ctx context.Context, cs []Coding) error {
	if len(cs) == 0 {
		return nil
	}
	for i := range cs {
		c := &cs[i]
		switch {
		case !reaction.ValidStoryID(c.Story):
			return fmt.Errorf("code %d: story %q is not a story id", i+1, c.Story)
		case c.ID == "":
			return fmt.Errorf("code %d: empty reaction id", i+1)
		case strings.TrimSpace(c.Coder) == "" || len(c.Coder) > maxNameBytes:
			return fmt.Errorf("code %d: coder name %q is empty or longer than %d bytes", i+1, c.Coder, maxNameBytes)
		case len(c.Sample) > maxNameBytes:
			return fmt.Errorf("code %d: sample name longer than %d bytes", i+1, maxNameBytes)
		case !ValidCode(c.Code):
			return fmt.Errorf("code %d: %q is not support, criticism, neutral, unclear or withdrawn", i+1, c.Code)
		}
	}
	now := time.Now()
	b, err := PrepareBatch(ctx, s.conn, "INSERT INTO codings (story, sample, id, coder, role, code, coded_at, seq, source)")
	if err != nil {
		return fmt.Errorf("store codes: %w", err)
	}
	defer b.Abort()
	for i := range cs {
		c := &cs[i]
		if c.CodedAt.IsZero() {
			c.CodedAt = now
		}
		c.CodedAt = c.CodedAt.UTC().Truncate(time.Second)
		if c.Seq == 0 {
			c.Seq = nextSeq(now)
		}
		role := "coder"
		if c.Adjudication {
			role = "adjudicator"
		}
		if err := b.Append(c.Story, c.Sample, c.ID, c.Coder, role, string(c.Code), clampTime(c.CodedAt), c.Seq, c.Source); err != nil {
			return fmt.Errorf("store codes: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store codes: %w", err)
	}
	return nil
}

const codingColumns = "sample, id, coder, toString(role), toString(code), coded_at, seq, source"

// Codings returns every revision of every code of a story, in the order
// given (by Seq).
func (s *Store) Codings(ctx context.Context, story string) ([]Coding, error) {
	return s.codings(ctx, story, `SELECT `+codingColumns+` FROM codings WHERE story = ? ORDER BY seq, id, coder`)
}

// LatestCodings returns, per reaction and coder (and per reaction and
// adjudicator), the latest revision, leaving out those withdrawn; ordered
// by reaction id, then adjudications last, then coder.
func (s *Store) LatestCodings(ctx context.Context, story string) ([]Coding, error) {
	return s.codings(ctx, story, `SELECT argMax(sample, seq), id, coder, toString(role) AS r, toString(argMax(code, seq)) AS c,
    argMax(coded_at, seq), max(seq), argMax(source, seq)
FROM codings WHERE story = ?
GROUP BY id, coder, role HAVING c != 'withdrawn'
ORDER BY id, r = 'adjudicator', coder`)
}

func (s *Store) codings(ctx context.Context, story, query string) ([]Coding, error) {
	rows, err := s.conn.Query(ctx, query, story)
	if err != nil {
		return nil, fmt.Errorf("read codes: %w", err)
	}
	defer rows.Close()
	var out []Coding
	for rows.Next() {
		c := Coding{Story: story}
		var role, code string
		if err := rows.Scan(&c.Sample, &c.ID, &c.Coder, &role, &code, &c.CodedAt, &c.Seq, &c.Source); err != nil {
			return nil, fmt.Errorf("read codes: %w", err)
		}
		c.Adjudication, c.Code, c.CodedAt = role == "adjudicator", reaction.Stance(code), c.CodedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// CodingVersion identifies the state of a story's codes and samples: it
// changes whenever a code or a sample is added, so a cache keyed by it is
// never stale.
type CodingVersion struct {
	Revisions uint64 `json:"revisions"`
	LastSeq   uint64 `json:"last_seq"`
	// LastCodedAt is when the latest code was given (zero without codes).
	LastCodedAt time.Time `json:"last_coded_at"`
	Samples     uint64    `json:"samples"`
}

// CodingVersion returns the state of a story's codes and samples (two
// small aggregations).
func (s *Store) CodingVersion(ctx context.Context, story string) (CodingVersion, error) {
	var v CodingVersion
	if err := s.conn.QueryRow(ctx, `SELECT count(), max(seq), max(coded_at) FROM codings WHERE story = ?`, story).
		Scan(&v.Revisions, &v.LastSeq, &v.LastCodedAt); err != nil {
		return v, fmt.Errorf("read the state of the codes: %w", err)
	}
	if err := s.conn.QueryRow(ctx, `SELECT uniqExact(sample) FROM samples WHERE story = ?`, story).Scan(&v.Samples); err != nil {
		return v, fmt.Errorf("read the state of the samples: %w", err)
	}
	if v.Revisions == 0 {
		v.LastCodedAt = time.Time{}
	} else {
		v.LastCodedAt = v.LastCodedAt.UTC()
	}
	return v, nil
}

// Label is a reaction's current label: what a validation compares with the
// coders' codes.
type Label struct {
	Stance     reaction.Stance `json:"stance"`
	Score      float64         `json:"score"`
	Classifier string          `json:"classifier"`
}

// SampledLabels returns the current label of every stored reaction that is
// in a sample of the story, by id: the sampled ids, then their labels by
// primary key (a bound set of ids; ClickHouse 18.16 scans the whole story
// for "id IN (SELECT …)").
func (s *Store) SampledLabels(ctx context.Context, story string) (map[string]Label, error) {
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT id FROM sample_items WHERE story = ?`, story)
	if err != nil {
		return nil, fmt.Errorf("read the sampled reactions: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the sampled reactions: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the sampled reactions: %w", err)
	}
	out := make(map[string]Label, len(ids))
	for start := 0; start < len(ids); start += lookupChunk {
		end := min(start+lookupChunk, len(ids))
		rows, err := s.conn.Query(ctx, `SELECT id, toString(argMax(stance, version)), argMax(stance_score, version), argMax(classifier, version)
FROM reactions WHERE story = ? AND id IN (SELECT arrayJoin(?))
GROUP BY id HAVING sum(sign) > 0`, story, ids[start:end])
		if err != nil {
			return nil, fmt.Errorf("read the labels of sampled reactions: %w", err)
		}
		for rows.Next() {
			var id, st string
			var l Label
			if err := rows.Scan(&id, &st, &l.Score, &l.Classifier); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read the labels of sampled reactions: %w", err)
			}
			l.Stance = reaction.Stance(st)
			out[id] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read the labels of sampled reactions: %w", err)
		}
	}
	return out, nil
}
