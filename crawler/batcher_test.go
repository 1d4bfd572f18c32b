package crawler

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// burstAdapter emits n reactions as fast as it can, ids prefixed with its
// source's name; after every Emit it calls check (when set).
type burstAdapter struct {
	n     int
	check func(src string, i int)
}

func (a *burstAdapter) Collect(ctx context.Context, env *source.Env) error {
	for i := 1; i <= a.n; i++ {
		native := env.Source.Name + "-" + strconv.Itoa(i)
		r := reaction.Reaction{
			Platform: reaction.Lemmy, ID: reaction.MakeID(reaction.Lemmy, native),
			URL:       "https://lemmy.example/comment/" + native,
			CreatedAt: time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
			Text:      "reaction " + native,
		}
		if err := env.Emit(r); err != nil {
			return err
		}
		if a.check != nil {
			a.check(env.Source.Name, i)
		}
	}
	return nil
}

// batchSink records every batch and can be slow.
type batchSink struct {
	delay time.Duration

	mu       sync.Mutex
	batches  [][]string // ids per batch, in the order sent
	received atomic.Int64
}

func (s *batchSink) PutStory(context.Context, *story.Story) error { return nil }
func (s *batchSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	time.Sleep(s.delay)
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	s.mu.Lock()
	s.batches = append(s.batches, ids)
	s.mu.Unlock()
	s.received.Add(int64(len(rs)))
	return reaction.IngestResult{Accepted: len(rs)}, nil
}
func (s *batchSink) PutCrawlRun(context.Context, reaction.CrawlRun) error { return nil }

func burstStory(t *testing.T, sources int) *story.Story {
	t.Helper()
	var b strings.Builder
	b.WriteString("id: burst\nsubject: [X]\nsources:\n")
	for i := 0; i < sources; i++ {
		fmt.Fprintf(&b, "  - platform: lemmy\n    name: s%d\n    base_url: https://lemmy.example\n    posts: [1]\n", i)
	}
	st, err := story.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func burstConfig(t *testing.T, a source.Adapter, size int, wait time.Duration) Config {
	cfg := testConfig(t)
	cfg.BatchSize, cfg.BatchWait = size, wait
	cfg.lookup = func(reaction.Platform) (source.Adapter, bool) { return a, true }
	return cfg
}

// TestBatcherBatchesInOrderAndPushesBack: with a slow sink, batches never
// exceed BatchSize, every reaction arrives once and in each source's order,
// and emitters are held back: at most one queued batch and one batch being
// sent are in memory.
// It runs in a synctest bubble: the sink's delays pass on a fake clock.
func TestBatcherBatchesInOrderAndPushesBack(t *testing.T) {
	synctest.Test(t, testBatcherBatchesInOrderAndPushesBack)
}

func testBatcherBatchesInOrderAndPushesBack(t *testing.T) {
	const size, perSource, sources = 10, 95, 3
	sink := &batchSink{delay: 3 * time.Millisecond}
	var emitted, maxAhead atomic.Int64
	a := &burstAdapter{n: perSource, check: func(string, int) {
		ahead := emitted.Add(1) - sink.received.Load()
		for {
			m := maxAhead.Load()
			if ahead <= m || maxAhead.CompareAndSwap(m, ahead) {
				break
			}
		}
	}}
	cfg := burstConfig(t, a, size, time.Hour)
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	runs, err := Run(context.Background(), cfg, burstStory(t, sources), sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("# HELP reactions_crawler_reactions_total Reactions collected and acknowledged by the sink (new or changed), by platform.\n# TYPE reactions_crawler_reactions_total counter\nreactions_crawler_reactions_total{platform=\"lemmy\"} %d\n", perSource*sources)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "reactions_crawler_reactions_total"); err != nil {
		t.Error(err)
	}
	for _, r := range runs {
		if r.Status != reaction.RunOK || r.NewItems != perSource {
			t.Errorf("run %s: %s, %d new (%s)", r.Source, r.Status, r.NewItems, r.Message)
		}
	}
	t.Logf("emitters ran at most %d reactions ahead of the sink", maxAhead.Load())
	if got := maxAhead.Load(); got > 2*size {
		t.Errorf("emitters ran %d reactions ahead of the sink, want at most %d (backpressure)", got, 2*size)
	}
	next := map[string]int{}
	seen := map[string]bool{}
	for _, batch := range sink.batches {
		if len(batch) == 0 || len(batch) > size {
			t.Errorf("batch of %d reactions, want 1..%d", len(batch), size)
		}
		for _, id := range batch {
			if seen[id] {
				t.Errorf("%s sent twice", id)
			}
			seen[id] = true
			native := strings.TrimPrefix(id, "lemmy:")
			src, n, _ := strings.Cut(native, "-")
			i, _ := strconv.Atoi(n)
			if i != next[src]+1 {
				t.Errorf("%s arrived after %s-%d", id, src, next[src])
			}
			next[src] = i
		}
	}
	if len(seen) != perSource*sources {
		t.Errorf("sink got %d reactions, want %d", len(seen), perSource*sources)
	}
}

// TestBatcherWaitSendsALoneReaction: a reaction that no other follows is
// sent after BatchWait, and the wait starts again for the next one. It
// runs in a synctest bubble: BatchWait passes on a fake clock, so the
// timings hold on a loaded machine.
func TestBatcherWaitSendsALoneReaction(t *testing.T) {
	synctest.Test(t, testBatcherWaitSendsALoneReaction)
}

func testBatcherWaitSendsALoneReaction(t *testing.T) {
	const wait = 30 * time.Millisecond
	sink := &batchSink{}
	a := &burstAdapter{n: 3}
	a.check = func(_ string, i int) {
		start := time.Now()
		for sink.received.Load() < int64(i) {
			if time.Since(start) > 5*time.Second {
				t.Errorf("reaction %d not sent within 5s (BatchWait %v)", i, wait)
				return
			}
			time.Sleep(time.Millisecond)
		}
		if d := time.Since(start); d < wait/2 {
			t.Errorf("reaction %d sent after %v, before BatchWait %v", i, d, wait)
		}
	}
	if _, err := Run(context.Background(), burstConfig(t, a, 100, wait), burstStory(t, 1), sink, Once); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 3 {
		t.Errorf("%d batches, want 3 of one reaction", len(sink.batches))
	}
}
