package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

func sample(n int, st reaction.Stance) []reaction.Reaction {
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	rs := make([]reaction.Reaction, n)
	for i := range rs {
		rs[i] = reaction.Reaction{
			Story: "teigen-loss", Platform: reaction.Platforms[i%len(reaction.Platforms)],
			CreatedAt: t0.Add(time.Duration(i) * time.Minute), Text: fmt.Sprintf("reaction %d", i),
			Stance: st, StanceScore: 0.9, Classifier: "test-v1",
		}
		rs[i].ID = reaction.MakeID(rs[i].Platform, fmt.Sprint(1000+i))
	}
	return rs
}

func total(t *testing.T, s *store.Store, storyID string) (minutes, items int64) {
	t.Helper()
	ctx := context.Background()
	c, err := s.Counts(ctx, storyID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c {
		for _, n := range m {
			minutes += n
		}
	}
	if err := s.CurrentReactions(ctx, storyID, func(*reaction.Reaction) error { items++; return nil }); err != nil {
		t.Fatal(err)
	}
	return minutes, items
}

func TestWriteIsExactUnderReinsertion(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	rs := sample(500, reaction.Support)

	res, err := s.WriteReactions(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 500 || res.Duplicates != 0 {
		t.Fatalf("first write: %+v", res)
	}
	for i := 0; i < 3; i++ {
		res, err = s.WriteReactions(ctx, rs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Duplicates != 500 || res.New+res.Updated != 0 {
			t.Fatalf("re-write %d: %+v", i, res)
		}
	}
	if m, n := total(t, s, "teigen-loss"); m != 500 || n != 500 {
		t.Fatalf("after re-insertion: minutes %d items %d, want 500", m, n)
	}
	var raw uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM reactions").Scan(&raw); err != nil || raw != 500 {
		t.Fatalf("raw rows %d (%v): duplicates must write nothing", raw, err)
	}

	// A later version replaces the earlier one: edit, more likes, another
	// stance, deletion; counts move between stances but the total stays.
	upd := rs[:100]
	for i := range upd {
		upd[i].Text += " (edited)"
		upd[i].Likes = 7
		upd[i].Stance = reaction.Criticism
	}
	if res, err = s.WriteReactions(ctx, upd); err != nil || res.Updated != 100 {
		t.Fatalf("update: %+v %v", res, err)
	}
	// The same batch twice in one call: the second copy is a duplicate.
	if res, err = s.WriteReactions(ctx, append(upd[:10:10], upd[:10]...)); err != nil || res.Duplicates != 20 {
		t.Fatalf("duplicate update: %+v %v", res, err)
	}
	c, _ := s.Counts(ctx, "teigen-loss")
	var sup, crit int64
	for _, m := range c {
		sup += m[reaction.Support]
		crit += m[reaction.Criticism]
	}
	if sup != 400 || crit != 100 {
		t.Fatalf("support %d criticism %d, want 400/100", sup, crit)
	}
	var got reaction.Reaction
	_ = s.CurrentReactions(ctx, "teigen-loss", func(r *reaction.Reaction) error {
		if r.ID == upd[0].ID {
			got = *r
		}
		return nil
	})
	if got.Text != upd[0].Text || got.Likes != 7 || got.Stance != reaction.Criticism {
		t.Fatalf("stored state not replaced: %+v", got)
	}

	// Deleted with its text removed: still counted, last known stance kept.
	del := upd[0]
	del.Deleted, del.Text, del.Stance = true, "", reaction.Neutral
	if _, err := s.WriteReactions(ctx, []reaction.Reaction{del}); err != nil {
		t.Fatal(err)
	}
	_ = s.CurrentReactions(ctx, "teigen-loss", func(r *reaction.Reaction) error {
		if r.ID == del.ID {
			got = *r
		}
		return nil
	})
	if !got.Deleted || got.Text != "" || got.Stance != reaction.Criticism {
		t.Fatalf("deleted reaction: %+v", got)
	}
	if m, n := total(t, s, "teigen-loss"); m != 500 || n != 500 {
		t.Fatalf("after updates: minutes %d items %d, want 500", m, n)
	}

	// Relabel moves counts and keeps totals.
	read, changed, err := s.Relabel(ctx, "teigen-loss", func(r *reaction.Reaction) {
		r.Stance, r.Classifier = reaction.Neutral, "test-v2"
	})
	if err != nil || read != 500 || changed != 499 { // the deleted one keeps its stance
		t.Fatalf("relabel: read %d changed %d err %v", read, changed, err)
	}
	c, _ = s.Counts(ctx, "teigen-loss")
	var neu int64
	for _, m := range c {
		neu += m[reaction.Neutral]
	}
	if neu != 499 {
		t.Fatalf("neutral after relabel %d, want 499", neu)
	}
	// Merges must not change anything either.
	if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE reactions FINAL"); err != nil {
		t.Fatal(err)
	}
	if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE reaction_minutes FINAL"); err != nil {
		t.Fatal(err)
	}
	if m, n := total(t, s, "teigen-loss"); m != 500 || n != 500 {
		t.Fatalf("after merges: minutes %d items %d, want 500", m, n)
	}
}

func TestWriteRefusesUnlabelled(t *testing.T) {
	s := chtest.New(t)
	rs := sample(1, "")
	if _, err := s.WriteReactions(context.Background(), rs); err == nil {
		t.Fatal("want an error for an unlabelled reaction")
	}
}

func TestStoriesAndRuns(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	st := &story.Story{ID: "teigen-loss", Title: "Loss", Subject: []string{"Chrissy Teigen"},
		Published: time.Date(2020, 9, 30, 23, 0, 0, 0, time.UTC)}
	if err := s.PutStory(ctx, st); err != nil {
		t.Fatal(err)
	}
	st.Title = "Loss (updated)"
	if err := s.PutStory(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetStory(ctx, "teigen-loss")
	if err != nil || got.Story.Title != "Loss (updated)" || !got.Story.Published.Equal(st.Published) {
		t.Fatalf("GetStory: %+v %v", got, err)
	}
	if _, err := s.GetStory(ctx, "nope"); err == nil {
		t.Fatal("want ErrNotFound")
	}
	run := reaction.CrawlRun{Story: "teigen-loss", Source: "reddit", Platform: reaction.Reddit, RunID: "r1",
		Started: time.Date(2020, 10, 2, 0, 0, 0, 0, time.UTC), Status: reaction.RunRunning}
	if err := s.PutCrawlRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Finished, run.Status, run.Items = run.Started.Add(time.Minute), reaction.RunOK, 42
	run.ErrorKinds = map[string]int64{"http_5xx": 2}
	if err := s.PutCrawlRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	runs, err := s.CrawlRuns(ctx, "teigen-loss")
	if err != nil || len(runs) != 1 || runs[0].Status != reaction.RunOK || runs[0].Items != 42 || runs[0].ErrorKinds["http_5xx"] != 2 {
		t.Fatalf("CrawlRuns: %+v %v", runs, err)
	}
}
