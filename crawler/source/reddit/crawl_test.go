package reddit

import (
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// TestThroughCrawler runs the adapter inside the real crawler (polite
// fetcher, state, batching) while the replica answers every 7th request
// with 429 and Retry-After: the crawl still completes, exactly.
func TestThroughCrawler(t *testing.T) {
	items := sourcetest.Fixture(t, reaction.Reddit)
	d := replica.NewDataset(items...)
	srv := replica.New(d, replica.Options{RateLimitEvery: 7, RetryAfter: time.Second})
	_, ts := startReplicaHandler(t, srv)
	src := redditSource(ts, []string{"j2rm5q", "j2sx0a", "j2t1b2"}, nil)
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{src}}
	c := sourcetest.NewCrawler(t, reaction.Reddit)
	c.Config.Credentials = source.Credentials{RedditClientID: "crawler-app", RedditClientSecret: "s3cret"}
	authors := c.Config.Authors
	runs := c.Run(st)
	if len(runs) != 1 || runs[0].Status != reaction.RunOK {
		t.Fatalf("runs = %+v", runs)
	}
	h := &sourcetest.Harness{Authors: authors}
	compare(t, c.Sink.Stored(), expected(h, d, map[string]bool{"j2rm5q": true, "j2sx0a": true, "j2t1b2": true}))
	n429 := 0
	for _, rq := range srv.Requests() {
		if rq.Status == 429 && strings.HasPrefix(rq.Path, "/reddit/") {
			n429++
		}
	}
	if n429 == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	t.Logf("%d reactions through %d requests, %d answered 429", len(c.Sink.Stored()), len(srv.Requests()), n429)
}
