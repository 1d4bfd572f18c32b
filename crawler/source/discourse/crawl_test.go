package discourse_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// TestThroughCrawler runs the adapter inside the real crawler (polite
// fetcher, state, batching) while the replica answers every 3rd request
// with 429 and Retry-After: the topics still come out exactly, and a second
// run sends nothing.
func TestThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Discourse)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 3, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/discourse"
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Discourse, BaseURL: base, Topics: []string{"5512", "5600"}}}}
	c := sourcetest.NewCrawler(t, reaction.Discourse)
	authors := c.Config.Authors
	runs := c.Run(st)
	sourcetest.Compare(t, c.Sink.Stored(), expected(t, d, authors, base))
	if len(runs) != 1 || runs[0].Blocked != 1 || runs[0].Errors != 0 {
		t.Errorf("runs = %+v, want one blocked topic and no errors", runs)
	}
	n429 := 0
	for _, r := range s.Requests() {
		if r.Status == 429 {
			n429++
		}
	}
	if n429 == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	before := len(c.Sink.Stored())
	c.Run(st)
	if n := len(c.Sink.Stored()) - before; n != 0 {
		t.Errorf("second run sent %d reactions, want 0", n)
	}
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
	c := sourcetest.NewCrawler(t, reaction.Discourse)
	c.Config.MaxRetryWait = 15 * time.Second
	authors := c.Config.Authors
	start := time.Now()
	runs := c.Run(st)
	want := expected(t, d, authors, base)
	for id, r := range want {
		if strings.Contains(r.URL, "/p/9000") { // the private topic is not asked for here
			delete(want, id)
		}
	}
	sourcetest.Compare(t, c.Sink.Stored(), want)
	if len(runs) != 1 || runs[0].Errors != 0 {
		t.Errorf("runs = %+v", runs)
	}
	if took := time.Since(start); took < time.Duration(ra-1)*time.Second {
		t.Errorf("the crawl took %v: it did not wait for Retry-After %ds", took, ra)
	}
}
