package lemmy_test

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
// fetcher, state, batching) while the replica answers every 5th request
// with 429 and Retry-After: the posts still come out exactly, and a second
// run sends nothing.
func TestThroughCrawler(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Lemmy)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 5, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/lemmy"
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Lemmy, BaseURL: base, Posts: []string{"1820033", "1820099"}}}}
	c := sourcetest.NewCrawler(t, reaction.Lemmy)
	authors := c.Config.Authors
	runs := c.Run(st)
	sourcetest.Compare(t, c.Sink.Stored(), expected(t, d, authors))
	if len(runs) != 1 || runs[0].Blocked != 0 || runs[0].Errors != 0 {
		t.Errorf("runs = %+v, want no blocks and no errors", runs)
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
