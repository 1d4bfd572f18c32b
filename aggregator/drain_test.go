package aggregator

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/reactions-research/reactions/aggregator/spool"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// TestDrainStopsAtAFailedWrite fills the spool before the writer starts,
// so that it drains in writes of one record each, and makes the eleventh
// write fail: the ten before are done, the eleventh and those after it
// stay in the spool (the twelfth never reached ClickHouse), and once
// ClickHouse takes the write again every reaction is stored exactly once.
func TestDrainStopsAtAFailedWrite(t *testing.T) {
	const n = 2000
	h := newSpooled(t, n, 100, func(rs []reaction.Reaction) { rs[1050].Text = "boom" }) // in the eleventh record
	h.exec(`CREATE MATERIALIZED VIEW boom ENGINE = Memory AS SELECT throwIf(text = 'boom') AS x FROM reactions`)
	h.run()
	// Records 11 to 20 stay, with a reconcile record for the failed write.
	// (A passing failure of an earlier write, say a reset connection on a
	// busy machine, is retried and ends here too.)
	h.waitFor("the write of the eleventh record never failed", func() bool {
		r, c := spooledKinds(t, h.a)
		return h.a.outage.Load() && r == 10 && c > 0
	})
	var stored uint64
	if err := h.st.Conn().QueryRow(context.Background(), "SELECT count() FROM reactions WHERE id >= ? AND id < ?",
		h.rs[1100].ID, h.rs[1200].ID).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("%d rows of the write after the failed one (%v), want none", stored, err)
	}
	h.exec("DROP TABLE boom")
	h.waitFor("spool not drained", func() bool { return h.a.spool.Records() == 0 })
	// Exactly once each, and the reconcile record repaired the views the
	// failed write missed.
	h.checkCounts(n)
}

// TestEachFailedWriteGetsAReconcileRecord: a write that fails after the
// one before it, retried, was written gets its own reconcile record, so the
// views end exact after both failures.
func TestEachFailedWriteGetsAReconcileRecord(t *testing.T) {
	const n = 400
	h := newSpooled(t, n, 100, func(rs []reaction.Reaction) {
		rs[50].Text, rs[250].Text = "boom1", "boom2" // in the first and the third record
	})
	// A view that fails every INSERT holding "boom1" or "boom2", after the
	// table has stored its rows. Which of the schema's views have the rows
	// by then depends on the server: 18.16 runs views in name order, and
	// "boom" comes before both; 26.7 runs them in no order of name, and
	// kept the rows of none when one failed. The counts end exact either
	// way.
	h.exec(`CREATE MATERIALIZED VIEW boom ENGINE = Memory AS
SELECT throwIf(text IN ('boom1', 'boom2')) AS x FROM reactions`)
	h.run()
	// The first write fails; its retry finds its rows stored (duplicates:
	// nothing to insert), the second is written, and the third fails:
	// records 3 and 4 stay, with a reconcile record for each failed write.
	h.waitFor("the third write never failed with a reconcile record of its own", func() bool {
		r, c := spooledKinds(t, h.a)
		return r == 2 && c >= 2 // more if a passing failure came on top
	})
	h.exec("DROP TABLE boom")
	h.waitFor("spool not drained", func() bool { return h.a.spool.Records() == 0 })
	h.checkCounts(n)
}

// spooledHarness is an aggregator whose spool holds reactions before its
// writer starts.
type spooledHarness struct {
	t     *testing.T
	a     *Aggregator
	st    *store.Store
	story *story.Story
	rs    []reaction.Reaction
	logs  syncLog
	// deadline bounds every wait of the test.
	deadline time.Time
	running  bool // run was called
}

// newSpooled makes an aggregator with BatchSize per on a fresh database,
// and spools n reactions of the test story (after edit, if not nil) in
// records of per. The writer does not run: see run.
func newSpooled(t *testing.T, n, per int, edit func([]reaction.Reaction)) *spooledHarness {
	t.Helper()
	ctx := context.Background()
	h := &spooledHarness{t: t, st: chtest.New(t), deadline: time.Now().Add(30 * time.Second)}
	a, err := New(ctx, Config{StateDir: t.TempDir(), BatchSize: per, RetryInitial: 20 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(&h.logs, nil))}, h.st)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	t.Cleanup(func() {
		if !h.running {
			_ = a.Close(context.Background())
		}
	})
	if h.story, err = story.Load("testdata/story.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := a.PutStory(ctx, h.story); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	h.rs = make([]reaction.Reaction, n)
	for i := range h.rs {
		h.rs[i] = reaction.Reaction{Story: h.story.ID, Platform: reaction.Reddit,
			ID:        reaction.MakeID(reaction.Reddit, fmt.Sprintf("c%05d", i)),
			CreatedAt: t0.Add(time.Duration(i) * time.Second), Text: fmt.Sprintf("Sending love to Chrissy and John (#%d)", i)}
	}
	if edit != nil {
		edit(h.rs)
	}
	for i := 0; i < n; i += per {
		if err := a.spoolReactions(h.rs[i:min(i+per, n)]); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// run starts the writer; it is closed when the test ends.
func (h *spooledHarness) run() {
	h.running = true
	runDone := make(chan error, 1)
	go func() { runDone <- h.a.Run(context.Background()) }()
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.a.Close(ctx); err != nil {
			h.t.Error(err)
		}
		if err := <-runDone; err != nil {
			h.t.Error(err)
		}
	})
}

func (h *spooledHarness) exec(sql string) {
	h.t.Helper()
	if err := h.st.Conn().Exec(context.Background(), sql); err != nil {
		h.t.Fatal(err)
	}
}

func (h *spooledHarness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	for !cond() {
		if time.Now().After(h.deadline) {
			h.t.Fatalf("%s; logs:\n%s", what, h.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkCounts checks that n reactions are stored exactly once, in the table
// and in both views.
func (h *spooledHarness) checkCounts(n int) {
	h.t.Helper()
	ctx := context.Background()
	var ids, bad, byTime uint64
	if err := h.st.Conn().QueryRow(ctx, `SELECT count(), countIf(s != 1) FROM (SELECT id, sum(sign) AS s FROM reactions
GROUP BY id)`).Scan(&ids, &bad); err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions_by_time
GROUP BY id HAVING sum(sign) > 0)`).Scan(&byTime); err != nil {
		h.t.Fatal(err)
	}
	c, err := h.st.Counts(ctx, h.story.ID, true)
	if err != nil {
		h.t.Fatal(err)
	}
	var minutes int64
	for _, m := range c {
		for _, v := range m {
			minutes += v
		}
	}
	if ids != uint64(n) || bad != 0 || byTime != uint64(n) || minutes != int64(n) {
		h.t.Fatalf("%d ids (%d whose rows do not sum to one), reactions_by_time %d, per-minute counts %d; want %d, 0, %d, %d",
			ids, bad, byTime, minutes, n, n, n)
	}
}

// spooledKinds counts the reaction and the reconcile records in a's spool.
func spooledKinds(t *testing.T, a *Aggregator) (reactions, reconciles int) {
	t.Helper()
	if err := a.spool.Each(func(r spool.Record) error {
		switch r.Kind {
		case kindReactions:
			reactions++
		case kindReconcile:
			reconciles++
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	return reactions, reconciles
}

// syncLog collects log output from several goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
