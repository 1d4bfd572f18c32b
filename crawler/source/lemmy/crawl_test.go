package lemmy_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/replica"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// memSink is an in-memory aggregator for crawler.Run.
type memSink struct {
	mu     sync.Mutex
	stored []reaction.Reaction
	runs   []reaction.CrawlRun
}

func (s *memSink) PutStory(context.Context, *story.Story) error { return nil }
func (s *memSink) PutCrawlRun(_ context.Context, r reaction.CrawlRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, r)
	return nil
}
func (s *memSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored = append(s.stored, rs...)
	return reaction.IngestResult{Accepted: len(rs)}, nil
}

// TestThroughCrawler runs the adapter inside the real crawler (polite
// fetcher, state, batching) while the replica answers every 5th request
// with 429 and Retry-After: the posts still come out exactly, and a second
// run sends nothing.
func TestThroughCrawler(t *testing.T) {
	d := replica.NewDataset(fixture(t)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 5, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/lemmy"
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{{
		Platform: reaction.Lemmy, BaseURL: base, Posts: []string{"1820033", "1820099"}}}}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	authors, _ := reaction.NewPseudonymizer([]byte("test-secret-0123456789"), false)
	cfg := crawler.Config{
		StateDir: t.TempDir(), Authors: authors, RetryInitial: 10 * time.Millisecond,
		Rates: map[reaction.Platform]string{reaction.Lemmy: crawler.Unlimited},
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	sink := &memSink{}
	runs, err := crawler.Run(context.Background(), cfg, st, sink, crawler.Once)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, sink.stored, expected(t, d, authors))
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
	before := len(sink.stored)
	if _, err := crawler.Run(context.Background(), cfg, st, sink, crawler.Once); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.stored) - before; n != 0 {
		t.Errorf("second run sent %d reactions, want 0", n)
	}
}
