package aggregator_test

import (
	"context"
	"testing"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

func TestIngestLabelsDedupsAndReplaces(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, nil)
	h.putStory(testStory(t))
	metrics := h.srv.URL + "/metrics"

	rs := makeReactions(300)
	res := h.send(rs)
	if res.Accepted != 300 || res.Duplicates != 0 || len(res.Rejected) != 0 {
		t.Fatalf("first send: %+v", res)
	}
	if c := countAll(t, st, metrics); !c.all(300) {
		t.Fatalf("after first send: %+v", c)
	}
	// Again, twice: nothing changes.
	for i := 0; i < 2; i++ {
		res = h.send(rs)
		if res.Accepted != 0 || res.Duplicates != 300 {
			t.Fatalf("resend %d: %+v", i, res)
		}
	}
	var raw uint64
	if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM reactions").Scan(&raw); err != nil || raw != 300 {
		t.Fatalf("raw rows %d (%v): duplicates must write nothing", raw, err)
	}
	// A later version replaces the earlier one: edited, deleted, more likes.
	upd := append([]reaction.Reaction(nil), rs[:30]...)
	for i := range upd {
		switch i % 3 {
		case 0:
			upd[i].Text = "Posting this for clout is disgusting, attention seeking as always"
		case 1:
			upd[i].Deleted, upd[i].Text = true, ""
		case 2:
			upd[i].Likes += 100
		}
	}
	res = h.send(upd)
	if res.Accepted != 30 || res.Duplicates != 0 {
		t.Fatalf("updates: %+v", res)
	}
	if c := countAll(t, st, metrics); !c.all(300) {
		t.Fatalf("after updates: %+v", c)
	}
	got := map[string]reaction.Reaction{}
	if err := st.CurrentReactions(context.Background(), storyID, func(r *reaction.Reaction) error {
		got[r.ID] = *r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, u := range upd {
		g := got[u.ID]
		if g.Text != u.Text || g.Deleted != u.Deleted || g.Likes != u.Likes {
			t.Errorf("reaction %d not replaced: got %+v", i, g)
		}
		if !g.Stance.Valid() || g.Classifier == "" || g.StanceScore <= 0 || g.StanceScore > 1 {
			t.Errorf("reaction %d not labelled: %+v", i, g)
		}
	}
	// Labels differ across texts: the classifier ran with the subject.
	stances := map[reaction.Stance]int{}
	for _, g := range got {
		stances[g.Stance]++
	}
	if len(stances) < 2 {
		t.Errorf("every reaction got the same stance: %v", stances)
	}
	if v := metricSum(t, metrics, "reactions_aggregator_duplicates_total", nil); v != 600 {
		t.Errorf("duplicates_total %v, want 600", v)
	}
	if v := metricSum(t, metrics, "reactions_aggregator_accepted_total", nil); v != 930 {
		t.Errorf("accepted_total %v, want 930 (every acknowledged reaction)", v)
	}
}
