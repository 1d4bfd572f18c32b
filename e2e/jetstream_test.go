package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// stallingSink is the in-process aggregator that stops acknowledging on
// demand: a Send then hangs until its context ends and fails, as when the
// crawler is killed with batches in flight.
type stallingSink struct {
	*aggregator.Aggregator
	stalled atomic.Bool
	mu      sync.Mutex
	acked   map[string]bool // ids of reactions acknowledged
}

func (s *stallingSink) Send(ctx context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	if s.stalled.Load() {
		<-ctx.Done()
		return reaction.IngestResult{}, ctx.Err()
	}
	res, err := s.Aggregator.Send(ctx, rs)
	if err == nil {
		rejected := map[int]bool{}
		for _, r := range res.Rejected {
			rejected[r.Line-1] = true
		}
		s.mu.Lock()
		for i, r := range rs {
			if !rejected[i] {
				s.acked[r.ID] = true
			}
		}
		s.mu.Unlock()
	}
	return res, err
}

// count returns how many of ids were acknowledged.
func (s *stallingSink) count(ids map[string]bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id := range ids {
		if s.acked[id] {
			n++
		}
	}
	return n
}

// waitAcked waits until every one of ids was acknowledged.
func (s *stallingSink) waitAcked(t *testing.T, ids map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for s.count(ids) < len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reactions acknowledged", s.count(ids), len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDrained waits until the aggregator has written what it spooled.
func waitDrained(t *testing.T, agg *aggregator.Aggregator) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for agg.Health(context.Background()).SpoolRecords > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the aggregator's spool did not drain within 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// following is one crawl in --follow mode.
type following struct {
	t      *testing.T
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan []reaction.CrawlRun
}

func follow(t *testing.T, cfg crawler.Config, s *story.Story, sink crawler.Sink) *following {
	f := &following{t: t, reg: prometheus.NewRegistry(), done: make(chan []reaction.CrawlRun, 1)}
	cfg.Registerer = f.reg
	started := make(chan struct{})
	var once atomic.Bool
	cfg.OnPoll = func([]reaction.CrawlRun) {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		runs, err := crawler.Run(ctx, cfg, s, sink, crawler.Follow)
		if err != nil {
			t.Error(err)
		}
		f.done <- runs
	}()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("the first poll did not end within a minute")
	}
	return f
}

