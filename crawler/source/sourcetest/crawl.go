package sourcetest

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Sink is an in-memory crawler.Sink that accepts every batch and keeps
// the reactions. The zero value is ready to use.
type Sink struct {
	mu     sync.Mutex
	stored []reaction.Reaction
}

// PutStory implements crawler.Sink.
func (s *Sink) PutStory(context.Context, *story.Story) error { return nil }

// PutCrawlRun implements crawler.Sink.
func (s *Sink) PutCrawlRun(context.Context, reaction.CrawlRun) error { return nil }

// Send implements crawler.Sink.
func (s *Sink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored = append(s.stored, rs...)
	return reaction.IngestResult{Accepted: len(rs)}, nil
}

// Stored returns every reaction sent so far, in order.
func (s *Sink) Stored() []reaction.Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reaction.Reaction(nil), s.stored...)
}

// Crawler runs stories through the real crawler (crawler.Run, once) into
// an in-memory Sink, for tests of an adapter inside the polite fetcher,
// the state store and the batching. Its state directory lasts for the
// test, so a second Run continues where the first stopped.
type Crawler struct {
	// T is the test.
	T testing.TB
	// Config is what Run passes to crawler.Run: Authors keyed with Secret,
	// no rate limit for the platform, a first retry after 10 ms, the log
	// discarded. Tests may change it before a Run.
	Config crawler.Config
	// Sink receives what the crawler sends.
	Sink *Sink
}

// NewCrawler returns a Crawler for sources of platform p.
func NewCrawler(t testing.TB, p reaction.Platform) *Crawler {
	t.Helper()
	authors, err := reaction.NewPseudonymizer(Secret, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Crawler{T: t, Sink: &Sink{}, Config: crawler.Config{
		StateDir: t.TempDir(), Authors: authors, RetryInitial: 10 * time.Millisecond,
		Rates: map[reaction.Platform]string{p: crawler.Unlimited},
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}}
}

// Run validates st and crawls it once; it fails the test on an error and
// returns the runs crawler.Run reports.
func (c *Crawler) Run(st *story.Story) []reaction.CrawlRun {
	c.T.Helper()
	if err := st.Validate(); err != nil {
		c.T.Fatal(err)
	}
	runs, err := crawler.Run(context.Background(), c.Config, st, c.Sink, crawler.Once)
	if err != nil {
		c.T.Fatal(err)
	}
	return runs
}
