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
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// TestPipelinedDrainStopsAtAFailedWrite fills the spool before the writer
// starts, so that it drains in pipelined writes of one record each, and
// makes the eleventh write fail: the ten before are done, the eleventh and
// the one prepared after it stay in the spool (that one never reached
// ClickHouse), and once ClickHouse takes the write again every reaction is
// stored exactly once.
func TestPipelinedDrainStopsAtAFailedWrite(t *testing.T) {
	ctx := context.Background()
	st := chtest.New(t)
	var logs syncLog
	a, err := New(ctx, Config{StateDir: t.TempDir(), BatchSize: 100, RetryInitial: 20 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, st)
	if err != nil {
		t.Fatal(err)
	}
	s, err := story.Load("testdata/story.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutStory(ctx, s); err != nil {
		t.Fatal(err)
	}
	// A view that fails every INSERT holding a reaction whose text is "boom".
	if err := st.Conn().Exec(ctx, `CREATE MATERIALIZED VIEW boom ENGINE = Memory AS
SELECT throwIf(text = 'boom') AS x FROM reactions`); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	t0 := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	rs := make([]reaction.Reaction, n)
	for i := range rs {
		rs[i] = reaction.Reaction{Story: s.ID, Platform: reaction.Reddit, ID: reaction.MakeID(reaction.Reddit, fmt.Sprintf("c%05d", i)),
			CreatedAt: t0.Add(time.Duration(i) * time.Second), Text: fmt.Sprintf("Sending love to Chrissy and John (#%d)", i)}
	}
	rs[1050].Text = "boom" // in the eleventh record
	for i := 0; i < n; i += 100 {
		if err := a.spoolReactions(rs[i : i+100]); err != nil {
			t.Fatal(err)
		}
	}
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	defer func() {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := a.Close(cctx); err != nil {
			t.Error(err)
		}
		if err := <-runDone; err != nil {
			t.Error(err)
		}
	}()

	// Records 11 to 20 stay, with a reconcile record for the failed write.
	// (A passing failure of an earlier write, say a reset connection on a
	// busy machine, is retried and ends here too.)
	deadline := time.Now().Add(30 * time.Second)
	for r, c := spooledKinds(t, a); !a.outage.Load() || r != 10 || c == 0; r, c = spooledKinds(t, a) {
		if time.Now().After(deadline) {
			t.Fatalf("the write of the eleventh record never failed: %d reaction and %d reconcile records spooled; logs:\n%s",
				r, c, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var stored uint64
	if err := st.Conn().QueryRow(ctx, "SELECT count() FROM reactions WHERE id >= ? AND id < ?",
		rs[1100].ID, rs[1200].ID).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("%d rows of the write prepared after the failed one (%v), want none", stored, err)
	}
	if err := st.Conn().Exec(ctx, "DROP TABLE boom"); err != nil {
		t.Fatal(err)
	}
	for a.spool.Records() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spool not drained: %d records; logs:\n%s", a.spool.Records(), logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var ids, bad uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count(), countIf(s != 1) FROM (SELECT id, sum(sign) AS s FROM reactions
GROUP BY id)`).Scan(&ids, &bad); err != nil || ids != n || bad != 0 {
		t.Fatalf("%d ids, %d whose rows do not sum to one (%v), want %d and 0", ids, bad, err, n)
	}
	// The reconcile record repaired the views the failed write missed.
	c, err := st.Counts(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var minutes int64
	for _, m := range c {
		for _, v := range m {
			minutes += v
		}
	}
	var byTime uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions_by_time GROUP BY id HAVING sum(sign) > 0)`).Scan(&byTime); err != nil {
		t.Fatal(err)
	}
	if minutes != n || byTime != n {
		t.Fatalf("per-minute counts %d, reactions_by_time %d, want %d", minutes, byTime, n)
	}
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

// TestEachFailedWriteGetsAReconcileRecord: a write that fails after the
// one before it, retried, was written gets its own reconcile record, so the
// views end exact after both failures.
func TestEachFailedWriteGetsAReconcileRecord(t *testing.T) {
	ctx := context.Background()
	st := chtest.New(t)
	var logs syncLog
	a, err := New(ctx, Config{StateDir: t.TempDir(), BatchSize: 100, RetryInitial: 20 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, st)
	if err != nil {
		t.Fatal(err)
	}
	s, err := story.Load("testdata/story.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutStory(ctx, s); err != nil {
		t.Fatal(err)
	}
	const n = 400
	t0 := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	rs := make([]reaction.Reaction, n)
	for i := range rs {
		rs[i] = reaction.Reaction{Story: s.ID, Platform: reaction.Reddit, ID: reaction.MakeID(reaction.Reddit, fmt.Sprintf("c%05d", i)),
			CreatedAt: t0.Add(time.Duration(i) * time.Second), Text: fmt.Sprintf("Sending love to Chrissy and John (#%d)", i)}
	}
	rs[50].Text, rs[250].Text = "boom1", "boom2" // in the first and the third record
	for i := 0; i < n; i += 100 {
		if err := a.spoolReactions(rs[i : i+100]); err != nil {
			t.Fatal(err)
		}
	}
	// A view that fails every INSERT holding "boom1" or "boom2", after the
	// table has stored its rows.
	if err := st.Conn().Exec(ctx, `CREATE MATERIALIZED VIEW aaa_boom ENGINE = Memory AS
SELECT throwIf(text IN ('boom1', 'boom2')) AS x FROM reactions`); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	defer func() {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := a.Close(cctx); err != nil {
			t.Error(err)
		}
		if err := <-runDone; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s; logs:\n%s", what, logs.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The first write fails; its retry finds its rows stored (duplicates:
	// nothing to insert), the second is written, and the third fails:
	// records 3 and 4 stay, with a reconcile record for each failed write.
	waitFor("the third write never failed with a reconcile record of its own", func() bool {
		r, c := spooledKinds(t, a)
		return r == 2 && c >= 2 // more if a passing failure came on top
	})
	if err := st.Conn().Exec(ctx, "DROP TABLE aaa_boom"); err != nil {
		t.Fatal(err)
	}
	waitFor("spool not drained", func() bool { return a.spool.Records() == 0 })
	c, err := st.Counts(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var minutes int64
	for _, m := range c {
		for _, v := range m {
			minutes += v
		}
	}
	var byTime, items uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions_by_time GROUP BY id HAVING sum(sign) > 0)`).Scan(&byTime); err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions GROUP BY id HAVING sum(sign) = 1)`).Scan(&items); err != nil {
		t.Fatal(err)
	}
	if items != n || minutes != n || byTime != n {
		t.Fatalf("reactions %d, per-minute counts %d, reactions_by_time %d, want %d each", items, minutes, byTime, n)
	}
}

// TestOneDrainWritesAtMostMaxPipelinedBatches: a drain returns to the
// writer's loop (pending requests, Close) after maxPipelinedBatches writes.
func TestOneDrainWritesAtMostMaxPipelinedBatches(t *testing.T) {
	ctx := context.Background()
	st := chtest.New(t)
	a, err := New(ctx, Config{StateDir: t.TempDir(), BatchSize: 10, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.DiscardHandler)}, st)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	t0 := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	const records = maxPipelinedBatches + 5
	for k := 0; k < records; k++ {
		rs := make([]reaction.Reaction, 10)
		for i := range rs {
			n := 10*k + i
			rs[i] = reaction.Reaction{Story: "s", Platform: reaction.Reddit, ID: reaction.MakeID(reaction.Reddit, fmt.Sprintf("c%05d", n)),
				CreatedAt: t0.Add(time.Duration(n) * time.Second), Text: "Sending love"}
		}
		if err := a.spoolReactions(rs); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.spool.Records(); got != records-maxPipelinedBatches {
		t.Fatalf("%d records left after one drain, want %d", got, records-maxPipelinedBatches)
	}
	for a.spool.Records() > 0 {
		if err := a.drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := st.Conn().QueryRow(ctx, "SELECT sum(sign) FROM reactions").Scan(&n); err != nil || n != 10*records {
		t.Fatalf("%d reactions stored (%v), want %d", n, err, 10*records)
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
