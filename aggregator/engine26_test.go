package aggregator_test

import (
	"context"
	"testing"
	"time"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/store/chtest/replay"
)

// TestSQLOnClickHouse26 runs the aggregator's own SQL (the stored-ids
// filter, reactions_total, reconcile with its inserts into the views'
// tables) on the test server (18.16) with every statement recorded, then
// replays the recording on ClickHouse 26.7 (chDB) and compares every
// query's answer (see store/chtest/replay). The store's own methods are
// covered by the store's test of the same name.
func TestSQLOnClickHouse26(t *testing.T) {
	rec := replay.NewRecorder()
	st := chtest.Open(t, rec.Options())
	ctx := context.Background()
	h := start(t, st, nil)
	h.putStory(testStory(t))
	rs := makeReactions(300)
	if res := h.send(rs[:100]); res.Accepted != 100 {
		t.Fatalf("%+v", res)
	}
	// The views miss the next writes (as when ClickHouse dies between the
	// table and its views), and reconcile repairs them.
	for _, v := range []string{"reaction_minutes_mv", "reactions_by_time_mv"} {
		if err := st.Conn().Exec(ctx, "DETACH TABLE "+v); err != nil {
			t.Fatal(err)
		}
	}
	upd := append([]reaction.Reaction(nil), rs[:50]...)
	for i := range upd {
		upd[i].Text = "Posting this for clout is disgusting"
	}
	if res := h.send(append(upd, rs[100:200]...)); res.Accepted != 150 {
		t.Fatalf("%+v", res)
	}
	for _, v := range []string{"reaction_minutes_mv", "reactions_by_time_mv"} {
		if err := st.Conn().Exec(ctx, "ATTACH TABLE "+v); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := aggregator.Reconcile(ctx, st, storyID, nil); err != nil || res.ByTimeRows == 0 || res.MinuteRows == 0 {
		t.Fatalf("reconcile: %+v %v", res, err)
	}
	if res := h.send(rs[150:300]); res.Accepted != 100 {
		t.Fatalf("%+v", res)
	}
	waitDrained(t, h.srv.URL, 30*time.Second)
	if c := countAll(t, st, h.srv.URL+"/metrics"); !c.all(300) {
		t.Fatalf("counts on 18.16: %+v", c)
	}
	t.Log(replay.Check(t, st, rec))
}
