package e2e

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// TestEditedThenDeletedBetweenCrawls: a Hacker News comment is crawled,
// edited on the platform, crawled again, deleted, crawled a third time.
// Its history holds its three states; every count and export of current
// states holds it once; the drill-down says it was edited and when it was
// first seen deleted; and the comments that never changed have one state
// each although every crawl saw them (the story has two: its comment
// count dropped).
// It is long because each crawl reads what the edit before it changed.
func TestEditedThenDeletedBetweenCrawls(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const id = "e2e-history"
	published := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return published.Add(time.Duration(min) * time.Minute) }
	items := []replica.Item{
		{Platform: reaction.HackerNews, Native: "5000", Author: "newsposter", Text: "Chrissy Teigen and John Legend lose their baby", CreatedAt: at(0), Lang: "en"},
		{Platform: reaction.HackerNews, Native: "5001", Thread: "5000", Parent: "5000", Author: "kind", Text: "Heartbreaking. Thinking of Chrissy and John.", CreatedAt: at(5), Lang: "en"},
		{Platform: reaction.HackerNews, Native: "5002", Thread: "5000", Parent: "5001", Author: "critic", Text: "Posting this publicly was a mistake.", CreatedAt: at(9), Lang: "en"},
		{Platform: reaction.HackerNews, Native: "5003", Thread: "5000", Parent: "5002", Author: "defender", Text: "Grief is hers to share how she wants.", CreatedAt: at(14), Lang: "en"},
	}
	const changing = "5002"
	d := replica.NewDataset(items...)

	st := chtest.New(t)
	aggSrv := startAggregator(t, st, prometheus.NewRegistry())
	repSrv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer repSrv.Close()
	dash, err := dashboard.New(dashboard.Options{Store: st, Registerer: prometheus.NewRegistry(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dashSrv := httptest.NewServer(dash)
	defer dashSrv.Close()

	s := &story.Story{ID: id, Title: "History: edited, then deleted", Subject: []string{"Chrissy Teigen"}, Published: published,
		Window: &story.Window{From: published.Add(-time.Hour), To: published.Add(24 * time.Hour)},
		Sources: []story.Source{{Platform: reaction.HackerNews, Stories: []string{"5000"},
			BaseURL: replica.BaseURLFor(reaction.HackerNews, repSrv.URL+"/hackernews")}}}
	authors, err := reaction.NewPseudonymizer([]byte("e2e-history-secret-0123456789abcdef"), false)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, replica: repSrv, agg: aggSrv, dash: dashSrv, story: s, cfg: crawler.Config{
		StateDir: t.TempDir(), Authors: authors, Rates: map[reaction.Platform]string{reaction.HackerNews: crawler.Unlimited},
		Registerer: prometheus.NewRegistry(), Log: quiet, BatchWait: 20 * time.Millisecond,
	}}
	// stored waits until the aggregator has stored what a crawl sent.
	stored := func(what string, ok func(rs map[string]reaction.Reaction) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			rs := map[string]reaction.Reaction{}
			if err := st.CurrentReactions(ctx, id, func(r *reaction.Reaction) error { rs[r.ID] = *r; return nil }); err != nil {
				t.Fatal(err)
			}
			if ok(rs) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the crawl, %s is not stored: %v", what, rs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	target := reaction.MakeID(reaction.HackerNews, changing)

	e.crawl()
	stored("the thread", func(rs map[string]reaction.Reaction) bool { return len(rs) == 4 })
	d.Update(reaction.HackerNews, changing, func(it *replica.Item) { it.Text = "Posting this publicly was a mistake. (Edit: I was wrong, sorry.)" })
	e.crawl()
	stored("the edit", func(rs map[string]reaction.Reaction) bool { return strings.Contains(rs[target].Text, "Edit:") })
	d.Update(reaction.HackerNews, changing, func(it *replica.Item) { it.Deleted = true })
	e.crawl()
	stored("the deletion", func(rs map[string]reaction.Reaction) bool { return rs[target].Deleted })

	// The history: three states of the changing comment, one of each other.
	q := url.Values{"story": {id}, "what": {"history"}, "format": {"csv"}}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(e.get("/api/v1/export?"+q.Encode())), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	states := map[string][]string{}
	var observed []time.Time
	for _, r := range recs[1:] {
		states[r[col["id"]]] = append(states[r[col["id"]]], r[col["state"]]+":"+r[col["change"]])
		if r[col["id"]] == target {
			o, _ := time.Parse(time.RFC3339, r[col["observed_at"]])
			observed = append(observed, o)
		}
	}
	if got := strings.Join(states[target], " "); got != "1:new 2:edited 3:deleted" {
		t.Errorf("history of the edited, then deleted comment: %s", got)
	}
	for _, n := range []string{"5001", "5003"} {
		if got := strings.Join(states[reaction.MakeID(reaction.HackerNews, n)], " "); got != "1:new" {
			t.Errorf("history of hackernews:%s, seen unchanged by three crawls: %s", n, got)
		}
	}
	// The story's comment count dropped with the deletion: a score change.
	if got := strings.Join(states["hackernews:5000"], " "); got != "1:new 2:score" {
		t.Errorf("history of the story: %s", got)
	}
	if len(recs) != 1+7 || len(observed) != 3 || observed[1].Before(observed[0]) || observed[2].Before(observed[1]) {
		t.Errorf("%d history rows, observed %v", len(recs)-1, observed)
	}

	// Once in every count: the series (the thread starter left out), its
	// deleted column, the reactions export, the threads, the network.
	var sj dashboard.SeriesJSON
	json.Unmarshal(e.get("/api/v1/series?story="+id+"&interval=1h"), &sj)
	if sj.Totals.Total != 3 || sj.Totals.Criticism != sj.Totals.Total-sj.Totals.Support-sj.Totals.Neutral {
		t.Errorf("series totals %+v, want 3 reactions", sj.Totals)
	}
	series := e.get("/api/v1/export?" + url.Values{"story": {id}, "what": {"series"}, "interval": {"1h"}, "deleted": {"true"}}.Encode())
	srecs, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(series), "\ufeff"))).ReadAll()
	scol := map[string]int{}
	for i, name := range srecs[0] {
		scol[name] = i
	}
	var total, deleted int64
	for _, r := range srecs[1:] {
		n, _ := strconv.ParseInt(r[scol["total"]], 10, 64)
		dn, _ := strconv.ParseInt(r[scol["deleted"]], 10, 64)
		total, deleted = total+n, deleted+dn
	}
	if _, ok := scol["deleted"]; !ok || total != 3 || deleted != 1 {
		t.Errorf("series export: %d reactions, %d deleted, header %v", total, deleted, srecs[0])
	}
	lines := strings.Split(strings.TrimSpace(string(e.get("/api/v1/export?"+url.Values{"story": {id}, "what": {"reactions"}, "format": {"ndjson"}}.Encode()))), "\n")
	if n := strings.Count(strings.Join(lines, "\n"), `"id":"`+target+`"`); len(lines) != 4 || n != 1 {
		t.Errorf("reactions export: %d rows, the comment %d times", len(lines), n)
	}
	var th dashboard.ThreadsJSON
	json.Unmarshal(e.get("/api/v1/threads?story="+id+"&min_size=1"), &th)
	if len(th.BySize) != 1 || th.BySize[0].Reactions != 3 || th.BySize[0].Deleted != 1 {
		t.Errorf("threads %+v", th.BySize)
	}
	var meta struct {
		Network struct {
			Reactions int64
			Apart     struct {
				DeletedReactions int64 `json:"deleted_reactions"`
				ParentDeleted    int64 `json:"parent_deleted"`
			} `json:"counted_apart"`
		}
	}
	json.Unmarshal(e.get("/api/v1/export?what=network&meta=true&story="+id), &meta)
	if meta.Network.Reactions != 3 || meta.Network.Apart.DeletedReactions != 1 || meta.Network.Apart.ParentDeleted != 1 {
		t.Errorf("network %+v", meta.Network)
	}

	// The drill-down: edited, and deleted after so many hours.
	var rj dashboard.ReactionsJSON
	json.Unmarshal(e.get("/api/v1/reactions?story="+id), &rj)
	var found bool
	for _, r := range rj.Reactions {
		if r.ID != target {
			if r.Edited || r.States != map[bool]int{true: 2, false: 1}[r.IsRoot] || r.DeletedAfterHours != nil {
				t.Errorf("%s never changed: %+v", r.ID, r)
			}
			continue
		}
		found = true
		want := observed[2].Sub(at(9)).Hours()
		if !r.Edited || r.States != 3 || !r.Deleted || r.DeletedAfterHours == nil || fmt.Sprintf("%.4f", *r.DeletedAfterHours) != fmt.Sprintf("%.4f", want) {
			t.Errorf("the drill-down shows %+v, want edited, deleted after %.1f hours", r, want)
		}
	}
	if !found || rj.Count != 4 {
		t.Errorf("the drill-down lists %d reactions, the comment: %v", rj.Count, found)
	}
}
