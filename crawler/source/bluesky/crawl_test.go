package bluesky_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// TestThroughCrawler runs the adapter inside the real crawler (polite
// fetcher, state, batching) while the replica answers every 10th request
// with 429 and Retry-After: threads and search still come out exactly, and
// a second run sends nothing.
func TestThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 10, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/bluesky"
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Bluesky, BaseURL: base, PDSURL: base, Threads: roots(d), Search: []string{query}}}}
	c := sourcetest.NewCrawler(t, reaction.Bluesky)
	c.Config.Credentials = account
	authors := c.Config.Authors
	runs := c.Run(st)
	sourcetest.Compare(t, c.Sink.Stored(), expected(t, d, &st.Sources[0], authors))
	if len(runs) != 1 || runs[0].ErrorKinds["not_found"] != 1 || runs[0].ErrorKinds["deleted_unknown_time"] != 1 || runs[0].Blocked != 0 {
		t.Errorf("runs = %+v", runs)
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
	t.Logf("%d reactions through %d requests, %d answered 429", before, len(s.Requests()), n429)
}
