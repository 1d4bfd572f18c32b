package sourcetest

import (
	"context"
	"sync"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Sink is an in-memory sink for the crawler (it has the methods of
// crawler.Sink) that accepts every batch and keeps the reactions, for
// tests that run an adapter inside the crawler. The zero value is ready
// to use.
type Sink struct {
	mu     sync.Mutex
	stored []reaction.Reaction
}

// PutStory accepts the story.
func (s *Sink) PutStory(context.Context, *story.Story) error { return nil }

// PutCrawlRun accepts the run.
func (s *Sink) PutCrawlRun(context.Context, reaction.CrawlRun) error { return nil }

// Send keeps rs and accepts them all.
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
