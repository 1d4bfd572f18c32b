package crawler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// The probe: each case runs the whole crawler on a story with two sources,
// a hostile server's and a good one (the Discourse replica), and checks the
// hostile source's status and message, that the case ends well within 60 s,
// and that the good source is stored whole.

// logBuffer collects the crawl's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// probe is one hostile case's crawl.
type probe struct {
	t       *testing.T
	good    story.Source
	want    map[string]reaction.Reaction // the good source's reactions
	authors *reaction.Pseudonymizer
	cfg     crawler.Config
	sink    *memSink
	logs    *logBuffer
}

func newProbe(t *testing.T) *probe {
	t.Helper()
	d := replica.NewDataset(replica.Platforms()[reaction.Discourse].Fixture()...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	t.Cleanup(srv.Close)
	authors, err := reaction.NewPseudonymizer([]byte("probe-secret-probe-secret-probe!"), false)
	if err != nil {
		t.Fatal(err)
	}
	p := &probe{t: t, authors: authors, sink: newMemSink(), logs: &logBuffer{},
		want: map[string]reaction.Reaction{}}
	p.good = story.Source{Name: "good", Platform: reaction.Discourse,
		BaseURL: replica.BaseURLFor(reaction.Discourse, srv.URL+"/discourse")}
	// The topics that are public (the fixture also holds a staff-only one).
	topic := map[string]string{} // root native id → topic id
	for _, it := range d.Items(reaction.Discourse) {
		if it.Thread != "" {
			continue
		}
		id := replica.DiscourseTopicID(it)
		resp, err := http.Get(p.good.BaseURL + "/t/" + id + ".json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			topic[it.Native] = id
			p.good.Topics = append(p.good.Topics, id)
		}
	}
	for _, it := range d.Items(reaction.Discourse) {
		root := it.Thread
		if root == "" {
			root = it.Native
		}
		if _, ok := topic[root]; !ok {
			continue
		}
		if r := replica.Platforms()[reaction.Discourse].Expect(d, it); r.ID != "" {
			p.want[r.ID] = r
		}
	}
	rates := map[reaction.Platform]string{}
	for _, pl := range reaction.Platforms {
		rates[pl] = crawler.Unlimited
	}
	p.cfg = crawler.Config{
		StateDir: t.TempDir(), Authors: authors, Rates: rates, Registerer: prometheus.NewRegistry(),
		Timeout: 2 * time.Second, MaxRetries: 2, RetryInitial: 10 * time.Millisecond, MaxRetryWait: 2 * time.Second,
		BatchSize: 50, BatchWait: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Credentials: source.Credentials{RedditClientID: "probe-app", RedditClientSecret: "probe-secret",
			BlueskyHandle: "probe.example.com", BlueskyAppPassword: "abcd-efgh-ijkl-mnop"},
	}
	return p
}

// story returns the probe's story: the good source and hostile.
func (p *probe) story(hostile story.Source) *story.Story {
	p.t.Helper()
	hostile.Name = "hostile"
	st := &story.Story{ID: "hostile-probe", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{p.good, hostile}}
	if err := st.Validate(); err != nil {
		p.t.Fatal(err)
	}
	return st
}

// run crawls st once, within 60 s, and returns the hostile and the good
// source's runs, after checking that the good source was stored whole.
func (p *probe) run(st *story.Story) (hostile, good reaction.CrawlRun) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	begin := time.Now()
	runs, err := crawler.Run(ctx, p.cfg, st, p.sink, crawler.Once)
	if err != nil {
		p.t.Fatal(err)
	}
	took := time.Since(begin)
	if ctx.Err() != nil {
		p.t.Fatalf("the case did not end within 60 s: %+v", runs)
	}
	for _, r := range runs {
		switch r.Source {
		case "hostile":
			hostile = r
		case "good":
			good = r
		}
	}
	p.t.Logf("ended in %v; the researcher sees:\n  status %s: %s", took.Round(10*time.Millisecond), hostile.Status, hostile.Message)
	p.checkGood(good)
	return hostile, good
}

