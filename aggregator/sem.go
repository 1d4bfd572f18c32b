package aggregator

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// semaphore is a weighted FIFO semaphore: the bound on queued rows and on
// bodies parsed at once. A waiter that does not fit blocks those behind it,
// so a large request is not starved by small ones.
type semaphore struct {
	mu      sync.Mutex
	size    int64
	cur     int64
	waiters list.List // of *waiter
	// full is when the semaphore last became full, or last gave something
	// back while it stayed full; zero while there is room. See stalled.
	full time.Time
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func newSemaphore(size int64) *semaphore { return &semaphore{size: size} }

// acquire takes n (at most the size) and blocks until it can, or ctx ends.
func (s *semaphore) acquire(ctx context.Context, n int64) error {
	n = min(n, s.size)
	s.mu.Lock()
	if s.cur+n <= s.size && s.waiters.Len() == 0 {
		s.cur += n
		s.mark(false)
		s.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	e := s.waiters.PushBack(w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.ready:
			// Granted meanwhile: give it back.
			s.cur -= n
			s.notify()
			s.mark(true)
		default:
			front := s.waiters.Front() == e
			s.waiters.Remove(e)
			if front {
				s.notify()
				s.mark(false)
			}
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// release returns n taken by acquire.
func (s *semaphore) release(n int64) {
	n = min(n, s.size)
	s.mu.Lock()
	s.cur -= n
	if s.cur < 0 {
		s.mu.Unlock()
		panic("aggregator: semaphore released more than held")
	}
	s.notify()
	s.mark(true)
	s.mu.Unlock()
}

// mark records, with mu held, when the semaphore became full: a release
// that leaves it full (a waiter took what was given back) restarts the
// clock, since the holders are making progress.
func (s *semaphore) mark(released bool) {
	switch {
	case s.cur < s.size:
		s.full = time.Time{}
	case s.full.IsZero() || released:
		s.full = time.Now()
	}
}

// stalled returns how long the semaphore has been full with nothing given
// back (0 while there is room): holders that keep it that long are stuck,
// or are clients that stopped sending.
func (s *semaphore) stalled() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full.IsZero() {
		return 0
	}
	return time.Since(s.full)
}

func (s *semaphore) notify() {
	for {
		e := s.waiters.Front()
		if e == nil {
			return
		}
		w := e.Value.(*waiter)
		if s.cur+w.n > s.size {
			return
		}
		s.cur += w.n
		s.waiters.Remove(e)
		close(w.ready)
	}
}

// used returns the amount held.
func (s *semaphore) used() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}
