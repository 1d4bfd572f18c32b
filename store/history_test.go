package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// states returns "id#n:change" of every observed state of q.
func states(t *testing.T, s *store.Store, q store.HistoryQuery) []store.State {
	t.Helper()
	var out []store.State
	if err := s.EachState(context.Background(), q, func(st *store.State) error {
		out = append(out, *st)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func describe(ss []store.State) string {
	var b []string
	for _, st := range ss {
		b = append(b, fmt.Sprintf("%s#%d:%s", st.ID, st.N, st.Change))
	}
	return strings.Join(b, " ")
}

// TestHistoryKeepsEveryObservedState writes reactions through the real
// write path as re-crawls see them (edited, seen twice, a new score,
// deleted, restored, relabelled) and reads every observed state back,
// while every count stays that of the current states.
func TestHistoryKeepsEveryObservedState(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	write := func(rs ...reaction.Reaction) {
		t.Helper()
		if _, err := s.Write(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	a := mk("s1", reaction.Reddit, 1, t0, reaction.Support)
	b := mk("s1", reaction.Reddit, 2, t0.Add(30*time.Minute), reaction.Criticism)
	c := mk("s1", reaction.Reddit, 3, t0.Add(90*time.Minute), reaction.Neutral)
	start := time.Now().Add(-time.Second)
	write(a, b, c)
	write(a, b, c) // seen twice: no state
	a.Text = "text reddit:1, edited"
	b.Likes = 7
	write(a, b, c)
	a.Deleted, a.Text = true, ""
	b.Likes, b.Text = 9, "text reddit:2 (edited)"
	write(a, b)
	c.Deleted, c.Text = true, "[deleted]"
	write(c)
	c.Deleted, c.Text = false, "text reddit:3"
	write(c) // restored
	// A new classifier relabels b: a new row, no new observation.
	relabel, err := s.StoredReactions(ctx, "s1", []string{"reddit:2"})
	if err != nil || len(relabel) != 1 {
		t.Fatalf("stored reddit:2: %v, %v", relabel, err)
	}
	relabel[0].Stance, relabel[0].Classifier = reaction.Support, "test-2"
	if n, err := s.Relabel(ctx, relabel); err != nil || n != 1 {
		t.Fatalf("relabel: %d, %v", n, err)
	}

	all := states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1"}})
	want := "reddit:1#1:new reddit:1#2:edited reddit:1#3:deleted reddit:2#1:new reddit:2#2:score reddit:2#3:edited " +
		"reddit:3#1:new reddit:3#2:deleted reddit:3#3:restored"
	if got := describe(all); got != want {
		t.Errorf("states\n got %s\nwant %s", got, want)
	}
	for _, st := range all {
		if st.ObservedAt.Before(start.Truncate(time.Second)) || st.ObservedAt.After(time.Now().Add(time.Second)) || st.Story != "s1" {
			t.Errorf("%s#%d observed at %s, written after %s", st.ID, st.N, st.ObservedAt, start)
		}
	}
	if all[1].Text != "text reddit:1, edited" || !all[2].Deleted || all[4].Likes != 7 || all[5].Likes != 9 || all[0].Text != "text reddit:1" {
		t.Errorf("state contents: %+v", all)
	}
	if got := describe(states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1"}, ContentOnly: true})); strings.Contains(got, "score") ||
		!strings.Contains(got, "reddit:2#3:edited") {
		t.Errorf("content changes only: %s", got)
	}
	if got := describe(states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1", From: t0.Add(time.Minute), To: t0.Add(time.Hour)}})); got != "reddit:2#1:new reddit:2#2:score reddit:2#3:edited" {
		t.Errorf("a range: %s", got)
	}
	if got := describe(states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1", ChunkRows: 1}, IDs: []string{"reddit:3", "reddit:404"}})); got != "reddit:3#1:new reddit:3#2:deleted reddit:3#3:restored" {
		t.Errorf("by id: %s", got)
	}

	// Counts: three reactions, one deleted, whatever the history holds.
	byStance, err := s.Counts(ctx, "s1", false)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(byStance) != "map[reddit:map[neutral:1 support:2]]" {
		t.Errorf("counts %v, want each of the three reactions once", byStance)
	}
	var del []store.KeyCount
	var exported int
	if err := s.EachReaction(ctx, store.ReactionQuery{Story: "s1"}, func(*reaction.Reaction) error { exported++; return nil }); err != nil || exported != 3 {
		t.Errorf("%d current reactions (%v)", exported, err)
	}
	del, err = s.DeletedCounts(ctx, store.SeriesQuery{Story: "s1", From: t0, To: t0.Add(2 * time.Hour), Step: 3600})
	if err != nil || fmt.Sprint(del) != fmt.Sprintf("[{%d 1}]", t0.Unix()/3600) {
		t.Errorf("deleted per hour: %v (%v)", del, err)
	}
	sums, err := s.HistorySummaries(ctx, "s1", []string{"reddit:1", "reddit:2", "reddit:3"})
	if err != nil {
		t.Fatal(err)
	}
	if h := sums["reddit:1"]; h.States != 3 || h.Edits != 1 || h.DeletedAt.IsZero() {
		t.Errorf("reddit:1: %+v", h)
	}
	if h := sums["reddit:3"]; h.States != 3 || h.Edits != 0 || !h.DeletedAt.IsZero() {
		t.Errorf("reddit:3 (restored): %+v", h)
	}
}

// TestMigration0006 runs 0006 on a database whose reactions hold states
// not merged yet and a history that lacks them (as before the migration):
// the history starts with them, and running it again adds nothing.
func TestMigration0006(t *testing.T) {
	ctx := context.Background()
	s := chtest.New(t)
	a := mk("s1", reaction.HackerNews, 1, t0, reaction.Support)
	if _, err := s.Write(ctx, []reaction.Reaction{a, mk("s1", reaction.HackerNews, 2, t0, reaction.Neutral)}); err != nil {
		t.Fatal(err)
	}
	a.Text = "edited"
	if _, err := s.Write(ctx, []reaction.Reaction{a}); err != nil {
		t.Fatal(err)
	}
	if err := s.Conn().Exec(ctx, "TRUNCATE TABLE reaction_history"); err != nil {
		t.Fatal(err)
	}
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var m0006 store.Migration
	for _, m := range ms {
		if m.Version == 6 {
			m0006 = m
		}
	}
	want := "hackernews:1#1:new hackernews:1#2:edited hackernews:2#1:new"
	for run := 1; run <= 2; run++ {
		if err := s.Apply(ctx, m0006); err != nil {
			t.Fatal(err)
		}
		if got := describe(states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1"}})); got != want {
			t.Errorf("run %d: %s, want %s", run, got, want)
		}
		var rows uint64
		if err := s.Conn().QueryRow(ctx, "SELECT count() FROM reaction_history").Scan(&rows); err != nil || rows != 3 {
			t.Errorf("run %d: %d rows (%v), want 3", run, rows, err)
		}
	}
	// Written after: the write path keeps it.
	a.Deleted, a.Text = true, ""
	if _, err := s.Write(ctx, []reaction.Reaction{a}); err != nil {
		t.Fatal(err)
	}
	if got := describe(states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1"}, IDs: []string{"hackernews:1"}})); got != "hackernews:1#1:new hackernews:1#2:edited hackernews:1#3:deleted" {
		t.Errorf("then deleted: %s", got)
	}
}

// TestHistoryRetriedWrite: a write whose INSERT into reactions failed
// after its states went into the history is retried, and the history gets
// the same state again with a later version; it is one observed state.
func TestHistoryRetriedWrite(t *testing.T) {
	ctx := context.Background()
	s := chtest.New(t)
	a := mk("s1", reaction.Lemmy, 1, t0, reaction.Support)
	if _, err := s.Write(ctx, []reaction.Reaction{a}); err != nil {
		t.Fatal(err)
	}
	// The retried write's row: the state again, a version later.
	if err := s.Conn().Exec(ctx, `INSERT INTO reaction_history (story, platform, id, version, observed_at, parent_id, root_id, relation, is_root,
    url, created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest)
SELECT story, platform, id, version + 1, observed_at, parent_id, root_id, relation, is_root,
    url, created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest
FROM reaction_history WHERE story = 's1'`); err != nil {
		t.Fatal(err)
	}
	a.Text = "edited"
	if _, err := s.Write(ctx, []reaction.Reaction{a}); err != nil {
		t.Fatal(err)
	}
	if got := describe(states(t, s, store.HistoryQuery{Reactions: store.ReactionQuery{Story: "s1"}})); got != "lemmy:1#1:new lemmy:1#2:edited" {
		t.Errorf("states: %s", got)
	}
}
