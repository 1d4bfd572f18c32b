package aggregator

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// slots bounds the request bodies parsed at once (a FIFO semaphore), and
// tells how long every slot has been held with none given back: holders
// that keep them that long are stuck (a classifier that hangs, a writer
// that does not move), which /healthz reports.
type slots struct {
	sem  *semaphore.Weighted
	size int64

	mu   sync.Mutex
	used int64
	full time.Time // when the last free slot was taken; zero while one is free
}

func newSlots(n int) *slots { return &slots{sem: semaphore.NewWeighted(int64(n)), size: int64(n)} }

// acquire takes a slot, waiting until one is free or ctx ends.
func (s *slots) acquire(ctx context.Context) error {
	if err := s.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	s.mu.Lock()
	s.used++
	if s.used == s.size {
		s.full = time.Now()
	}
	s.mu.Unlock()
	return nil
}

// release gives a slot back. A waiter that takes it at once starts the
// clock again: the holders are making progress.
func (s *slots) release() {
	s.mu.Lock()
	s.used--
	s.full = time.Time{}
	s.mu.Unlock()
	s.sem.Release(1)
}

// busy returns the number of slots held.
func (s *slots) busy() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// stalled returns how long every slot has been held with none given back
// (0 while one is free).
func (s *slots) stalled() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full.IsZero() {
		return 0
	}
	return time.Since(s.full)
}
