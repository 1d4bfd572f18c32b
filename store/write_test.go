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
	c, err := s.Counts(ctx, storyID, true)
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

	res, err := s.Write(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 500 || res.Duplicates != 0 {
		t.Fatalf("first write: %+v", res)
	}
	for i := 0; i < 3; i++ {
		res, err = s.Write(ctx, rs)
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
	if res, err = s.Write(ctx, upd); err != nil || res.Updated != 100 {
		t.Fatalf("update: %+v %v", res, err)
	}
	// The same batch twice in one call: the second copy is a duplicate.
	if res, err = s.Write(ctx, append(upd[:10:10], upd[:10]...)); err != nil || res.Duplicates != 20 {
		t.Fatalf("duplicate update: %+v %v", res, err)
	}
	c, _ := s.Counts(ctx, "teigen-loss", true)
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
	if _, err := s.Write(ctx, []reaction.Reaction{del}); err != nil {
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
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	cur, err := s.StoredReactions(ctx, "teigen-loss", ids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cur {
		cur[i].Stance, cur[i].Classifier = reaction.Neutral, "test-v2"
	}
	read := len(cur)
	changed, err := s.Relabel(ctx, cur)
	if err != nil || read != 500 || changed != 499 { // the deleted one keeps its stance
		t.Fatalf("relabel: read %d changed %d err %v", read, changed, err)
	}
	c, _ = s.Counts(ctx, "teigen-loss", true)
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
	if _, err := s.Write(context.Background(), rs); err == nil {
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

// writeAll writes batches one after another with Write, stopping at the
// first error, and returns each written batch's result.
func writeAll(s *store.Store, batches ...[]reaction.Reaction) (results []store.WriteResult, err error) {
	for _, b := range batches {
		r, err := s.Write(context.Background(), b)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

func TestWriteIsExactAcrossOverlappingBatches(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	all := sample(500, reaction.Support)
	clone := func(rs []reaction.Reaction) []reaction.Reaction { return append([]reaction.Reaction(nil), rs...) }

	// Each batch finds the states the one before wrote.
	b1 := clone(all[:300])
	b2 := clone(all[200:500])
	for i := 0; i < 100; i++ { // 200..299 edited
		b2[i].Text += " (edited)"
	}
	b3 := clone(all[:100]) // identical: duplicates
	for i := 100; i < 150; i++ {
		r := all[i]
		r.Likes = 7
		b3 = append(b3, r)
	}
	for i := 250; i < 261; i++ {
		r := b2[i-200]
		r.Text += " twice"
		r.Stance = reaction.Criticism
		b3 = append(b3, r)
	}
	b4 := clone(b3) // only duplicates: nothing to insert
	results, err := writeAll(s, b1, b2, b3, b4)
	if err != nil || len(results) != 4 {
		t.Fatalf("Write: %v, %d batches written", err, len(results))
	}
	want := []struct{ New, Updated, Duplicates int }{{300, 0, 0}, {200, 100, 0}, {0, 61, 100}, {0, 0, 161}}
	for i, r := range results {
		if r.New != want[i].New || r.Updated != want[i].Updated || r.Duplicates != want[i].Duplicates {
			t.Errorf("batch %d: new %d updated %d duplicates %d, want %+v", i+1, r.New, r.Updated, r.Duplicates, want[i])
		}
	}
	if m, n := total(t, s, "teigen-loss"); m != 500 || n != 500 {
		t.Fatalf("minutes %d items %d, want 500", m, n)
	}
	var bad uint64
	if err := s.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id, sum(sign) AS s FROM reactions
GROUP BY id HAVING s != 1)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d ids whose rows do not sum to one (%v)", bad, err)
	}
	// 500 states, 100 + 61 replaced (a cancel and a new state each).
	var raw uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM reactions").Scan(&raw); err != nil || raw != 500+2*161 {
		t.Fatalf("raw rows %d (%v), want %d", raw, err, 500+2*161)
	}
	byID := map[string]reaction.Reaction{}
	if err := s.CurrentReactions(ctx, "teigen-loss", func(r *reaction.Reaction) error { byID[r.ID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		got, text, likes, stance := byID[r.ID], r.Text, int64(0), reaction.Support
		switch {
		case i >= 250 && i < 261:
			text, stance = r.Text+" (edited) twice", reaction.Criticism
		case i >= 200 && i < 300:
			text = r.Text + " (edited)"
		case i >= 100 && i < 150:
			likes = 7
		}
		if got.Text != text || got.Likes != likes || got.Stance != stance {
			t.Fatalf("reaction %d: %q likes %d %s, want %q likes %d %s", i, got.Text, got.Likes, got.Stance, text, likes, stance)
		}
	}
}

func TestWriteAfterAFailedInsert(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	// A view that fails the INSERT of any reaction whose text is "boom".
	if err := s.Conn().Exec(ctx, `CREATE MATERIALIZED VIEW boom ENGINE = Memory AS
SELECT throwIf(text = 'boom') AS x FROM reactions`); err != nil {
		t.Fatal(err)
	}
	all := sample(300, reaction.Support)
	b2 := append([]reaction.Reaction(nil), all[100:200]...)
	b2[50].Text = "boom"
	results, err := writeAll(s, all[:100], b2, all[200:300], all[:10])
	if err == nil || len(results) != 1 {
		t.Fatalf("Write: %v, %d batches written; want an error after the first", err, len(results))
	}
	// The store goes on: the failed batch without its bad reaction, then
	// the one after it, are written, exactly once each. (The failed
	// INSERT had stored its rows before the view threw: the aggregator's
	// reconcile record repairs the other views after such a write, see
	// aggregator/reconcile.go; here only the table is checked.)
	if err := s.Conn().Exec(ctx, "DROP TABLE boom"); err != nil {
		t.Fatal(err)
	}
	b2[50].Text = all[150].Text
	results, err = writeAll(s, b2, all[200:300])
	if err != nil || len(results) != 2 || results[1].New != 100 {
		t.Fatalf("after the failure: %v %+v", err, results)
	}
	var ids, bad uint64
	if err := s.Conn().QueryRow(ctx, `SELECT count(), countIf(s != 1) FROM (SELECT id, sum(sign) AS s FROM reactions
GROUP BY id)`).Scan(&ids, &bad); err != nil || ids != 300 || bad != 0 {
		t.Fatalf("%d ids, %d whose rows do not sum to one (%v), want 300 and 0", ids, bad, err)
	}
}

// TestWriteKeepsSignedScoresRootsAndWarnings: a negative score, the thread
// starter flag and a content warning are stored and read back as written,
// and a changed content warning is a new state.
func TestWriteKeepsSignedScoresRootsAndWarnings(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	rs := sample(2, reaction.Criticism)
	rs[0].IsRoot, rs[0].Likes = true, 57
	rs[1].ParentID, rs[1].Likes, rs[1].ContentWarning = rs[0].ID, -40, "loss, grief"
	if _, err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	read := func() map[string]reaction.Reaction {
		got := map[string]reaction.Reaction{}
		err := s.EachReaction(ctx, store.ReactionQuery{Story: "teigen-loss"}, func(r *reaction.Reaction) error { got[r.ID] = *r; return nil })
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read()
	if r := got[rs[0].ID]; !r.IsRoot || r.Likes != 57 || r.ContentWarning != "" {
		t.Errorf("root: %+v", r)
	}
	if r := got[rs[1].ID]; r.IsRoot || r.Likes != -40 || r.ContentWarning != "loss, grief" {
		t.Errorf("reply: %+v", r)
	}
	rs[1].ContentWarning = "loss"
	res, err := s.Write(ctx, rs)
	if err != nil || res.Updated != 1 || res.Duplicates != 1 {
		t.Fatalf("a changed content warning: %+v %v, want 1 updated, 1 duplicate", res, err)
	}
	if r := read()[rs[1].ID]; r.ContentWarning != "loss" {
		t.Errorf("after the change: %+v", r)
	}
	if all, roots := counts(t, s, true), counts(t, s, false); all != 2 || roots != 1 {
		t.Errorf("counts %d with and %d without thread starters, want 2 and 1", all, roots)
	}
}

func counts(t *testing.T, s *store.Store, includeRoots bool) int64 {
	t.Helper()
	c, err := s.Counts(context.Background(), "teigen-loss", includeRoots)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range c {
		for _, v := range m {
			n += v
		}
	}
	return n
}

// BenchmarkWrite writes batches of 5,000 new reactions into a story that
// already holds 50,000, as the aggregator does during a crawl: the lookup
// of their stored states, then one INSERT. It reports the time per
// reaction.
func BenchmarkWrite(b *testing.B) {
	s := chtest.New(b)
	ctx := context.Background()
	const per = 5000
	batch := func(k int) []reaction.Reaction {
		rs := sample(per, reaction.Support)
		for i := range rs {
			rs[i].ID = reaction.MakeID(rs[i].Platform, fmt.Sprint(1_000_000+k*per+i))
		}
		return rs
	}
	k := 0
	for ; k < 10; k++ {
		if _, err := s.Write(ctx, batch(k)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rs := batch(k)
		k++
		if _, err := s.Write(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*per), "µs/reaction")
}

// TestRelabelLeavesReactionsChangedSinceRead: a reaction written anew
// between StoredReactions and Relabel keeps the label its writer gave it.
func TestRelabelLeavesReactionsChangedSinceRead(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	rs := sample(3, reaction.Support)
	if _, err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	cur, err := s.StoredReactions(ctx, "teigen-loss", []string{rs[0].ID, rs[1].ID, rs[2].ID, "reddit:nowhere"})
	if err != nil || len(cur) != 3 {
		t.Fatalf("StoredReactions: %d %v", len(cur), err)
	}
	edited := rs[1]
	edited.Text, edited.Stance = "edited meanwhile", reaction.Criticism
	if _, err := s.Write(ctx, []reaction.Reaction{edited}); err != nil {
		t.Fatal(err)
	}
	for i := range cur {
		cur[i].Stance, cur[i].Classifier = reaction.Neutral, "test-v2"
	}
	if changed, err := s.Relabel(ctx, cur); err != nil || changed != 2 {
		t.Fatalf("Relabel: %d changed, %v; want 2", changed, err)
	}
	got := map[string]reaction.Reaction{}
	if err := s.CurrentReactions(ctx, "teigen-loss", func(r *reaction.Reaction) error { got[r.ID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	if r := got[rs[1].ID]; r.Stance != reaction.Criticism || r.Text != "edited meanwhile" {
		t.Errorf("the reaction edited meanwhile: %+v", r)
	}
	if r := got[rs[0].ID]; r.Stance != reaction.Neutral {
		t.Errorf("a reaction read and relabelled: %+v", r)
	}
	if m, n := total(t, s, "teigen-loss"); m != 3 || n != 3 {
		t.Errorf("minutes %d items %d, want 3", m, n)
	}
}
