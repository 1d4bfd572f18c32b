package aggregator_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestInProcessSink uses the aggregator as "reactions crawl" does without
// --aggregator: PutStory, Send, PutCrawlRun.
func TestInProcessSink(t *testing.T) {
	ctx := context.Background()
	st := chtest.New(t)
	h := start(t, st, nil)
	a := h.agg
	if _, err := a.Send(ctx, makeReactions(1)); err != nil {
		t.Fatal(err) // not an error: a per-reaction rejection
	}
	s := testStory(t)
	if err := a.PutStory(ctx, s); err != nil {
		t.Fatal(err)
	}
	rs := makeReactions(100)
	rs[10].Platform = "myspace"
	rs[20].CreatedAt = time.Time{}
	res, err := a.Send(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 98 || len(res.Rejected) != 2 || res.Rejected[0].Line != 11 || res.Rejected[1].Line != 21 ||
		res.Rejected[1].Error != "created_at: missing" {
		t.Fatalf("send: %+v", res)
	}
	if rs[0].Stance != "" {
		t.Fatal("Send changed the caller's reactions")
	}
	// A resend that reaches an idle writer is answered with exact
	// duplicates; one that finds the writer busy is spooled and answered
	// as accepted and spooled (its duplicates are counted when the spool
	// drains).
	// Either way every reaction is answered once and nothing is counted
	// twice: the counts below stay exactly 98.
	res, err = a.Send(ctx, rs)
	if err != nil || res.Duplicates+res.Accepted != 98 || res.Accepted != res.Spooled {
		t.Fatalf("resend: %+v %v\n%s", res, err, h.logs.String())
	}
	run := reaction.CrawlRun{Story: s.ID, Source: "reddit", Platform: reaction.Reddit, RunID: "r1", Status: reaction.RunOK, Items: 98}
	if err := a.PutCrawlRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := a.PutCrawlRun(ctx, reaction.CrawlRun{Story: "unknown", Source: "x", Platform: reaction.Reddit, RunID: "r"}); !errors.Is(err, aggregator.ErrUnknownStory) {
		t.Fatalf("crawl run of an unknown story: %v", err)
	}
	if c := countAll(t, st, h.srv.URL+"/metrics"); !c.all(98) {
		t.Fatalf("counts %+v", c)
	}
	// reactions_total agrees with ClickHouse label by label.
	counts, err := st.Counts(ctx, s.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	samples := scrape(t, h.srv.URL+"/metrics", "reactions_total")
	n := 0
	for p, byStance := range counts {
		for stance, want := range byStance {
			got := metricSum(t, h.srv.URL+"/metrics", "reactions_total", map[string]string{"story": s.ID, "platform": string(p), "stance": string(stance)})
			if int64(got) != want {
				t.Errorf("reactions_total{platform=%s,stance=%s} = %v, ClickHouse says %d", p, stance, got, want)
			}
			n++
		}
	}
	if len(samples) != n {
		t.Errorf("%d reactions_total series, ClickHouse has %d", len(samples), n)
	}
	// The metrics follow Prometheus' conventions.
	problems, err := testutil.GatherAndLint(h.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		// reactions_total is the name the issue asks for: a gauge (a stance
		// count goes down when reactions are relabelled), whose _total
		// reads "all reactions", not "a counter".
		if p.Metric == "reactions_total" && strings.Contains(p.Text, `should not have "_total" suffix`) {
			continue
		}
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	// Relabelling through the API keeps the totals.
	code, body := h.do(http.MethodPost, "/api/v1/stories/"+s.ID+"/reclassify", "", "", nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"read":98`) {
		t.Fatalf("reclassify: %d %s", code, body)
	}
	if c := countAll(t, st, h.srv.URL+"/metrics"); !c.all(98) {
		t.Fatalf("counts after reclassify %+v", c)
	}
}

// TestStoryLimit: the story label of reactions_total stays bounded.
func TestStoryLimit(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, func(c *aggregator.Config) { c.StoryLimit = 1 })
	s := testStory(t)
	h.putStory(s)
	h.putStory(s) // an update is not a new story
	s2 := *s
	s2.ID = "another-story"
	code, body := h.do(http.MethodPut, "/api/v1/stories/another-story", "application/json", "", mustJSON(t, &s2))
	if code != http.StatusConflict || !strings.Contains(string(body), "at most 1 stories") {
		t.Fatalf("%d %s", code, body)
	}
}

// TestClickHouseUnreachable: with ClickHouse gone, requests are answered from
// the spool until it is full; then 503 with Retry-After, and /healthz says so.
func TestClickHouseUnreachable(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, func(c *aggregator.Config) {
		c.SpoolMaxBytes = 64 << 10
		c.RetryInitial, c.RetryMax, c.RetryAfter = time.Hour, time.Hour, 7*time.Second
	})
	h.putStory(testStory(t))
	st.Close() // every ClickHouse call now fails at once
	rs := makeReactions(2000)
	sent := 0
	for i := 0; i < len(rs); i += 100 {
		code, body := h.do(http.MethodPost, "/api/v1/reactions", "application/x-ndjson", "gzip", gzipNDJSON(t, rs[i:i+100]))
		if code == http.StatusServiceUnavailable {
			if !strings.Contains(string(body), "spool is full") {
				t.Fatalf("503: %s", body)
			}
			break
		}
		if code != http.StatusOK {
			t.Fatalf("%d %s", code, body)
		}
		sent += 100
	}
	if sent == 0 || sent == len(rs) {
		t.Fatalf("acknowledged %d of %d: want some from the spool, then 503", sent, len(rs))
	}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/v1/reactions", strings.NewReader(string(ndjson(t, rs[:1]))))
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	hl := healthOf(t, h.srv.URL)
	if hl.Status != "degraded" || !hl.SpoolFull || hl.SpoolRecords == 0 {
		t.Fatalf("health %+v", hl)
	}
	if _, err := h.agg.Send(context.Background(), rs[:1]); !errors.Is(err, aggregator.ErrSpoolFull) {
		t.Fatalf("in-process send with a full spool: %v", err)
	}
}

// TestReconcileRepairsViews: reactions stored while a view missed them (as
// when ClickHouse dies between the table and its views) are found and the
// views corrected, so every count agrees again.
func TestReconcileRepairsViews(t *testing.T) {
	ctx := context.Background()
	st := chtest.New(t)
	h := start(t, st, nil)
	h.putStory(testStory(t))
	rs := makeReactions(300)
	if res := h.send(rs[:100]); res.Accepted != 100 {
		t.Fatalf("%+v", res)
	}
	// The views miss the next writes: 100 new reactions, 50 changed ones.
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
	c := countAll(t, st, "")
	if c.items != 200 || c.minutes == 200 {
		t.Fatalf("setup: %+v", c)
	}
	res, err := aggregator.Reconcile(ctx, st, storyID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ByTimeRows != 200 || res.MinuteRows == 0 {
		t.Errorf("reconcile: %+v, want 200 rows copied to reactions_by_time (100 new, 50 cancels, 50 new states)", res)
	}
	if c := countAll(t, st, ""); !c.all(200) {
		t.Fatalf("after reconcile: %+v", c)
	}
	var byTime, table uint64
	st.Conn().QueryRow(ctx, "SELECT count() FROM reactions_by_time").Scan(&byTime)
	st.Conn().QueryRow(ctx, "SELECT count() FROM reactions").Scan(&table)
	if byTime != table {
		t.Errorf("reactions_by_time has %d rows, reactions %d", byTime, table)
	}
	// Nothing left to do.
	if res, err := aggregator.Reconcile(ctx, st, storyID, nil); err != nil || res.ByTimeRows+res.MinuteRows != 0 {
		t.Fatalf("second reconcile: %+v %v", res, err)
	}
}
