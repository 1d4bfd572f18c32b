package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/series"
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

// BenchmarkSeriesCorrected10M measures the series with correction on the
// 10M story coded by benchCoded, as GET /api/v1/series computes it: the
// report cache's key (three small queries), the series query, and the
// correction of every bucket. "cold" corrects every bucket afresh (a
// series never asked before); "warm" reuses the estimates the report
// memoised (the same chart asked again, or a live chart's unchanged
// buckets); "api" is the HTTP answer with JSON, warm. Run it with
//
//	go test ./dashboard -run '^$' -bench SeriesCorrected10M -benchtime 20x
func BenchmarkSeriesCorrected10M(b *testing.B) {
	st := benchCoded(b)
	ctx := context.Background()
	cache := study.NewCache(study.Options{})
	rep, err := cache.Get(ctx, st, benchStory)
	if err != nil || rep.Corrector == nil {
		b.Fatalf("no corrector for the benchmark story: %v %v", err, rep.Notes)
	}
	week := benchStart.Add(7 * 24 * time.Hour)
	cases := []struct{ name, iv string }{{"1m-7days", "1m"}, {"15m-7days", "15m"}, {"1h-7days", "1h"}}
	for _, c := range cases {
		iv, _ := series.ParseInterval(c.iv)
		req := series.Request{Story: benchStory, From: benchStart, To: week, Interval: iv, Loc: time.UTC}
		b.Run("cold/"+c.name, func(b *testing.B) {
			latencies(b, func() error {
				r, err := cache.Get(ctx, st, benchStory)
				if err != nil {
					return err
				}
				req.Correct = func(cs []coding.Counts, min int) []coding.Estimate { return r.Corrector.WithMinBucket(min).Buckets(cs) }
				s, err := series.Compute(ctx, st, req)
				if err == nil && s.Corrected == nil {
					return fmt.Errorf("not corrected")
				}
				return err
			})
		})
		b.Run("warm/"+c.name, func(b *testing.B) {
			latencies(b, func() error {
				r, err := cache.Get(ctx, st, benchStory)
				if err != nil {
					return err
				}
				req.Correct = r.Correct
				_, err = series.Compute(ctx, st, req)
				return err
			})
		})
	}
	d, err := dashboard.New(dashboard.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	for _, c := range cases {
		q := url.Values{"story": {benchStory}, "from": {benchStart.Format(time.RFC3339)}, "to": {week.Format(time.RFC3339)}, "interval": {c.iv}}
		b.Run("api/"+c.name, func(b *testing.B) {
			latencies(b, func() error {
				res, err := http.Get(srv.URL + "/api/v1/series?" + q.Encode())
				if err != nil {
					return err
				}
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				if err != nil {
					return err
				}
				if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"criticism_share_adj":0.`)) {
					return fmt.Errorf("HTTP %d without corrected shares", res.StatusCode)
				}
				return nil
			})
		})
	}
}