// checkGood checks that the good source finished ok with every reaction.
func (p *probe) checkGood(good reaction.CrawlRun) {
	p.t.Helper()
	if good.Status != reaction.RunOK {
		p.t.Errorf("good source: %s: %s", good.Status, good.Message)
	}
	p.checkGoodStored()
}

// checkGoodStored checks that every reaction of the good source is stored.
func (p *probe) checkGoodStored() {
	p.t.Helper()
	p.sink.mu.Lock()
	defer p.sink.mu.Unlock()
	missing := 0
	for id := range p.want {
		if _, ok := p.sink.stored[id]; !ok {
			missing++
		}
	}
	if missing > 0 || len(p.want) == 0 {
		p.t.Errorf("good source: %d of %d reactions missing", missing, len(p.want))
	}
}

// warnLines counts the WARN lines logged.
func (p *probe) warnLines() int { return strings.Count(p.logs.String(), "level=WARN") }

// --- hostile platforms ---------------------------------------------------------

// redditPost is a search result without comments (emitted from the result).
func redditPost(id string, created int64) map[string]any {
	return map[string]any{"kind": "t3", "data": map[string]any{
		"id": id, "name": "t3_" + id, "title": "Post " + id, "selftext": "", "author": "someone",
		"permalink": "/r/x/comments/" + id + "/_/", "created_utc": created, "score": 3, "num_comments": 0,
	}}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// hostileReddit serves Reddit's token endpoint and a search whose next
// cursor is next(after); search(w, after) may answer instead.
type hostileReddit struct {
	mu       sync.Mutex
	searches int
	next     func(after string) string
	search   func(w http.ResponseWriter, after string) bool
}

func (h *hostileReddit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		writeJSON(w, map[string]any{"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
	case "/reddit/search.json":
		after := r.URL.Query().Get("after")
		h.mu.Lock()
		h.searches++
		n := h.searches
		h.mu.Unlock()
		if h.search != nil && h.search(w, after) {
			return
		}
		next := h.next(after)
		id := fmt.Sprintf("p%d", n)
		writeJSON(w, map[string]any{"kind": "Listing", "data": map[string]any{
			"after": next, "children": []any{redditPost(id, 1601510400-int64(n))}}})
	case "/reddit/api/info.json":
		writeJSON(w, map[string]any{"kind": "Listing", "data": map[string]any{"after": nil, "children": []any{}}})
	default:
		http.NotFound(w, r)
	}
}

func redditSource(base string) story.Source {
	return story.Source{Platform: reaction.Reddit, BaseURL: base + "/reddit", TokenURL: base + "/token", Search: []string{"jack"}}
}

// mastodonStatus is a timeline status without replies.
func mastodonStatus(id int) map[string]any {
	return map[string]any{"id": strconv.Itoa(id), "uri": fmt.Sprintf("https://m.example/users/a/statuses/%d", id),
		"url": fmt.Sprintf("https://m.example/@a/%d", id), "created_at": "2020-10-01T10:00:00.000Z",
		"replies_count": 0, "favourites_count": 1, "content": fmt.Sprintf("<p>status %d</p>", id),
		"account": map[string]any{"acct": "a", "username": "a"}}
}

// TestPagingLoopsEndLoudly (issue 15, item 3): every paging walk stops at a
// cursor, URL or page it has already fetched, with status "loop", and at a
// page cap with status "truncated"; repeated warnings are counted, not
// printed each time.
func TestPagingLoopsEndLoudly(t *testing.T) {

	// Bluesky's replica behind a server that ignores the search cursor and
	// always sends the same one back.
	bd := replica.NewDataset(replica.Platforms()[reaction.Bluesky].Fixture()...)
	brs := replica.New(bd, replica.Options{})
	blueskyTag := ""
	for _, it := range bd.Items(reaction.Bluesky) {
		for _, tag := range it.Tags {
			if blueskyTag == "" && !strings.HasPrefix(tag, "replica:") {
				blueskyTag = tag
			}
		}
	}

	cases := []struct {
		name     string
		handler  http.Handler
		source   func(base string) story.Source
		status   string
		message  string // substring
		requests int    // at most, to the hostile server
	}{
		{
			name:    "reddit after cycles A, B, A",
			handler: &hostileReddit{next: func(a string) string { return map[string]string{"": "t3_a", "t3_a": "t3_b", "t3_b": "t3_a"}[a] }},
			source:  redditSource, status: reaction.RunLoop, requests: 5,
			message: `reddit: search "jack": paging loop: page 4 would fetch "t3_a" again, which page 2 fetched; the walk was stopped there`,
		},
		{
			name:    "reddit after repeats",
			handler: &hostileReddit{next: func(string) string { return "t3_same" }},
			source:  redditSource, status: reaction.RunLoop, requests: 4,
			message: `reddit: search "jack": paging loop: page 3 would fetch "t3_same" again, which page 2 fetched`,
		},
		{
			name:    "reddit search that never ends",
			handler: &hostileReddit{next: func(a string) string { return a + "x" }},
			source:  redditSource, status: reaction.RunTruncated, requests: 105,
			message: `Cut short, so reactions are missing: reddit: search "jack": stopped at the cap of 100 pages; what lies beyond was not collected.`,
		},
		{
			name: "mastodon Link rel=next points at itself",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				self := "http://" + r.Host + r.URL.RequestURI()
				w.Header().Set("Link", "<"+self+`>; rel="next"`)
				writeJSON(w, []any{mastodonStatus(100)})
			}),
			source: func(base string) story.Source {
				return story.Source{Platform: reaction.Mastodon, BaseURL: base, Hashtags: []string{"jack"}}
			},
			status: reaction.RunLoop, requests: 3,
			message: `mastodon: #jack: paging loop: page 2 would fetch "http://127.0.0.1:`,
		},
		{
			name: "mastodon timeline longer than the 5000-page cap",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := 1_000_000
				if v := r.URL.Query().Get("max_id"); v != "" {
					n, _ = strconv.Atoi(v)
				}
				w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v1/timelines/tag/jack?max_id=%d>; rel="next"`, r.Host, n-1))
				writeJSON(w, []any{mastodonStatus(n)})
			}),
			source: func(base string) story.Source {
				return story.Source{Platform: reaction.Mastodon, BaseURL: base, Hashtags: []string{"jack"}}
			},
			status: reaction.RunTruncated, requests: 5005,
			message: "Cut short, so reactions are missing: mastodon: #jack: stopped at the cap of 5000 pages; what lies beyond was not collected. Collected 5000 reactions (5000 new or changed)",
		},
		{
			name: "hacker news search that ignores page",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				writeJSON(w, map[string]any{"nbHits": 5000, "nbPages": 25, "page": page, "hits": []any{
					map[string]any{"objectID": "24651234", "created_at_i": 1601510400, "title": "Jack", "author": "a", "points": 3, "num_comments": 0}}})
			}),
			source: func(base string) story.Source {
				return story.Source{Platform: reaction.HackerNews, BaseURL: base, Search: []string{"jack"}}
			},
			status: reaction.RunLoop, requests: 3,
			message: `hackernews: search "jack" (story): paging loop: page 1 repeats hits of earlier pages (the server ignores page); the walk was stopped there`,
		},
		{
			name: "bluesky search cursor that never moves",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "app.bsky.feed.searchPosts") {
					brs.ServeHTTP(w, r)
					return
				}
				q := r.URL.Query()
				q.Del("cursor")
				r.URL.RawQuery = q.Encode()
				rec := httptest.NewRecorder()
				brs.ServeHTTP(rec, r)
				var page map[string]any
				json.Unmarshal(rec.Body.Bytes(), &page)
				page["cursor"] = "same-cursor"
				writeJSON(w, page)
			}),
			source: func(base string) story.Source {
				return story.Source{Platform: reaction.Bluesky, BaseURL: base + "/bluesky", PDSURL: base + "/bluesky", Search: []string{blueskyTag}}
			},
			status: reaction.RunLoop, requests: 100,
			message: fmt.Sprintf(`bluesky: search %q: paging loop: page 3 would fetch "same-cursor" again, which page 2 fetched`, blueskyTag),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				requests++
				mu.Unlock()
				tc.handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			p := newProbe(t)
			hostile, _ := p.run(p.story(tc.source(srv.URL)))
			if hostile.Status != tc.status || !strings.Contains(hostile.Message, tc.message) {
				t.Errorf("status %s: %s\nwant %s: …%s…", hostile.Status, hostile.Message, tc.status, tc.message)
			}
			if rec, ok := p.sink.recorded("hostile"); !ok || rec.Status != tc.status || rec.Message != hostile.Message {
				t.Errorf("stored crawl run %+v, want the same status and message", rec)
			}
			mu.Lock()
			defer mu.Unlock()
			if requests > tc.requests {
				t.Errorf("%d requests to the hostile server, want at most %d", requests, tc.requests)
			}
			if n := p.warnLines(); n > 20 {
				t.Errorf("%d WARN lines logged: repeated warnings must be counted, not printed", n)
			}
		})
	}
}

// TestDayLongRetryAfterThrottles (issue 15, item 4): a 429 asking for a
// day stops the source at once with status "throttled" and the time it may
// resume; the next run resumes the walk; and --follow leaves the source
// alone until that time, then polls it again.
func TestDayLongRetryAfterThrottles(t *testing.T) {
	var mu sync.Mutex
	throttle := true
	h := &hostileReddit{
		next: func(a string) string { return map[string]string{"": "t3_a", "t3_a": ""}[a] },
		search: func(w http.ResponseWriter, after string) bool {
			mu.Lock()
			defer mu.Unlock()
			if after == "t3_a" && throttle {
				w.Header().Set("Retry-After", "86400")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		},
	}
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	p := newProbe(t)
	st := p.story(redditSource(srv.URL))
	begin := time.Now()
	hostile, _ := p.run(st)
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("the throttled crawl took %v, want it to stop at once", d)
	}
	re := `Reddit asks us to wait until (\d{4}-\d\d-\d\dT\d\d:\d\dZ) \(HTTP 429 with Retry-After: 86400\), longer than the crawler waits \(2s\): stopped after 0 reactions`
	m := regexpFind(re, hostile.Message)
	if hostile.Status != reaction.RunThrottled || m == nil {
		t.Fatalf("status %s: %s\nwant throttled: %s", hostile.Status, hostile.Message, re)
	}
	until, _ := time.Parse("2006-01-02T15:04Z", m[1])
	if want := begin.Add(24 * time.Hour); until.Before(want.Truncate(time.Minute)) || until.After(want.Add(2*time.Minute)) {
		t.Errorf("resume time %v, want about %v", until, want)
	}
	mu.Lock()
	if len(requests) > 3 {
		t.Errorf("requests %v: want the token and two search pages, no retry", requests)
	}
	throttle = false
	mu.Unlock()

	// The next run (the platform lets us in again) walks the search again
	// and collects what the throttled run could not.
	hostile, _ = p.run(st)
	if hostile.Status != reaction.RunOK {
		t.Errorf("the run after the throttle: %s: %s", hostile.Status, hostile.Message)
	}
	p.sink.mu.Lock()
	for _, id := range []string{"reddit:t3_p3", "reddit:t3_p4"} { // the second run's two pages
		if _, ok := p.sink.stored[id]; !ok {
			t.Errorf("%s not collected by the run after the throttle", id)
		}
	}
	p.sink.mu.Unlock()
}

// TestFollowSleepsAThrottledSource: in --follow, a source throttled
// beyond MaxRetryWait sends nothing until the time the platform named
// (its polls meanwhile record "throttled" without a request), and is
// polled again after it; the good source is polled all along.
func TestFollowSleepsAThrottledSource(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	var throttledAt time.Time
	h := &hostileReddit{
		next: func(string) string { return "" },
		search: func(w http.ResponseWriter, after string) bool {
			mu.Lock()
			defer mu.Unlock()
			if throttledAt.IsZero() {
				throttledAt = time.Now()
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	p := newProbe(t)
	p.cfg.MaxRetryWait = time.Second
	st := p.story(redditSource(srv.URL))
	st.Poll = story.Duration(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var polls [][]reaction.CrawlRun
	p.cfg.OnPoll = func(runs []reaction.CrawlRun) {
		mu.Lock()
		defer mu.Unlock()
		polls = append(polls, runs)
		for _, r := range runs {
			if r.Source == "hostile" && r.Status == reaction.RunOK {
				cancel() // polled again after the throttle, and fine
			}
		}
	}
	if _, err := crawler.Run(ctx, p.cfg, st, p.sink, crawler.Follow); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var statuses []string
	sleeping := 0
	for _, runs := range polls {
		for _, r := range runs {
			if r.Source == "hostile" {
				statuses = append(statuses, r.Status)
				if r.Status == reaction.RunThrottled && r.Requests == 0 {
					sleeping++
				}
			}
		}
	}
	t.Logf("hostile source per poll: %v", statuses)
	if len(statuses) < 3 || statuses[0] != reaction.RunThrottled || statuses[len(statuses)-1] != reaction.RunOK || sleeping == 0 {
		t.Fatalf("statuses per poll %v (%d without a request): want throttled, throttled without requests, then ok", statuses, sleeping)
	}
	for _, at := range times {
		if at.After(throttledAt) && at.Before(throttledAt.Add(3*time.Second-50*time.Millisecond)) {
			t.Errorf("request %v after the 429, before the 3 s it asked for", at.Sub(throttledAt))
		}
	}
	p.checkGoodStored()
}

func regexpFind(expr, s string) []string { return regexp.MustCompile(expr).FindStringSubmatch(s) }

// hnItem is an Algolia item without replies.
func hnItem(id int) map[string]any {
	return map[string]any{"id": id, "created_at_i": 1601510400 + id, "type": "story", "author": "a",
		"title": fmt.Sprintf("Story %d", id), "points": 1, "children": []any{}}
}

// TestSlowItemIsThatItemsError (issue 15, item 5): an item whose body
// drips past the per-request timeout is retried, then counted as that
// item's error ("timeout"); the next item is collected, and the source
// ends with a warning, not "stopped mid-way".
func TestSlowItemIsThatItemsError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/items/1":
			// Headers at once, then a byte every 300 ms for ever.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			for {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(300 * time.Millisecond):
				}
			}
		case "/items/2":
			writeJSON(w, hnItem(2))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	p := newProbe(t)
	p.cfg.Timeout = time.Second
	p.cfg.MaxRetries = 1
	hostile, _ := p.run(p.story(story.Source{Platform: reaction.HackerNews, BaseURL: srv.URL, Stories: []string{"1", "2"}}))
	want := "Finished with 1 error (timeout 1); some reactions may be missing."
	if hostile.Status != reaction.RunWarning || hostile.Message != want || hostile.Items != 1 {
		t.Errorf("status %s, %d items: %s\nwant warning, 1 item: %s", hostile.Status, hostile.Items, hostile.Message, want)
	}
	for _, l := range strings.Split(p.logs.String(), "\n") {
		if strings.Contains(l, "source error") {
			t.Logf("%s", l)
		}
	}
	if !strings.Contains(p.logs.String(), "request timed out: no answer within 1s") {
		t.Errorf("the log does not say which request timed out:\n%s", p.logs.String())
	}
	p.sink.mu.Lock()
	defer p.sink.mu.Unlock()
	if _, ok := p.sink.stored["hackernews:2"]; !ok {
		t.Error("the item after the slow one was not collected")
	}
}

// TestInterruptKeepsFinishedStatuses (issue 15, item 6): Ctrl-C while one
// source still runs marks that one "stopped"; the source that had finished
// keeps its own status, in the summary and in the stored crawl runs.
func TestInterruptKeepsFinishedStatuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	p := newProbe(t)
	p.cfg.Timeout = time.Minute
	st := p.story(story.Source{Platform: reaction.HackerNews, BaseURL: srv.URL, Stories: []string{"1"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Ctrl-C once the good source's final record is written (or after
		// 10 s, if it never is while another source runs).
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if r, ok := p.sink.recorded("good"); ok && r.Status != reaction.RunRunning {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	runs, err := crawler.Run(ctx, p.cfg, st, p.sink, crawler.Once)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		t.Logf("%s: %s: %s", r.Source, r.Status, r.Message)
		stored, _ := p.sink.recorded(r.Source)
		want := map[string]string{"good": reaction.RunOK, "hostile": reaction.RunStopped}[r.Source]
		if r.Status != want || stored.Status != want {
			t.Errorf("%s: summary %s, stored %s, want %s", r.Source, r.Status, stored.Status, want)
		}
	}
	p.checkGood(runs[0])
}

// wpComment renders one WordPress comment.
func wpComment(id, text string) string {
	return fmt.Sprintf(`<li id="%s" class="comment depth-1"><article class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">author</b></div><div class="comment-metadata"><time datetime="2024-01-01T10:00:00Z">x</time></div></footer><div class="comment-content"><p>%s</p></div></article></li>`, id, text)
}

func wpPage(comments string) string {
	return `<!DOCTYPE html><html><head><title>t</title></head><body><ol class="comment-list">` + comments + `</ol></body></html>`
}

// TestHonestPageErrors (issue 15, item 7): a page nested deeper than the
// HTML parser's 512 levels says so and keeps the comments above the deep
// part (kind "parse"); a redirect loop says so (kind "redirect_loop"); the
// good page beside them is collected.
func TestHonestPageErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		html := func(s string) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, s)
		}
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case "/deep/":
			html(wpPage(wpComment("comment-1", "shallow and readable") +
				strings.Repeat("<div>", 600) + wpComment("comment-2", "buried") + strings.Repeat("</div>", 600)))
		case "/a/":
			http.Redirect(w, r, "/b/", http.StatusFound)
		case "/b/":
			http.Redirect(w, r, "/a/", http.StatusFound)
		case "/ok/":
			html(wpPage(wpComment("comment-3", "fine")))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	p := newProbe(t)
	hostile, _ := p.run(p.story(story.Source{Platform: reaction.Web, Pages: []string{srv.URL + "/deep/", srv.URL + "/a/", srv.URL + "/ok/"}}))
	if hostile.Status != reaction.RunWarning || hostile.ErrorKinds["parse"] != 1 || hostile.ErrorKinds["redirect_loop"] != 1 || hostile.Items != 2 {
		t.Errorf("status %s, kinds %v, %d items: %s", hostile.Status, hostile.ErrorKinds, hostile.Items, hostile.Message)
	}
	logs := p.logs.String()
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "source error") {
			t.Logf("%s", l)
		}
	}
	for _, want := range []string{
		"/deep/: page too deeply nested to parse (more than 512 levels): only what lies less than 256 levels deep was read; comments nested deeper are missing",
		"/a/: redirect loop: it redirects back to " + srv.URL + "/b/",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	p.sink.mu.Lock()
	defer p.sink.mu.Unlock()
	for _, id := range []string{"web:" + srv.URL + "/deep/#comment-1", "web:" + srv.URL + "/ok/#comment-3"} {
		if _, ok := p.sink.stored[id]; !ok {
			t.Errorf("%s not collected", id)
		}
	}
}
