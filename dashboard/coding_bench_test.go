package dashboard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// benchSampleN is the size of the benchmarks' samples: a usual validation
// sample.
const benchSampleN = 400

// BenchmarkCodeSample10M draws and stores a stratified sample of 400 from
// the 10 million reactions, as `reactions code sample` does (the draw
// streams every current, non-deleted reaction's id, day, label and score
// out of ClickHouse), each iteration under a new name:
//
//	go test ./dashboard -run '^$' -bench CodeSample10M -benchtime 3x
func BenchmarkCodeSample10M(b *testing.B) {
	st := bench10M(b)
	ctx := context.Background()
	b.ResetTimer()
	var population int64
	for i := range b.N {
		d, err := study.Draw(ctx, st, study.DrawRequest{Story: benchStory, Name: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i),
			Design: coding.Design{N: benchSampleN, Seed: uint64(i)}})
		if err != nil {
			b.Fatal(err)
		}
		population = d.Sample.Population
	}
	b.StopTimer()
	if population != int64(benchRows) {
		b.Fatalf("drew from %d reactions, want %d", population, benchRows)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sample")
	b.ReportMetric(float64(benchRows)/(b.Elapsed().Seconds()/float64(b.N)), "reactions/s")
}

// benchCoded returns the 10M story with one coded sample (400 items, two
// coders on the overlap), drawing and coding it on first use.
func benchCoded(b *testing.B) *store.Store {
	b.Helper()
	st := bench10M(b)
	ctx := context.Background()
	if _, err := st.GetSample(ctx, benchStory, "bench-coded"); err == nil {
		return st
	}
	d, err := study.Draw(ctx, st, study.DrawRequest{Story: benchStory, Name: "bench-coded", Design: coding.Design{N: benchSampleN, Seed: 99}})
	if err != nil {
		b.Fatal(err)
	}
	var cs []store.Coding
	for i, it := range d.Items {
		// The coders agree with the label three times in four.
		truth := it.Predicted
		if i%4 == 1 {
			truth = reaction.Stances[(i/4)%3]
		}
		cs = append(cs, store.Coding{Story: benchStory, Sample: "bench-coded", ID: it.ID, Coder: "A", Code: truth, Source: "bench"})
		if it.Overlap {
			bo := truth
			if i%9 == 0 {
				bo = reaction.Neutral
			}
			cs = append(cs, store.Coding{Story: benchStory, Sample: "bench-coded", ID: it.ID, Coder: "B", Code: bo, Source: "bench"})
		}
	}
	if err := st.WriteCodings(ctx, cs); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkCodeReport10M builds the coding report of the 10M story as
// `reactions code report --json` does: samples, codes, the sampled
// reactions' labels, agreement, validation, the Corrector (1,000 bootstrap
// replicates each), the story's counts and classifier versions, the
// whole-story estimate and the methods paragraph:
//
//	go test ./dashboard -run '^$' -bench CodeReport10M -benchtime 5x
func BenchmarkCodeReport10M(b *testing.B) {
	st := benchCoded(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		r, err := study.Build(ctx, st, benchStory, study.Options{Samples: []string{"bench-coded"}})
		if err != nil {
			b.Fatal(err)
		}
		raw, err := study.Raw(ctx, st, benchStory)
		if err != nil {
			b.Fatal(err)
		}
		cnt, err := st.CountReactions(ctx, store.ReactionQuery{Story: benchStory, NoRoots: true})
		if err != nil {
			b.Fatal(err)
		}
		if j := r.JSON(raw, cnt.Classifiers); j.Estimate == nil || j.Estimate.Total != int64(benchRows) {
			b.Fatalf("no estimate of the whole story: %v", j.Notes)
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/report")
}
