package crawler_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// The tests of this file run one platform adapter inside the real crawler
// (polite fetcher, state, batching) against its replica, which answers
// some requests with 429 and Retry-After, and compare what reaches the
// sink with the replica's ground truth. The adapters' own tests run them
// alone, through sourcetest.Harness.

// throughCrawler crawls stories of one platform into an in-memory sink,
// with a state directory that lasts for the test, so that a second run
// continues where the first stopped.
type throughCrawler struct {
	t testing.TB
	// cfg is what run passes to crawler.Run: authors keyed with
	// sourcetest.Secret, no rate limit for the platform, a first retry
	// after 10 ms, the log discarded. Tests may change it before a run.
	cfg  crawler.Config
	sink *memSink
}

func newThroughCrawler(t testing.TB, p reaction.Platform) *throughCrawler {
	t.Helper()
	authors, err := reaction.NewPseudonymizer(sourcetest.Secret, false)
	if err != nil {
		t.Fatal(err)
	}
	return &throughCrawler{t: t, sink: newMemSink(), cfg: crawler.Config{
		StateDir: t.TempDir(), Authors: authors, RetryInitial: 10 * time.Millisecond,
		Rates: map[reaction.Platform]string{p: crawler.Unlimited},
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}}
}

// run validates st and crawls it once; it fails the test on an error.
func (c *throughCrawler) run(st *story.Story) []reaction.CrawlRun {
	c.t.Helper()
	if err := st.Validate(); err != nil {
		c.t.Fatal(err)
	}
	runs, err := crawler.Run(c.t.Context(), c.cfg, st, c.sink, crawler.Once)
	if err != nil {
		c.t.Fatal(err)
	}
	return runs
}

// groundTruth is the replica's Expect of the items of platform p that keep
// accepts (every item when keep is nil), authors pseudonymised, with the
// thread starters src names flagged (src may be nil).
func groundTruth(t testing.TB, d *replica.Dataset, p reaction.Platform, authors *reaction.Pseudonymizer,
	src *story.Source, keep func(replica.Item) bool) map[string]reaction.Reaction {
	t.Helper()
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items(p) {
		if keep != nil && !keep(it) {
			continue
		}
		r := replica.Platforms()[p].Expect(d, it)
		if r.ID == "" {
			continue // an item the platform does not serve
		}
		if _, dup := want[r.ID]; dup {
			t.Fatalf("fixture: duplicate expected id %s", r.ID)
		}
		if r.Author != "" {
			r.Author = authors.Author(p, r.Author)
		}
		want[r.ID] = r
	}
	return sourcetest.MarkStarters(want, d, src)
}

// inThreads keeps the items of the threads whose roots are named.
func inThreads(roots ...string) func(replica.Item) bool {
	return func(it replica.Item) bool {
		root := it.Thread
		if root == "" {
			root = it.Native
		}
		for _, r := range roots {
			if r == root {
				return true
			}
		}
		return false
	}
}

// count429 counts the replica's 429 answers on paths starting with prefix.
func count429(s *replica.Server, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Status == http.StatusTooManyRequests && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// checkSecondRunSendsNothing runs st again: nothing changed, so nothing
// may be sent.
func (c *throughCrawler) checkSecondRunSendsNothing(st *story.Story) {
	c.t.Helper()
	before := len(c.sink.all())
	c.run(st)
	if n := len(c.sink.all()) - before; n != 0 {
		c.t.Errorf("second run sent %d reactions, want 0", n)
	}
}

// TestBlueskyThroughCrawler: every 10th request answered 429; threads and
// search still come out exactly, and a second run sends nothing.
func TestBlueskyThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 10, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/bluesky"
	var roots []string
	for _, it := range d.Items(reaction.Bluesky) {
		if it.Parent == "" {
			roots = append(roots, replica.BlueskyURI(it))
		}
	}
	// One thread named by its author's handle rather than its DID.
	first := d.Items(reaction.Bluesky)[0]
	roots[0] = "at://" + strings.ToLower(first.Author) + roots[0][strings.Index(roots[0], "/app.bsky"):]
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Bluesky, BaseURL: base, PDSURL: base, Threads: roots, Search: []string{"chrissy teigen"}}}}
	c := newThroughCrawler(t, reaction.Bluesky)
	c.cfg.Credentials = source.Credentials{BlueskyHandle: "researcher.example.org", BlueskyAppPassword: "abcd-efgh-ijkl-mnop"}
	runs := c.run(st)
	sourcetest.Compare(t, c.sink.all(), groundTruth(t, d, reaction.Bluesky, c.cfg.Authors, &st.Sources[0], nil))
	if len(runs) != 1 || runs[0].ErrorKinds["not_found"] != 1 || runs[0].ErrorKinds["deleted_unknown_time"] != 1 || runs[0].Blocked != 0 {
		t.Errorf("runs = %+v", runs)
	}
	n429 := count429(s, "")
	if n429 == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	t.Logf("%d reactions through %d requests, %d answered 429", len(c.sink.all()), len(s.Requests()), n429)
	c.checkSecondRunSendsNothing(st)
}

