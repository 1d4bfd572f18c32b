package store_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/store/chtest/replay"
	"github.com/reactions-research/reactions/story"
)

// TestSQLOnClickHouse26 runs a workload that calls every method of the
// Store that talks to ClickHouse, on the test server (18.16) with every
// statement recorded, then replays the recording on ClickHouse 26.7 (chDB)
// and compares every query's answer (see store/chtest/replay). Every
// migration runs, as Open applies them; a query added to a method is
// checked as soon as the workload reaches it, and a method added to the
// Store (in the package's own files) fails this test until the workload
// calls it. It is one long function on purpose: the workload must run in
// order in one database while the recorder listens.
func TestSQLOnClickHouse26(t *testing.T) {
	rec := replay.NewRecorder()
	s := chtest.Open(t, rec.Options())
	ctx := context.Background()
	called := map[string]bool{"Migrate": true} // by Open
	must := func(method string, err error) {
		t.Helper()
		called[method] = true
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}

	// Stories and crawl runs.
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	st := &story.Story{ID: "teigen-loss", Title: "Chrissy Teigen's loss", Subject: []string{"Chrissy Teigen", "@chrissyteigen"},
		Published: t0, Window: &story.Window{From: t0.Add(-24 * time.Hour), To: t0.Add(30 * 24 * time.Hour)}}
	must("PutStory", s.PutStory(ctx, st))
	must("PutStory", s.PutStory(ctx, &story.Story{ID: "other-story", Title: "It's \"quoted\"\tand\\escaped",
		Subject: []string{"it's", `back\slash`, "tab\there", "line\nbreak", ""}}))
	run := reaction.CrawlRun{Story: st.ID, Source: "reddit", Platform: reaction.Reddit, RunID: "r1", Started: t0,
		Requests: 10, Pages: 3, Items: 40}
	must("PutCrawlRun", s.PutCrawlRun(ctx, run))
	run.Finished, run.Errors, run.ErrorKinds, run.Status = t0.Add(time.Hour), 3, map[string]int64{"http_5xx": 2, "parse 'quoted'\\": 1}, "done"
	must("PutCrawlRun", s.PutCrawlRun(ctx, run))
	must("PutCrawlRun", s.PutCrawlRun(ctx, reaction.CrawlRun{Story: st.ID, Source: "mastodon-2", Platform: reaction.Mastodon,
		RunID: "m1", Started: t0.Add(time.Minute), Blocked: 1, Status: "blocked", Message: "robots.txt disallows /api"}))
	must("PutCrawlRun", s.PutCrawlRun(ctx, reaction.CrawlRun{Story: st.ID, Source: "bluesky", Platform: reaction.Bluesky,
		RunID: "b1", Started: t0.Add(2 * time.Minute), Status: "ok",
		Discovered: []reaction.Discovery{{Thread: "bluesky:at://did:plc:x/app.bsky.feed.post/3k", Via: reaction.ViaBlueskyURLSearch, Link: "https://example.org/a?'q'"}},
		Gaps:       []reaction.Gap{{From: t0, To: t0.Add(40 * time.Hour), Reason: "older than the replay window"}}}))

	// Reactions: new ones over five days on every platform, in every
	// stance, with texts that need escaping and negative scores.
	rs := make([]reaction.Reaction, 400)
	stances := []reaction.Stance{reaction.Support, reaction.Criticism, reaction.Neutral}
	for i := range rs {
		p := reaction.Platforms[i%len(reaction.Platforms)]
		rs[i] = reaction.Reaction{Story: st.ID, Platform: p, ID: reaction.MakeID(p, fmt.Sprint(5000+i)),
			CreatedAt: t0.Add(time.Duration(i) * 17 * time.Minute), FirstSeen: t0.Add(6 * 24 * time.Hour),
			Author: fmt.Sprintf("a_%016x", i%37), Text: fmt.Sprintf("reaction %d: it's\t\"hard\"\n\\ ünïcode 😢", i),
			Lang: []string{"en", "es", ""}[i%3], Likes: int64(i%11 - 5), Replies: int64(i % 4),
			URL: fmt.Sprintf("https://example.org/%d?a=1&b='2'", i), Stance: stances[i%3], StanceScore: float64(i%100) / 99,
			Classifier: "test-v1"}
		if i%5 != 0 {
			rs[i].ParentID, rs[i].RootID = rs[i-i%5].ID, rs[i-i%5].ID
			if i%5 == 3 {
				rs[i].Relation = reaction.RelationQuote
			}
		} else {
			rs[i].RootID = rs[i].ID
		}
	}
	_, err := s.Write(ctx, rs[:300])
	must("Write", err)
	_, err = s.Write(ctx, rs[:50]) // duplicates: nothing written
	must("Write", err)
	// Changes: edits, more likes, deletions (which keep the stance), and
	// new stances.
	upd := append([]reaction.Reaction(nil), rs[:120]...)
	for i := range upd {
		switch i % 4 {
		case 0:
			upd[i].Text += " (edited)"
		case 1:
			upd[i].Likes -= 40
		case 2:
			upd[i].Deleted, upd[i].Text = true, ""
		}
	}
	for i := range upd {
		if upd[i].Likes < -30 {
			upd[i].Stance, upd[i].StanceScore, upd[i].Classifier = reaction.Criticism, 0.75, "test-v2"
		}
	}
	_, err = s.Write(ctx, upd)
	must("Write", err)
	for _, b := range [][]reaction.Reaction{rs[300:350], rs[340:400], upd[:10]} {
		_, err = s.Write(ctx, b)
		must("Write", err)
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	cur, err := s.StoredReactions(ctx, st.ID, ids)
	must("StoredReactions", err)
	for i := range cur {
		if cur[i].Platform == reaction.HackerNews {
			cur[i].Stance, cur[i].StanceScore, cur[i].Classifier = reaction.Neutral, 0.5, "test-v3"
		}
	}
	_, err = s.Relabel(ctx, cur)
	must("Relabel", err)

	// Every read, with each kind of filter.
	_, err = s.Stories(ctx)
	must("Stories", err)
	_, err = s.GetStory(ctx, st.ID)
	must("GetStory", err)
	if _, err := s.GetStory(ctx, "no-such-story"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetStory of a missing story: %v", err)
	}
	for _, id := range []string{st.ID, "no-such-story"} {
		_, err = s.HasStory(ctx, id)
		must("HasStory", err)
	}
	_, err = s.DatabasesWithStory(ctx, st.ID)
	must("DatabasesWithStory", err)
	_, err = s.CrawlRuns(ctx, st.ID)
	must("CrawlRuns", err)
	berlin := []store.ShiftSpan{{Until: t0.Add(25*24*time.Hour + 2*time.Hour), Seconds: 7200}, {Seconds: 3600}}
	for _, q := range []store.SeriesQuery{
		{Step: 3600},
		{Step: 86400, ByPlatform: true, Shifts: berlin},
		{Step: 900, Platform: reaction.Lemmy, Shifts: []store.ShiftSpan{{Seconds: -18000}}},
		{Step: 3600, IncludeRoots: true},
	} {
		q.Story, q.From, q.To = st.ID, t0.Add(-time.Hour), t0.Add(10*24*time.Hour)
		_, err = s.SeriesCounts(ctx, q)
		must("SeriesCounts", err)
	}
	for _, id := range []string{st.ID, "other-story"} {
		_, _, err = s.Extent(ctx, id)
		must("Extent", err)
	}
	_, err = s.PlatformExtents(ctx, st.ID)
	must("PlatformExtents", err)
	page, more, err := s.Reactions(ctx, store.ReactionQuery{Story: st.ID, Limit: 100})
	must("Reactions", err)
	if !more || len(page) != 100 {
		t.Fatalf("first page: %d reactions, more %v", len(page), more)
	}
	last := page[len(page)-1]
	_, _, err = s.Reactions(ctx, store.ReactionQuery{Story: st.ID, Limit: 50, After: &store.ReactionKey{CreatedAt: last.CreatedAt, ID: last.ID},
		Stances: []reaction.Stance{reaction.Support, reaction.Criticism}, Platforms: []reaction.Platform{reaction.Reddit, reaction.Lemmy},
		From: t0.Add(time.Hour), To: t0.Add(4*24*time.Hour + 30*time.Second)})
	must("Reactions", err)
	n := 0
	must("EachReaction", s.EachReaction(ctx, store.ReactionQuery{Story: st.ID, ChunkRows: 60}, func(*reaction.Reaction) error { n++; return nil }))
	must("EachReaction", s.EachReaction(ctx, store.ReactionQuery{Story: st.ID, ChunkRows: 60, Stances: []reaction.Stance{reaction.Neutral},
		From: t0.Add(24 * time.Hour)}, func(*reaction.Reaction) error { return nil }))
	_, err = s.CountReactions(ctx, store.ReactionQuery{Story: st.ID})
	must("CountReactions", err)
	_, err = s.CountReactions(ctx, store.ReactionQuery{Story: st.ID, Platforms: []reaction.Platform{reaction.Bluesky}, To: t0.Add(48 * time.Hour)})
	must("CountReactions", err)
	must("CurrentReactions", s.CurrentReactions(ctx, st.ID, func(*reaction.Reaction) error { return nil }))
	for _, roots := range []bool{false, true} {
		_, err = s.Counts(ctx, st.ID, roots)
		must("Counts", err)
	}
	// Hand-coding: candidates, a sample, codes of every kind.
	var cands []store.Candidate
	must("EachCandidate", s.EachCandidate(ctx, store.CandidateQuery{Story: st.ID, ChunkRows: 60}, func(c *store.Candidate) error {
		cands = append(cands, *c)
		return nil
	}))
	must("EachCandidate", s.EachCandidate(ctx, store.CandidateQuery{Story: st.ID, Filters: store.SampleFilters{From: t0.Add(time.Hour),
		To: t0.Add(3 * 24 * time.Hour), Platform: reaction.Reddit}}, func(*store.Candidate) error { return nil }))
	var items []store.SampleItem
	ids = ids[:0]
	for i, c := range cands[:min(20, len(cands))] {
		items = append(items, store.SampleItem{Position: i + 1, ID: c.ID, Pi: 0.05 + float64(i)/100, Stratum: string(c.Stance),
			Day: int32(c.CreatedAt.Unix() / 86400), Predicted: c.Stance, Score: c.Score, Overlap: i < 4})
		ids = append(ids, c.ID)
	}
	smp := store.Sample{Story: st.ID, Name: "sample 'one'", Strategy: "stratified", Seed: 7, N: 20, Population: int64(len(cands)),
		Estimable: true, Classifier: "test-v1, test-v3", Overlap: 0.2, Filters: store.SampleFilters{From: t0, Platform: reaction.Reddit},
		Design: []byte(`{"strata":[{"day":18536,"predicted":"support","size":3,"expected":1.5,"drawn":2}]}`), CreatedAt: t0.Add(9 * 24 * time.Hour)}
	must("PutSample", s.PutSample(ctx, smp, items))
	_, err = s.Samples(ctx, st.ID)
	must("Samples", err)
	_, err = s.GetSample(ctx, st.ID, smp.Name)
	must("GetSample", err)
	_, err = s.SampleItems(ctx, st.ID, smp.Name)
	must("SampleItems", err)
	_, err = s.ReactionsByID(ctx, st.ID, append(ids, "reddit:nothing"))
	must("ReactionsByID", err)
	_, err = s.SampledLabels(ctx, st.ID)
	must("SampledLabels", err)
	var codes []store.Coding
	for i, id := range ids {
		at := t0.Add(10*24*time.Hour + time.Duration(i)*time.Second)
		codes = append(codes, store.Coding{Story: st.ID, Sample: smp.Name, ID: id, Coder: `Ana "A" Ruiz`, Code: stances[i%3],
			CodedAt: at, Seq: uint64(at.UnixNano()), Source: "import sheet.csv"})
		if i < 4 {
			codes = append(codes, store.Coding{Story: st.ID, Sample: smp.Name, ID: id, Coder: "Bo\b", Code: []reaction.Stance{reaction.Support, store.CodeUnclear, store.CodeWithdrawn, reaction.Neutral}[i],
				CodedAt: at, Seq: uint64(at.UnixNano()) + 1, Source: "dashboard"})
			codes = append(codes, store.Coding{Story: st.ID, ID: id, Coder: "Cy", Adjudication: true, Code: reaction.Criticism,
				CodedAt: at, Seq: uint64(at.UnixNano()) + 2, Source: "dashboard"})
		}
	}
	must("WriteCodings", s.WriteCodings(ctx, codes))
	_, err = s.Codings(ctx, st.ID)
	must("Codings", err)
	_, err = s.LatestCodings(ctx, st.ID)
	must("LatestCodings", err)
	for _, id := range []string{st.ID, "other-story"} {
		_, err = s.CodingVersion(ctx, id)
		must("CodingVersion", err)
	}
	// Retraining: a version trained here with its out-of-fold predictions,
	// one trained elsewhere, and the first recorded again without them.
	var oof []store.OutOfFold
	for i, id := range ids {
		oof = append(oof, store.OutOfFold{ID: id, Fold: i % 5, Predicted: stances[(i+1)%3], Score: float64(i) / 20})
	}
	retrained := store.RetrainedModel{Story: st.ID, Classifier: "stance-v2+lr-'k5'", Codes: len(ids), Folds: 5, Builtin: true,
		TrainedAt: t0.Add(11 * 24 * time.Hour), Source: "classify train"}
	must("PutRetrainedModel", s.PutRetrainedModel(ctx, retrained, oof))
	must("PutRetrainedModel", s.PutRetrainedModel(ctx, store.RetrainedModel{Story: st.ID, Classifier: "stance-v2+lr-elsewhere", Codes: 12,
		Folds: 3, Source: "reclassify"}, nil))
	retrained.TrainedAt, retrained.Source = retrained.TrainedAt.Add(time.Hour), "reclassify"
	must("PutRetrainedModel", s.PutRetrainedModel(ctx, retrained, nil))
	_, err = s.RetrainedModels(ctx, st.ID)
	must("RetrainedModels", err)
	_, err = s.OutOfFold(ctx, st.ID, retrained.Classifier)
	must("OutOfFold", err)

	// Threads and reply links.
	links := 0
	must("EachLink", s.EachLink(ctx, store.ReactionQuery{Story: st.ID, ChunkRows: 60}, func(*store.Link) error { links++; return nil }))
	must("EachLink", s.EachLink(ctx, store.ReactionQuery{Story: st.ID, Platforms: []reaction.Platform{reaction.Reddit},
		From: t0.Add(time.Hour), To: t0.Add(48 * time.Hour)}, func(*store.Link) error { return nil }))
	if links != 400 {
		t.Fatalf("EachLink: %d links, want 400", links)
	}
	top, err := s.Threads(ctx, store.ThreadQuery{Reactions: store.ReactionQuery{Story: st.ID}, Limit: 10})
	must("Threads", err)
	if len(top) == 0 {
		t.Fatal("Threads: none")
	}
	_, err = s.Threads(ctx, store.ThreadQuery{Reactions: store.ReactionQuery{Story: st.ID, Platforms: []reaction.Platform{reaction.Lemmy},
		From: t0.Add(24 * time.Hour)}, By: store.ByCriticismShare, MinSize: 2, Limit: 5})
	must("Threads", err)
	_, _, err = s.Reactions(ctx, store.ReactionQuery{Story: st.ID, Thread: top[0].RootID, Limit: 20})
	must("Reactions", err)
	_, err = s.ReactionsByID(ctx, st.ID, []string{top[0].RootID, "reddit:no-such-id"})
	must("ReactionsByID", err)

	// The history of every observed state, and deletions per bucket.
	hist := 0
	must("EachState", s.EachState(ctx, store.HistoryQuery{Reactions: store.ReactionQuery{Story: st.ID, ChunkRows: 60}},
		func(*store.State) error { hist++; return nil }))
	must("EachState", s.EachState(ctx, store.HistoryQuery{Reactions: store.ReactionQuery{Story: st.ID, Platforms: []reaction.Platform{reaction.Reddit},
		From: t0.Add(time.Hour), To: t0.Add(48 * time.Hour)}, ContentOnly: true}, func(*store.State) error { return nil }))
	if hist <= 400 {
		t.Fatalf("EachState: %d states of 400 reactions, some edited", hist)
	}
	sums, err := s.HistorySummaries(ctx, st.ID, []string{rs[0].ID, rs[2].ID, rs[5].ID})
	must("HistorySummaries", err)
	if sums[rs[0].ID].Edits != 1 || sums[rs[2].ID].DeletedAt.IsZero() {
		t.Fatalf("HistorySummaries: %+v", sums)
	}
	for _, q := range []store.SeriesQuery{
		{Step: 3600},
		{Step: 86400, Platform: reaction.Lemmy, Shifts: berlin, IncludeRoots: true},
	} {
		q.Story, q.From, q.To = st.ID, t0.Add(-time.Hour), t0.Add(10*24*time.Hour)
		_, err = s.DeletedCounts(ctx, q)
		must("DeletedCounts", err)
	}
	_, err = s.AppliedMigrations(ctx)
	must("AppliedMigrations", err)
	must("Ping", s.Ping(ctx))
	if n != 400 {
		t.Fatalf("%d reactions stored, want 400", n)
	}

	// Every method of the Store (in the package's own files, not tests')
	// that may talk to ClickHouse is called above.
	talksToNobody := map[string]bool{"Conn": true, "Database": true, "ServerVersion": true, "Cluster": true, "Close": true}
	for _, m := range storeMethods(t) {
		if !called[m] && !talksToNobody[m] {
			t.Errorf("Store.%s is not called by this test's workload: call it, so that its SQL is checked on ClickHouse 26", m)
		}
	}
	t.Log(replay.Check(t, s, rec))
}

// storeMethods returns the exported methods of *Store declared in the
// package's non-test files.
func storeMethods(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || len(fn.Recv.List) != 1 {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "Store" {
					out = append(out, fn.Name.Name)
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found %d methods of Store in %v", len(out), files)
	}
	return out
}
