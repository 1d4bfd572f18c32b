package aggregator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// ledger records which batches an aggregator acknowledged.
type ledger struct {
	mu     sync.Mutex
	acked  map[int]bool
	nAcked atomic.Int64 // reactions acknowledged
}

func newLedger() *ledger { return &ledger{acked: map[int]bool{}} }

func (l *ledger) isAcked(i int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked[i]
}

// post sends one batch and records it when acknowledged (200 with no
// rejection). Failures are expected while processes die: the batch is
// simply not acknowledged.
func (l *ledger) post(t testing.TB, base string, i int, body []byte, size int) bool {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/reactions", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var res reaction.IngestResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return false // cut off mid-answer: not acknowledged
	}
	if len(res.Rejected) != 0 || res.Accepted+res.Duplicates != size {
		t.Errorf("batch %d: %+v", i, res)
		return false
	}
	l.mu.Lock()
	l.acked[i] = true
	l.mu.Unlock()
	l.nAcked.Add(int64(size))
	return true
}

// sendAll sends the batches with two concurrent senders (even and odd
// indexes) and returns when both are done.
func (l *ledger) sendAll(t testing.TB, base string, bodies [][]byte, idx []int, size int) {
	var wg sync.WaitGroup
	for s := 0; s < 2; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := s; k < len(idx); k += 2 {
				l.post(t, base, idx[k], bodies[idx[k]], size)
			}
		}()
	}
	wg.Wait()
}

