package study

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// DefaultOverlap is the share of a sample that every coder codes, for
// reliability, when a request names none.
const DefaultOverlap = 0.2

// DrawRequest asks for a sample of a story's reactions.
type DrawRequest struct {
	// Story is the story id. Required.
	Story string
	// Name names the sample within the story. Default "sample-K", K the
	// next free number.
	Name string
	// Design is the strategy (default stratified), size (required) and
	// seed.
	Design coding.Design
	// Filters restrict the population; the default is every reaction of
	// the story that is not deleted.
	Filters store.SampleFilters
	// Overlap is the share of items every coder codes. Default
	// DefaultOverlap when 0; negative means none; at most 1.
	Overlap float64
	// ChunkRows bounds the reactions ClickHouse groups per query
	// (store.CandidateQuery). Default 200,000.
	ChunkRows int64
	// Now is the sample's creation time. Default time.Now().
	Now time.Time
}

// Drawn is a sample and its items.
type Drawn struct {
	Sample store.Sample
	Items  []store.SampleItem
	// Existing reports that the story already had this sample, drawn with
	// the same design and filters: its stored items are returned, not a
	// new draw (the population may have grown since).
	Existing bool
}

// ErrNoReactions is returned when the population to draw from is empty.
var ErrNoReactions = errors.New("no reactions to sample")

// Draw draws a sample of a story's reactions (coding.Draw over the current
// states of its non-deleted reactions, streamed from the store) and stores
// it with its items. A request naming a sample that exists returns that
// sample when its design and filters are the same, and an error otherwise.
func Draw(ctx context.Context, st *store.Store, req DrawRequest) (*Drawn, error) {
	if !reaction.ValidStoryID(req.Story) {
		return nil, fmt.Errorf("story %q is not a story id", req.Story)
	}
	if req.Design.Strategy == "" {
		req.Design.Strategy = coding.Stratified
	}
	if _, err := coding.ParseStrategy(string(req.Design.Strategy)); err != nil {
		return nil, err
	}
	switch {
	case req.Design.N <= 0:
		return nil, fmt.Errorf("sample size %d: want at least 1", req.Design.N)
	case req.Overlap > 1 || math.IsNaN(req.Overlap):
		return nil, fmt.Errorf("overlap %v: want a share between 0 and 1", req.Overlap)
	case req.Overlap == 0:
		req.Overlap = DefaultOverlap
	case req.Overlap < 0:
		req.Overlap = 0
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	existing, err := st.Samples(ctx, req.Story)
	if err != nil {
		return nil, err
	}
	if req.Name == "" {
		req.Name = nextName(existing)
	}
	req.Name = strings.TrimSpace(req.Name)
	if i := slices.IndexFunc(existing, func(s store.Sample) bool { return s.Name == req.Name }); i >= 0 {
		return reuse(ctx, st, existing[i], req)
	}

	versions := map[string]int64{}
	var scanErr error
	candidates := iter.Seq[coding.Candidate](func(yield func(coding.Candidate) bool) {
		stop := errors.New("stop")
		err := st.EachCandidate(ctx, store.CandidateQuery{Story: req.Story, Filters: req.Filters, ChunkRows: req.ChunkRows},
			func(c *store.Candidate) error {
				versions[c.Classifier]++
				if !yield(coding.Candidate{ID: c.ID, Day: int32(c.CreatedAt.Unix() / 86400), Predicted: c.Stance, Score: c.Score}) {
					return stop
				}
				return nil
			})
		if err != nil && !errors.Is(err, stop) {
			scanErr = err
		}
	})
	smp, err := coding.Draw(req.Design, candidates)
	if scanErr != nil {
		return nil, scanErr
	}
	if errors.Is(err, coding.ErrEmptyPopulation) {
		return nil, fmt.Errorf("%w: story %s has no stored reaction that is not deleted%s", ErrNoReactions, req.Story, describeFilters(req.Filters))
	}
	if err != nil {
		return nil, err
	}
	d := &Drawn{Sample: store.Sample{Story: req.Story, Name: req.Name, Strategy: string(smp.Design.Strategy), Seed: smp.Design.Seed,
		Filters: req.Filters, N: req.Design.N, Drawn: len(smp.Items), Population: smp.Population, Estimable: smp.Estimable,
		Classifier: joinVersions(versions), Overlap: req.Overlap, CreatedAt: req.Now.UTC().Truncate(time.Second)}}
	if len(smp.Strata) > 0 {
		b, err := json.Marshal(map[string]any{"strata": smp.Strata})
		if err != nil {
			return nil, err
		}
		d.Sample.Design = b
	}
	overlap := int(math.Ceil(req.Overlap * float64(len(smp.Items))))
	for i, it := range smp.Items {
		d.Items = append(d.Items, store.SampleItem{Position: i + 1, ID: it.ID, Pi: it.Pi, Stratum: it.Stratum, Day: it.Day,
			Predicted: it.Predicted, Score: it.Score, Overlap: i < overlap})
	}
	if err := st.PutSample(ctx, d.Sample, d.Items); err != nil {
		return nil, err
	}
	return d, nil
}

// reuse returns a stored sample when req asks for the same draw.
func reuse(ctx context.Context, st *store.Store, smp store.Sample, req DrawRequest) (*Drawn, error) {
	same := smp.Strategy == string(req.Design.Strategy) && smp.Seed == req.Design.Seed && smp.N == req.Design.N &&
		smp.Filters.From.Equal(req.Filters.From) && smp.Filters.To.Equal(req.Filters.To) && smp.Filters.Platform == req.Filters.Platform
	if !same {
		return nil, fmt.Errorf("story %s already has a sample %q drawn differently (%s, n %d, seed %d%s): give another --name, or the same design to write it out again",
			smp.Story, smp.Name, smp.Strategy, smp.N, smp.Seed, describeFilters(smp.Filters))
	}
	items, err := st.SampleItems(ctx, smp.Story, smp.Name)
	if err != nil {
		return nil, err
	}
	return &Drawn{Sample: smp, Items: items, Existing: true}, nil
}

// nextName returns "sample-K" for the smallest K ≥ 1 not in use.
func nextName(existing []store.Sample) string {
	for k := len(existing) + 1; ; k++ {
		name := fmt.Sprintf("sample-%d", k)
		if !slices.ContainsFunc(existing, func(s store.Sample) bool { return s.Name == name }) {
			return name
		}
	}
}

func joinVersions(v map[string]int64) string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func describeFilters(f store.SampleFilters) string {
	var parts []string
	if !f.From.IsZero() {
		parts = append(parts, "from "+f.From.Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		parts = append(parts, "to "+f.To.Format(time.RFC3339))
	}
	if f.Platform != "" {
		parts = append(parts, "on "+string(f.Platform))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}