// events returns reactions_crawler_stream_events_total{outcome}.
func (f *following) events(outcome string) float64 {
	mfs, err := f.reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "reactions_crawler_stream_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// waitEvents waits until n events of outcome were read.
func (f *following) waitEvents(outcome string, n float64) {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for f.events(outcome) < n {
		if time.Now().After(deadline) {
			f.t.Fatalf("stream events %s = %v, waited for %v", outcome, f.events(outcome), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *following) stop() []reaction.CrawlRun {
	f.cancel()
	select {
	case runs := <-f.done:
		return runs
	case <-time.After(time.Minute):
		f.t.Fatal("the crawl did not stop within a minute of its context's end")
		return nil
	}
}

// TestJetstreamKillRestart follows a Bluesky thread live into ClickHouse
// (the in-process aggregator) and kills the crawl mid-stream, with
// batches it never got acknowledged: a restart resumes from the position
// committed with the last acknowledged batch, a few seconds early, so
// that nothing is lost and nothing is counted twice, and the overlap
// shows as duplicates in the metrics. Then a position older than the
// replay window gives a gap in the crawl runs and the coverage shading.
// It is long because the kill, the restart and the gap happen to one
// stream and one database, in that order.
func TestJetstreamKillRestart(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := chtest.New(t)
	agg, err := aggregator.New(ctx, aggregator.Config{StateDir: t.TempDir(), Registerer: prometheus.NewRegistry(), Logger: quiet}, st)
	if err != nil {
		t.Fatal(err)
	}
	aggCtx, stopAgg := context.WithCancel(ctx)
	aggDone := make(chan error, 1)
	go func() { aggDone <- agg.Run(aggCtx) }()
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := agg.Close(cctx); err != nil {
			t.Error(err)
		}
		stopAgg()
		<-aggDone
	})

	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	n := uint(0)
	post := func(author, text string) replica.Item {
		n++
		at := t0.Add(time.Duration(n) * time.Second)
		return replica.Item{Platform: reaction.Bluesky, Native: replica.BlueskyTID(at, n), Author: author, Text: text, CreatedAt: at, Lang: "en"}
	}
	root := post("chrissyteigen.example.com", "We are shocked and in the kind of deep pain you only hear about.")
	first := post("reader.bsky.social", "Sending love.")
	first.Thread, first.Parent = root.Native, root.Native
	rs := replica.New(replica.NewDataset(root, first), replica.Options{})
	srv := httptest.NewServer(rs)
	defer srv.Close()
	js := rs.Jetstream()
	// Live replies only the stream sees (the AppView does not hold them):
	// what the restart recovers is the stream's doing, not the walk's.
	var replies []replica.Item
	reply := func(i int) replica.Item {
		it := post(fmt.Sprintf("fan%d.bsky.social", i%7), fmt.Sprintf("Thinking of you (%d).", i))
		it.Thread, it.Parent = root.Native, root.Native
		replies = append(replies, it)
		return it
	}

	s := &story.Story{ID: "jetstream-kill-restart", Subject: []string{"Chrissy Teigen"}, Poll: story.Duration(time.Hour),
		Sources: []story.Source{{Platform: reaction.Bluesky, BaseURL: srv.URL + "/bluesky", PDSURL: srv.URL + "/bluesky",
			JetstreamURL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/bluesky/subscribe", Threads: []string{replica.BlueskyURI(root)}}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	authors, err := reaction.NewPseudonymizer([]byte("e2e-jetstream-secret-0123456789ab"), false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := crawler.Config{StateDir: t.TempDir(), Authors: authors, Rates: map[reaction.Platform]string{reaction.Bluesky: crawler.Unlimited},
		Log: quiet, BatchWait: 20 * time.Millisecond}
	sink := &stallingSink{Aggregator: agg, acked: map[string]bool{}}
	killed := cfg
	killed.FlushTimeout = 300 * time.Millisecond // the stalled batches fail, as in a kill

	// Run 1: 20 replies over 6 s, acknowledged (the stream's position is
	// saved every 5 s); then the aggregator stops acknowledging, 10 more
	// replies are read, and the crawl is killed.
	f := follow(t, killed, s, sink)
	const acked, unacked = 20, 10
	for i := range acked {
		js.Chatter(reply(i))
		time.Sleep(300 * time.Millisecond)
	}
	f.waitEvents("kept", acked)
	time.Sleep(200 * time.Millisecond) // the last acknowledgements land (what does not is recovered below)
	sink.stalled.Store(true)
	for i := acked; i < acked+unacked; i++ {
		js.Chatter(reply(i))
	}
	f.waitEvents("kept", acked+unacked)
	f.stop()
	if d := f.events("duplicate"); d != 0 {
		t.Errorf("run 1 counted %v duplicates", d)
	}
	cursors, err := os.ReadFile(filepath.Join(cfg.StateDir, "crawl", s.ID, "cursors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var saved map[string]map[string]string
	if err := json.Unmarshal(cursors, &saved); err != nil || saved["bluesky"]["jetstream/cursor"] == "" {
		t.Fatalf("no stream position was committed: %s", cursors)
	}
	t.Logf("run 1 committed the position %s", saved["bluesky"]["jetstream/cursor"])

	want, live := map[string]bool{}, map[string]bool{}
	for _, it := range []replica.Item{root, first} {
		want[reaction.MakeID(reaction.Bluesky, replica.BlueskyURI(it))] = true
	}
	for _, it := range replies {
		want[reaction.MakeID(reaction.Bluesky, replica.BlueskyURI(it))] = true
		live[reaction.MakeID(reaction.Bluesky, replica.BlueskyURI(it))] = true
	}
	lost := len(live) - sink.count(live)
	if lost < unacked {
		t.Fatalf("run 1 had %d live replies acknowledged, want at most %d", len(live)-lost, acked)
	}

	// Run 2: a restart recovers those never acknowledged and replays the
	// overlap as duplicates.
	sink.stalled.Store(false)
	f = follow(t, cfg, s, sink)
	f.waitEvents("kept", float64(lost))
	sink.waitAcked(t, want)
	runs := f.stop()
	dups := f.events("duplicate")
	if dups < 1 {
		t.Errorf("the restart's overlap shows no duplicates (kept %v)", f.events("kept"))
	}
	if k := f.events("kept"); k != float64(lost) {
		t.Errorf("the restart kept %v, want the %d never acknowledged", k, lost)
	}
	t.Logf("run 1: %d of %d live replies acknowledged; run 2: kept %v, duplicates %v; %s", len(live)-lost, len(live), f.events("kept"), dups, runs[0].Message)
	waitDrained(t, agg)
	stored := map[string]int{}
	if err := st.CurrentReactions(ctx, s.ID, func(r *reaction.Reaction) error {
		stored[r.ID]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var total int64
	counts, err := st.Counts(ctx, s.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, byStance := range counts {
		for _, c := range byStance {
			total += c
		}
	}
	if len(stored) != len(want) || total != int64(len(want)) {
		t.Errorf("ClickHouse holds %d reactions and counts %d, want %d", len(stored), total, len(want))
	}
	for id := range want {
		if stored[id] != 1 {
			t.Errorf("%s stored %d times", id, stored[id])
		}
	}

	// Run 3: a position older than the replay window is a gap, recorded
	// in the crawl runs and shaded as not crawled.
	rs.SetOptions(replica.Options{JetstreamReplay: time.Hour})
	s.Sources[0].JetstreamReplay = story.Duration(time.Hour)
	old := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	saved["bluesky"]["jetstream/cursor"] = fmt.Sprint(old.UnixMicro())
	b, _ := json.Marshal(saved)
	if err := os.WriteFile(filepath.Join(cfg.StateDir, "crawl", s.ID, "cursors.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	f = follow(t, cfg, s, sink)
	late := reply(acked + unacked)
	js.Chatter(late)
	f.waitEvents("kept", 1)
	sink.waitAcked(t, map[string]bool{reaction.MakeID(reaction.Bluesky, replica.BlueskyURI(late)): true})
	f.stop()
	waitDrained(t, agg)
	all, err := st.CrawlRuns(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gap *reaction.Gap
	for _, r := range all {
		for _, g := range r.Gaps {
			gap = &g
		}
	}
	if gap == nil || !gap.From.Equal(old) || !strings.Contains(gap.Reason, "Jetstream") {
		t.Fatalf("crawl runs record no gap from %s: %+v", old, gap)
	}
	shaded := false
	for _, g := range series.NotCrawled(all, time.Hour, func(reaction.Platform) time.Time { return time.Time{} }, old.Add(-time.Hour), time.Now(), time.Now()) {
		shaded = shaded || !g.From.After(old) && g.To.After(old)
	}
	if !shaded {
		t.Error("the gap is not shaded as not crawled")
	}
}
