package reddit

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/replica"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// memSink is an in-memory aggregator for crawler.Run.
type memSink struct {
	mu     sync.Mutex
	stored []reaction.Reaction
}

func (s *memSink) PutStory(context.Context, *story.Story) error         { return nil }
func (s *memSink) PutCrawlRun(context.Context, reaction.CrawlRun) error { return nil }
func (s *memSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored = append(s.stored, rs...)
	return reaction.IngestResult{Accepted: len(rs)}, nil
}

// TestThroughCrawler runs the adapter inside the real crawler (polite
// fetcher, state, batching) while the replica answers every 7th request
// with 429 and Retry-After: the crawl still completes, exactly.
func TestThroughCrawler(t *testing.T) {
	t.Setenv(EnvClientID, "crawler-app")
	t.Setenv(EnvClientSecret, "s3cret")
	items := fixture(t)
	d := replica.NewDataset(items...)
	srv := replica.New(d, replica.Options{RateLimitEvery: 7, RetryAfter: time.Second})
	_, ts := startReplicaHandler(t, srv)
	src := redditSource(ts, []string{"j2rm5q", "j2sx0a", "j2t1b2"}, nil)
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{src}}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	authors, _ := reaction.NewPseudonymizer([]byte("test-secret-0123456789"), false)
	cfg := crawler.Config{
		StateDir: t.TempDir(), Authors: authors, RetryInitial: 10 * time.Millisecond,
		Rates: map[reaction.Platform]string{reaction.Reddit: crawler.Unlimited},
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	sink := &memSink{}
	runs, err := crawler.Run(context.Background(), cfg, st, sink, crawler.Once)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != reaction.RunOK {
		t.Fatalf("runs = %+v", runs)
	}
	h := &sourcetest.Harness{Authors: authors}
	compare(t, sink.stored, expected(h, d, map[string]bool{"j2rm5q": true, "j2sx0a": true, "j2t1b2": true}))
	n429 := 0
	for _, rq := range srv.Requests() {
		if rq.Status == 429 && strings.HasPrefix(rq.Path, "/reddit/") {
			n429++
		}
	}
	if n429 == 0 {
		t.Error("no 429 was answered: Retry-After was not exercised")
	}
	t.Logf("%d reactions through %d requests, %d answered 429", len(sink.stored), len(srv.Requests()), n429)
}