func batches(t testing.TB, rs []reaction.Reaction, size int) [][]byte {
	var out [][]byte
	for i := 0; i < len(rs); i += size {
		out = append(out, gzipNDJSON(t, rs[i:min(i+size, len(rs))]))
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// storedOnce checks that every acknowledged reaction is stored, and that no
// reaction is stored more than once. It returns how many are stored.
func storedOnce(t testing.TB, st *store.Store, rs []reaction.Reaction, size int, l *ledger) int {
	t.Helper()
	ctx := context.Background()
	rows, err := st.Conn().Query(ctx, "SELECT id, toInt64(sum(sign)) FROM reactions WHERE story = ? GROUP BY id", storyID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	sums := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		sums[id] = n
	}
	stored := 0
	for id, n := range sums {
		if n != 1 {
			t.Errorf("reaction %s counted %d times", id, n)
		}
		stored++
	}
	missing := 0
	for i := range rs {
		if l.isAcked(i/size) && sums[rs[i].ID] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged reactions are not stored", missing)
	}
	return stored
}

// TestClickHouseKilledDuringIngest kills the ClickHouse server mid-ingest:
// acknowledgements keep coming from the spool, and after the restart every
// acknowledged reaction is stored exactly once, updates sent during the
// outage included.
func TestClickHouseKilledDuringIngest(t *testing.T) {
	const n, size = 20000, 500
	ch := dedicatedClickHouse(t)
	ctx := context.Background()
	st, err := store.Open(ctx, ch.dsn(), store.Options{DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := start(t, st, func(c *aggregator.Config) {
		c.RetryInitial, c.RetryMax, c.WriteTimeout = 100*time.Millisecond, time.Second, 10*time.Second
	})
	h.putStory(testStory(t))
	rs := makeReactions(n)
	bodies := batches(t, rs, size)
	l := newLedger()

	// Kill ClickHouse once a quarter is in, while the senders go on.
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for l.nAcked.Load() < n/4 {
			time.Sleep(5 * time.Millisecond)
		}
		ch.kill()
	}()
	l.sendAll(t, h.srv.URL, bodies, seq(0, len(bodies)), size)
	<-killed
	// Later versions of 1,000 reactions, sent while ClickHouse is down.
	upd := append([]reaction.Reaction(nil), rs[:1000]...)
	for i := range upd {
		upd[i].Likes += 1000
		upd[i].Text += " (edited)"
	}
	updLedger := newLedger()
	updBodies := batches(t, upd, size)
	updLedger.sendAll(t, h.srv.URL, updBodies, seq(0, len(updBodies)), size)
	if updLedger.nAcked.Load() != int64(len(upd)) {
		t.Fatalf("updates acknowledged %d of %d while ClickHouse was down: the spool must take them", updLedger.nAcked.Load(), len(upd))
	}
	hl := healthOf(t, h.srv.URL)
	if hl.Status != "degraded" || hl.SpoolRecords == 0 || hl.SpoolBytes == 0 {
		t.Fatalf("health while ClickHouse is down: %+v", hl)
	}
	if v := metricSum(t, h.srv.URL+"/metrics", "reactions_aggregator_spool_bytes", nil); v != float64(hl.SpoolBytes) && v == 0 {
		t.Errorf("spool_bytes gauge %v while the spool holds %d bytes", v, hl.SpoolBytes)
	}
	acked := l.nAcked.Load()
	t.Logf("acknowledged %d of %d reactions (+%d updates); spool %d records, %d bytes", acked, n, len(upd), hl.SpoolRecords, hl.SpoolBytes)
	if acked < n/2 {
		t.Errorf("only %d acknowledged: the spool should acknowledge while ClickHouse is down", acked)
	}

	ch.restart()
	waitDrained(t, h.srv.URL, 90*time.Second)
	stored := storedOnce(t, st, rs, size, l)
	t.Logf("stored after the restart: %d", stored)
	if t.Failed() {
		t.Log(h.logs.String())
	}
	if !strings.Contains(h.logs.String(), "spool drained into ClickHouse") {
		t.Error("no drain in the log")
	}
	// The updates, spooled after the originals, won.
	got := map[string]reaction.Reaction{}
	if err := st.CurrentReactions(ctx, storyID, func(r *reaction.Reaction) error { got[r.ID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, u := range upd {
		if g := got[u.ID]; g.Likes != u.Likes || g.Text != u.Text {
			t.Fatalf("update of %s lost: stored likes %d text %q", u.ID, g.Likes, g.Text)
		}
	}
	// Send what was not acknowledged: then everything is there, once.
	var rest []int
	for i := range bodies {
		if !l.isAcked(i) {
			rest = append(rest, i)
		}
	}
	l.sendAll(t, h.srv.URL, bodies, rest, size)
	waitDrained(t, h.srv.URL, 60*time.Second) // acknowledged from the spool is not yet written
	if c := countAll(t, st, h.srv.URL+"/metrics"); !c.all(n) {
		t.Fatalf("final counts %+v, want %d everywhere", c, n)
	}
	if v := metricSum(t, h.srv.URL+"/metrics", "reactions_aggregator_clickhouse_errors_total", nil); v == 0 {
		t.Error("no ClickHouse error counted")
	}
}

// TestAggregatorKilled kills -9 an aggregator process mid-ingest, twice:
// once while it writes to ClickHouse, once while it spools (ClickHouse
// down). After restarts, every acknowledged reaction is stored exactly once,
// and resending the rest gives exact counts.
func TestAggregatorKilled(t *testing.T) {
	const n, size = 30000, 500
	ch := dedicatedClickHouse(t)
	ctx := context.Background()
	state := t.TempDir()
	rs := makeReactions(n)
	bodies := batches(t, rs, size)
	l := newLedger()
	half := len(bodies) / 2

	// killAfter sends idx with two senders and kills -9 the process once
	// `after` more reactions were acknowledged.
	killAfter := func(p *helperProc, idx []int, after int64) {
		target := l.nAcked.Load() + after
		done := make(chan struct{})
		go func() {
			defer close(done)
			l.sendAll(t, p.url, bodies, idx, size)
		}()
		for l.nAcked.Load() < target {
			select {
			case <-done:
				t.Fatalf("every batch was sent before the kill (%d acknowledged)", l.nAcked.Load())
			case <-time.After(2 * time.Millisecond):
			}
		}
		p.kill()
		<-done
	}

	// 1. Writing to ClickHouse.
	p := startHelper(t, ch.dsn(), state)
	code, body := doHTTP(t, p.url, "", http.MethodPut, "/api/v1/stories/"+storyID, "application/json", "", mustJSON(t, testStory(t)))
	if code != http.StatusOK {
		t.Fatalf("PUT story: %d %s", code, body)
	}
	killAfter(p, seq(0, half), 5000)
	t.Logf("phase 1: %d acknowledged before kill -9", l.nAcked.Load())

	// 2. ClickHouse down: acknowledgements come from the spool; kill -9 again.
	p = startHelper(t, ch.dsn(), state)
	ch.kill()
	before := l.nAcked.Load()
	killAfter(p, seq(half, len(bodies)), 3000)
	t.Logf("phase 2: %d acknowledged from the spool before kill -9", l.nAcked.Load()-before)

	// 3. ClickHouse back, aggregator restarted: the spool is replayed.
	ch.restart()
	p = startHelper(t, ch.dsn(), state)
	waitDrained(t, p.url, 90*time.Second)
	if !strings.Contains(p.stderr.String(), "replaying records from an earlier run") {
		t.Errorf("the restarted aggregator did not replay its spool: %s", p.stderr.String())
	}
	st, err := store.Open(ctx, ch.dsn(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := storedOnce(t, st, rs, size, l)
	t.Logf("after restart: %d acknowledged, %d stored", l.nAcked.Load(), stored)

	var rest []int
	for i := range bodies {
		if !l.isAcked(i) {
			rest = append(rest, i)
		}
	}
	l.sendAll(t, p.url, bodies, rest, size)
	if l.nAcked.Load() < n {
		t.Fatalf("only %d of %d acknowledged after resending", l.nAcked.Load(), n)
	}
	waitDrained(t, p.url, 60*time.Second)
	if c := countAll(t, st, p.url+"/metrics"); !c.all(n) {
		t.Fatalf("final counts %+v, want %d everywhere", c, n)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
