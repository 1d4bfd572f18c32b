package mastodon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// testFetcher is a minimal source.Fetcher over http.Client for these tests:
// non-2xx answers become *source.HTTPError, and 429 is retried after its
// Retry-After (capped at 2 s).
type testFetcher struct {
	client   http.Client
	mu       sync.Mutex
	requests int
}

func (f *testFetcher) Get(ctx context.Context, u string, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodGet, u, "", nil, hdr)
}

func (f *testFetcher) Post(ctx context.Context, u, contentType string, body []byte, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodPost, u, contentType, body, hdr)
}

func (f *testFetcher) Collector(ctx context.Context) *colly.Collector { return colly.NewCollector() }

func (f *testFetcher) do(ctx context.Context, method, u, ct string, body []byte, hdr http.Header) (*source.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("User-Agent", "reactions-test/0 (adapter tests)")
		f.mu.Lock()
		f.requests++
		f.mu.Unlock()
		resp, err := f.client.Do(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 3 {
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = min(time.Duration(s)*time.Second, 2*time.Second)
			}
			time.Sleep(wait)
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return nil, &source.HTTPError{URL: u, Status: resp.StatusCode, Body: b}
		}
		return &source.Response{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
	}
}

// memState is an in-memory source.State.
type memState struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memState) Get(k string) string { s.mu.Lock(); defer s.mu.Unlock(); return s.m[k] }
func (s *memState) Set(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = v
}

// testStats records what an adapter reports.
type testStats struct {
	mu      sync.Mutex
	errors  []string
	blocked []string
	pages   int
}

func (s *testStats) Error(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors = append(s.errors, kind+": "+err.Error())
}

func (s *testStats) Blocked(what string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked = append(s.blocked, what+": "+err.Error())
}

func (s *testStats) Page() { s.mu.Lock(); s.pages++; s.mu.Unlock() }

// harness runs an adapter like the crawler does: it keeps state across
// runs and, like the crawler's Emit, tells new and changed reactions apart.
type harness struct {
	t       *testing.T
	story   *story.Story
	state   *memState
	fetch   *testFetcher
	authors *reaction.Pseudonymizer
	sent    map[string]reaction.Reaction // last version sent, by id
}

func newHarness(t *testing.T, src story.Source) *harness {
	t.Helper()
	authors, err := reaction.NewPseudonymizer([]byte("test-secret-0123456789"), false)
	if err != nil {
		t.Fatal(err)
	}
	st := &story.Story{ID: "jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{src}}
	return &harness{t: t, story: st, state: &memState{}, fetch: &testFetcher{}, authors: authors, sent: map[string]reaction.Reaction{}}
}

// runResult is what one Collect call did.
type runResult struct {
	err     error
	emitted []reaction.Reaction // in order, duplicates included
	fresh   []reaction.Reaction // new ids
	changed []reaction.Reaction // known ids with other content
	stats   *testStats
}

func (h *harness) run(a source.Adapter, now time.Time) runResult {
	h.t.Helper()
	res := runResult{stats: &testStats{}}
	env := &source.Env{
		Story:   h.story,
		Source:  &h.story.Sources[0],
		Fetch:   h.fetch,
		Authors: h.authors,
		State:   h.state,
		Stats:   res.stats,
		Log:     nil,
		Now:     func() time.Time { return now },
		Emit: func(r reaction.Reaction) error {
			r.Story = h.story.ID
			r.Normalize()
			if err := r.Validate(); err != nil {
				return fmt.Errorf("invalid reaction %s: %w", r.ID, err)
			}
			res.emitted = append(res.emitted, r)
			old, ok := h.sent[r.ID]
			switch {
			case !ok:
				res.fresh = append(res.fresh, r)
			case old != r:
				res.changed = append(res.changed, r)
			}
			h.sent[r.ID] = r
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res.err = a.Collect(ctx, env)
	return res
}