// discourseTruth is the Discourse ground truth, with the replica's
// placeholder base URL replaced by base.
func discourseTruth(t testing.TB, d *replica.Dataset, authors *reaction.Pseudonymizer, base string) map[string]reaction.Reaction {
	want := groundTruth(t, d, reaction.Discourse, authors, nil, nil)
	for id, r := range want {
		r.URL = strings.Replace(r.URL, replica.DiscourseExpectBase, base, 1)
		want[id] = r
	}
	return want
}

// TestDiscourseThroughCrawler: every 3rd request answered 429; the topics
// still come out exactly, and a second run sends nothing.
func TestDiscourseThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Discourse)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 3, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/discourse"
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Discourse, BaseURL: base, Topics: []string{"5512", "5600"}}}}
	c := newThroughCrawler(t, reaction.Discourse)
	runs := c.run(st)
	sourcetest.Compare(t, c.sink.all(), discourseTruth(t, d, c.cfg.Authors, base))
	if len(runs) != 1 || runs[0].Blocked != 1 || runs[0].Errors != 0 {
		t.Errorf("runs = %+v, want one blocked topic and no errors", runs)
	}
	if count429(s, "") == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	c.checkSecondRunSendsNothing(st)
}

// TestDiscourseRateLimit exhausts the replica's per-IP limit (Discourse's
// default 50 requests per 10 seconds), checks the 429 answer has
// Discourse's shape, then crawls: the crawler waits for Retry-After and
// the topic still comes out exactly.
func TestDiscourseRateLimit(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Discourse)...)
	s := replica.New(d, replica.Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/discourse"
	var last *http.Response
	var body []byte
	for range replica.DiscourseRateLimit + 1 {
		resp, err := http.Get(base + "/t/5512.json")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		last = resp
	}
	var e struct {
		Errors    []string `json:"errors"`
		ErrorType string   `json:"error_type"`
		Extras    struct {
			WaitSeconds int `json:"wait_seconds"`
		} `json:"extras"`
	}
	ra, _ := strconv.Atoi(last.Header.Get("Retry-After"))
	if err := json.Unmarshal(body, &e); last.StatusCode != 429 || err != nil || e.ErrorType != "rate_limit" ||
		len(e.Errors) != 1 || e.Extras.WaitSeconds < 1 || ra != e.Extras.WaitSeconds {
		t.Fatalf("request %d: HTTP %d, Retry-After %q, body %s", replica.DiscourseRateLimit+1, last.StatusCode, last.Header.Get("Retry-After"), body)
	}

	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Discourse, BaseURL: base, Topics: []string{"5512"}}}}
	c := newThroughCrawler(t, reaction.Discourse)
	c.cfg.MaxRetryWait = 15 * time.Second
	start := time.Now()
	runs := c.run(st)
	want := discourseTruth(t, d, c.cfg.Authors, base)
	for id, r := range want {
		if strings.Contains(r.URL, "/p/9000") { // the private topic is not asked for here
			delete(want, id)
		}
	}
	sourcetest.Compare(t, c.sink.all(), want)
	if len(runs) != 1 || runs[0].Errors != 0 {
		t.Errorf("runs = %+v", runs)
	}
	if took := time.Since(start); took < time.Duration(ra-1)*time.Second {
		t.Errorf("the crawl took %v: it did not wait for Retry-After %ds", took, ra)
	}
}

