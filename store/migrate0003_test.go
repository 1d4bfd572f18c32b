package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// oldRow is a reactions row as written before migration 0003.
type oldRow struct {
	platform, id, parent string
	stance               reaction.Stance
	at                   time.Duration // after t0
	likes                int64
	text                 string
	version              uint64
	sign                 int8
}

func insertOld(t *testing.T, s *store.Store, rows []oldRow) {
	t.Helper()
	b, err := s.Conn().PrepareBatch(context.Background(), `INSERT INTO reactions (story, platform, id, parent_id, root_id, url,
created_at, first_seen, author, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		root := r.parent
		if root == "" {
			root = r.id
		}
		if err := b.Append("s", r.platform, r.id, r.parent, root, "https://example.org/"+r.id, t0.Add(r.at), t0,
			"", r.text, "en", r.likes, int64(0), uint8(0), string(r.stance), 0.8, "old-1", uint64(1), r.version, r.sign); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

// counts returns a story's counts by stance (all platforms), from the
// per-minute table.
func stanceCounts(t *testing.T, s *store.Store, includeRoots bool) map[reaction.Stance]int64 {
	t.Helper()
	c, err := s.Counts(context.Background(), "s", includeRoots)
	if err != nil {
		t.Fatal(err)
	}
	out := map[reaction.Stance]int64{}
	for _, m := range c {
		for st, n := range m {
			out[st] += n
		}
	}
	return out
}

// TestMigration0003 applies 0003 to a database holding reactions and a
// crawl run written under 0002: every row is kept, the thread starters of
// the platforms where they are the only top-level posts are flagged and
// moved out of the default counts, and applying the migration's statements
// again (an interrupted run) changes nothing.
func TestMigration0003(t *testing.T) {
	for _, on := range targets {
		t.Run(on.name, func(t *testing.T) { testMigration0003(t, on.dsn(t)) })
	}
}

func testMigration0003(t *testing.T, dsn string) {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.MigrateTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	insertOld(t, s, []oldRow{
		{"reddit", "reddit:t3_a", "", reaction.Neutral, 0, 120, "Chrissy Teigen shares loss", 1, 1},
		{"reddit", "reddit:t1_b", "reddit:t3_a", reaction.Criticism, 30 * time.Second, -40, "Should have stayed private", 1, 1},
		{"hackernews", "hackernews:1", "", reaction.Neutral, 2 * time.Minute, 5, "A story", 1, 1},
		{"lemmy", "lemmy:https://lemmy.example/post/1", "", reaction.Support, 3 * time.Minute, -3, "A post", 1, 1},
		{"mastodon", "mastodon:https://m.example/1", "", reaction.Support, time.Minute, 2, "CW: loss\n\nI lit a candle", 1, 1},
		// A story whose stance changed: its cancel and new state.
		{"hackernews", "hackernews:1", "", reaction.Neutral, 2 * time.Minute, 5, "A story", 1, -1},
		{"hackernews", "hackernews:1", "", reaction.Support, 2 * time.Minute, 5, "A story", 2, 1},
	})
	if err := s.Conn().Exec(ctx, `INSERT INTO crawl_runs (story, source, platform, run_id, started, finished, requests, pages,
items, new_items, errors, error_kinds, error_counts, blocked, status, message, updated)
SELECT 's', 'reddit', 'reddit', 'r1', toDateTime('2020-10-02 00:00:00'), toDateTime('2020-10-02 00:10:00'),
3, 3, 5, 5, 1, ['parse'], [1], 0, 'warning', 'old run', 1`); err != nil {
		t.Fatal(err)
	}
	before := stanceCounts(t, s, true)

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(applied, 3) {
		t.Fatalf("applied %v, want 0003 among them", applied)
	}
	roots := map[string]bool{"reddit:t3_a": true, "hackernews:1": true, "lemmy:https://lemmy.example/post/1": true}
	check := func(when string) {
		t.Helper()
		got := map[string]reaction.Reaction{}
		if err := s.CurrentReactions(ctx, "s", func(r *reaction.Reaction) error { got[r.ID] = *r; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Errorf("%s: %d reactions, want 5", when, len(got))
		}
		for id, r := range got {
			if r.IsRoot != roots[id] {
				t.Errorf("%s: %s is_root = %v, want %v", when, id, r.IsRoot, roots[id])
			}
		}
		if got["reddit:t1_b"].Likes != -40 || got["lemmy:https://lemmy.example/post/1"].Likes != -3 {
			t.Errorf("%s: negative scores not kept: %d, %d", when, got["reddit:t1_b"].Likes, got["lemmy:https://lemmy.example/post/1"].Likes)
		}
		// The time-ordered copy agrees.
		page, _, err := s.Reactions(ctx, store.ReactionQuery{Story: "s", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if r.IsRoot != roots[r.ID] {
				t.Errorf("%s: reactions_by_time: %s is_root = %v", when, r.ID, r.IsRoot)
			}
		}
		all, noRoots := stanceCounts(t, s, true), stanceCounts(t, s, false)
		if !mapsEqual(all, before) {
			t.Errorf("%s: counts with thread starters %v, want %v as before the migration", when, all, before)
		}
		want := map[reaction.Stance]int64{reaction.Criticism: 1, reaction.Support: 1} // the comment and the Mastodon status
		if !mapsEqual(noRoots, want) {
			t.Errorf("%s: counts without thread starters %v, want %v", when, noRoots, want)
		}
		series, err := s.SeriesCounts(ctx, store.SeriesQuery{Story: "s", From: t0, To: t0.Add(time.Hour), Step: 3600})
		if err != nil {
			t.Fatal(err)
		}
		if len(series) != 1 || series[0].Support != 1 || series[0].Criticism != 1 || series[0].Neutral != 0 {
			t.Errorf("%s: series %+v, want support 1, criticism 1", when, series)
		}
		withRoots, err := s.SeriesCounts(ctx, store.SeriesQuery{Story: "s", From: t0, To: t0.Add(time.Hour), Step: 3600, IncludeRoots: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(withRoots) != 1 || withRoots[0].Support != 3 || withRoots[0].Neutral != 1 {
			t.Errorf("%s: series with roots %+v, want support 3, criticism 1, neutral 1", when, withRoots)
		}
	}
	check("after 0003")
	runs, err := s.CrawlRuns(ctx, "s")
	if err != nil || len(runs) != 1 || runs[0].ErrorKinds["parse"] != 1 || runs[0].Repaired != nil {
		t.Fatalf("old crawl run: %+v %v", runs, err)
	}

	// An interrupted migration runs again: nothing changes. The
	// migrations after it then run again too, as the runner would run
	// them after it (0005 recreates the view 0003 creates).
	ms, _ := store.Migrations()
	for _, m := range ms {
		if m.Version >= 3 {
			if err := s.Apply(ctx, m); err != nil {
				t.Fatalf("%04d again: %v", m.Version, err)
			}
		}
	}
	check("after 0003 again")

	// The crawler now sends the Reddit post flagged: a new state (the
	// digest differs), and the counts stay.
	rs := []reaction.Reaction{{Story: "s", Platform: reaction.Reddit, ID: "reddit:t3_a", RootID: "reddit:t3_a", IsRoot: true,
		URL: "https://example.org/reddit:t3_a", CreatedAt: t0, FirstSeen: t0, Text: "Chrissy Teigen shares loss", Lang: "en",
		Likes: 120, Stance: reaction.Neutral, StanceScore: 0.8, Classifier: "old-1"}}
	res, err := s.Write(ctx, rs)
	if err != nil || res.Updated != 1 {
		t.Fatalf("resend the post: %+v %v", res, err)
	}
	check("after the post was sent again")
	if err := s.PutCrawlRun(ctx, reaction.CrawlRun{Story: "s", Source: "reddit", Platform: reaction.Reddit, RunID: "r2",
		Started: t0.Add(48 * time.Hour), Status: reaction.RunOK, Repaired: map[string]int64{"lang": 2}}); err != nil {
		t.Fatal(err)
	}
	runs, err = s.CrawlRuns(ctx, "s")
	if err != nil || len(runs) != 2 || runs[0].Repaired["lang"] != 2 {
		t.Fatalf("crawl runs: %+v %v", runs, err)
	}
}

func mapsEqual(a, b map[reaction.Stance]int64) bool {
	for k, v := range a {
		if v != 0 && b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if v != 0 && a[k] != v {
			return false
		}
	}
	return true
}
