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

	deadline := time.Now().Add(30 * time.Second)
	for !a.outage.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("the write of the eleventh record never failed; logs:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Records 11 to 20 and a reconcile record for the failed write.
	if got := a.spool.Records(); got != 11 {
		t.Fatalf("%d records spooled after the failed write, want 11; logs:\n%s", got, logs.String())
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