// TestLemmyThroughCrawler: every 5th request answered 429; the posts
// still come out exactly, and a second run sends nothing.
func TestLemmyThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Lemmy)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 5, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Lemmy, BaseURL: srv.URL + "/lemmy", Posts: []string{"1820033", "1820099"}}}}
	c := newThroughCrawler(t, reaction.Lemmy)
	runs := c.run(st)
	sourcetest.Compare(t, c.sink.all(), groundTruth(t, d, reaction.Lemmy, c.cfg.Authors, nil, nil))
	if len(runs) != 1 || runs[0].Blocked != 0 || runs[0].Errors != 0 {
		t.Errorf("runs = %+v, want no blocks and no errors", runs)
	}
	if count429(s, "") == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	c.checkSecondRunSendsNothing(st)
}

// TestRedditThroughCrawler: every 7th request answered 429; the crawl
// still completes, exactly.
func TestRedditThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Reddit)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 7, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	threads := []string{"j2rm5q", "j2sx0a", "j2t1b2"}
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Reddit, BaseURL: srv.URL + "/reddit/oauth", TokenURL: srv.URL + "/reddit/api/v1/access_token", Threads: threads}}}
	c := newThroughCrawler(t, reaction.Reddit)
	c.cfg.Credentials = source.Credentials{RedditClientID: "crawler-app", RedditClientSecret: "s3cret"}
	runs := c.run(st)
	if len(runs) != 1 || runs[0].Status != reaction.RunOK {
		t.Fatalf("runs = %+v", runs)
	}
	// The ground truth has no reply counts for Reddit.
	sourcetest.Compare(t, c.sink.all(), groundTruth(t, d, reaction.Reddit, c.cfg.Authors, nil, inThreads(threads...)), "replies")
	n429 := count429(s, "/reddit/")
	if n429 == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	t.Logf("%d reactions through %d requests, %d answered 429", len(c.sink.all()), len(s.Requests()), n429)
}

// TestHackerNewsThroughCrawler: every 2nd request answered 429; a named
// story and a search still come out exactly.
func TestHackerNewsThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.HackerNews)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 2, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.HackerNews, BaseURL: srv.URL + "/hackernews/api/v1", Stories: []string{"24651234"}, Search: []string{"teigen"}}}}
	// The named story, and the stories the search finds.
	stories := []string{"24651234"}
	for _, it := range d.Items(reaction.HackerNews) {
		for _, tag := range it.Tags {
			if it.Thread == "" && strings.EqualFold(tag, "teigen") {
				stories = append(stories, it.Native)
			}
		}
	}
	c := newThroughCrawler(t, reaction.HackerNews)
	runs := c.run(st)
	if len(runs) != 1 || runs[0].Status != reaction.RunOK {
		t.Fatalf("runs = %+v", runs)
	}
	// The ground truth has no reply counts for Hacker News.
	sourcetest.Compare(t, c.sink.all(), groundTruth(t, d, reaction.HackerNews, c.cfg.Authors, nil, inThreads(stories...)), "replies")
	if count429(s, "") == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
}

// TestMastodonThroughCrawler: every 4th request answered 429; a hashtag
// and a named status still come out exactly.
func TestMastodonThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Mastodon)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 4, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	var column string // a status no hashtag reaches
	for _, it := range d.Items(reaction.Mastodon) {
		if it.Author == "columnist@press.example" {
			column = it.Native
			break
		}
	}
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Mastodon, BaseURL: srv.URL + "/mastodon", Hashtags: []string{replica.MastodonFixtureTag}, Statuses: []string{column}}}}
	c := newThroughCrawler(t, reaction.Mastodon)
	runs := c.run(st)
	if len(runs) != 1 || runs[0].Status != reaction.RunOK {
		t.Fatalf("runs = %+v", runs)
	}
	reach := replica.MastodonReachable(d, replica.MastodonFixtureTag, column)
	sourcetest.Compare(t, c.sink.all(), groundTruth(t, d, reaction.Mastodon, c.cfg.Authors, &st.Sources[0],
		func(it replica.Item) bool { return reach[it.Native] }))
	n429 := count429(s, "")
	if n429 == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	t.Logf("%d reactions, %d requests, %d answered 429", len(c.sink.all()), len(s.Requests()), n429)
}
