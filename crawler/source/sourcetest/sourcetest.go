// Package sourcetest runs a platform adapter in tests the way the crawler
// does, without the crawler: a plain HTTP Fetcher, an in-memory State, a
// Stats that records what the adapter reports, a Harness that keeps state
// across runs and tells new reactions from changed ones, and Compare for
// ground truth. It is imported only by tests and imports nothing above
// package source: the tests that run an adapter inside the real crawler
// live in package crawler (through_test.go).
package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// UserAgent is the User-Agent the test Fetcher sends.
const UserAgent = "reactions-test/1 (+https://example.org/contact)"

// Retry limits of the test Fetcher: a 429 or 5xx answer is retried at most
// maxRetries times, after its Retry-After capped at maxWait, or after
// defaultWait when it has none.
const (
	maxRetries  = 3
	maxWait     = 2 * time.Second
	defaultWait = 50 * time.Millisecond
)

// Fetcher is a minimal source.Fetcher over http.Client. Non-2xx answers
// become *source.HTTPError; 429 and 5xx are retried (see maxRetries) after
// Retry-After, in seconds or as an HTTP date. It records every call as
// "METHOD url", once per call whatever the retries. The zero value is
// ready to use.
type Fetcher struct {
	// Client does the requests; nil means a client with a 10 s timeout.
	Client *http.Client

	mu   sync.Mutex
	urls []string
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// Get implements source.Fetcher.
func (f *Fetcher) Get(ctx context.Context, u string, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodGet, u, "", nil, hdr)
}

// Post implements source.Fetcher.
func (f *Fetcher) Post(ctx context.Context, u, contentType string, body []byte, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodPost, u, contentType, body, hdr)
}

// Collector implements source.Fetcher with a plain Colly collector.
func (f *Fetcher) Collector(ctx context.Context) *colly.Collector { return colly.NewCollector() }

// URLs returns the calls made so far, as "METHOD url", in order.
func (f *Fetcher) URLs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.urls...)
}

// ResetURLs forgets the calls recorded so far.
func (f *Fetcher) ResetURLs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.urls = nil
}

func (f *Fetcher) do(ctx context.Context, method, u, ct string, body []byte, hdr http.Header) (*source.Response, error) {
	f.mu.Lock()
	f.urls = append(f.urls, method+" "+u)
	client := f.Client
	f.mu.Unlock()
	if client == nil {
		client = defaultClient
	}
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
		req.Header.Set("User-Agent", UserAgent)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return &source.Response{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
		}
		if (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) && attempt < maxRetries {
			select {
			case <-time.After(retryWait(resp.Header.Get("Retry-After"))):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		return nil, &source.HTTPError{URL: u, Status: resp.StatusCode, Body: b}
	}
}

// retryWait reads a Retry-After value (seconds or an HTTP date).
func retryWait(v string) time.Duration {
	if s, err := strconv.Atoi(v); err == nil {
		return min(time.Duration(s)*time.Second, maxWait)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(time.Until(t), maxWait)
	}
	return defaultWait
}

// State is an in-memory source.State, safe for concurrent use. The zero
// value is ready to use.
type State struct {
	mu sync.Mutex
	m  map[string]string
}

// Get implements source.State.
func (s *State) Get(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

// Set implements source.State.
func (s *State) Set(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = v
}

// Stats is a source.Stats that records what an adapter reports. Blocked
// panics when its error is not source.ErrBlocked: that is the contract.
// The zero value is ready to use.
type Stats struct {
	mu      sync.Mutex
	errors  []string
	kinds   map[string]int
	blocked []string
	pages   int
}

// Error implements source.Stats.
func (s *Stats) Error(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kinds == nil {
		s.kinds = map[string]int{}
	}
	s.kinds[kind]++
	s.errors = append(s.errors, kind+": "+err.Error())
}

// Blocked implements source.Stats.
func (s *Stats) Blocked(what string, err error) {
	if !errors.Is(err, source.ErrBlocked) {
		panic(fmt.Sprintf("Blocked(%q) with an error that is not ErrBlocked: %v", what, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked = append(s.blocked, what+": "+err.Error())
}

// Page implements source.Stats.
func (s *Stats) Page() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages++
}

// Errors returns the errors recorded, as "kind: message", in order.
func (s *Stats) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errors...)
}

// Kinds returns how many errors of each kind were recorded.
func (s *Stats) Kinds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.kinds))
	for k, n := range s.kinds {
		out[k] = n
	}
	return out
}

// Blocks returns the blocks recorded, as "what: message", in order.
func (s *Stats) Blocks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.blocked...)
}

// Pages returns how many pages were recorded.
func (s *Stats) Pages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages
}

// Secret keys the Harness's pseudonymizer.
var Secret = []byte("test-secret-0123456789")

// Harness runs an adapter like the crawler does: it keeps State across
// runs and, like the crawler's Emit, fills the story id, normalizes (see
// AsEmitted) and validates each reaction and tells new reactions from
// changed ones.
// Tests may replace Authors or change Story (say its Window) between runs.
type Harness struct {
	// T is the test or benchmark.
	T testing.TB
	// Story has the one source being run, Story.Sources[0].
	Story *story.Story
	// Source is &Story.Sources[0].
	Source *story.Source
	// Fetch is the fetcher every run uses.
	Fetch *Fetcher
	// Authors pseudonymises author handles; keyed with Secret by New.
	Authors *reaction.Pseudonymizer
	// State persists across runs.
	State *State
	// Credentials are the accounts every run is given.
	Credentials source.Credentials
	// AsEmitted, when set, records reactions as the adapter emitted them
	// (only the story id filled in) rather than normalized as the crawler
	// sends them: for golden files of an adapter's own output.
	AsEmitted bool

	sent map[string]reaction.Reaction // last version emitted, by id
}

// New returns a harness for a story with id storyID, subject "Chrissy
// Teigen" and the one source src.
func New(t testing.TB, storyID string, src story.Source) *Harness {
	t.Helper()
	authors, err := reaction.NewPseudonymizer(Secret, false)
	if err != nil {
		t.Fatal(err)
	}
	st := &story.Story{ID: storyID, Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{src}}
	return &Harness{T: t, Story: st, Source: &st.Sources[0], Fetch: &Fetcher{}, Authors: authors, State: &State{}}
}

// Result is what one Collect call did.
type Result struct {
	// Err is what Collect returned.
	Err error
	// Emitted is every reaction emitted, in order, repeats included.
	Emitted []reaction.Reaction
	// Fresh are the reactions whose id no earlier emit had.
	Fresh []reaction.Reaction
	// Changed are the reactions of known ids whose content changed.
	Changed []reaction.Reaction
	// Stats is what the adapter reported during this run.
	Stats *Stats
}

// Run calls a.Collect once with the clock fixed at now (within a 2-minute
// timeout) and returns what it did. An invalid reaction makes Emit return
// an error, as the crawler's does.
func (h *Harness) Run(a source.Adapter, now time.Time) Result {
	h.T.Helper()
	return h.collect(a, func() time.Time { return now })
}

// MustRun calls a.Collect once with the real clock and fails the test if
// it returns an error; it returns the reactions emitted and the stats.
func (h *Harness) MustRun(a source.Adapter) ([]reaction.Reaction, *Stats) {
	h.T.Helper()
	res := h.collect(a, time.Now)
	if res.Err != nil {
		h.T.Fatalf("Collect: %v", res.Err)
	}
	return res.Emitted, res.Stats
}

func (h *Harness) collect(a source.Adapter, now func() time.Time) Result {
	h.T.Helper()
	if h.sent == nil {
		h.sent = map[string]reaction.Reaction{}
	}
	res := Result{Stats: &Stats{}}
	var logs strings.Builder
	env := &source.Env{
		Story:       h.Story,
		Source:      h.Source,
		Fetch:       h.Fetch,
		Authors:     h.Authors,
		State:       h.State,
		Stats:       res.Stats,
		Log:         slog.New(slog.NewTextHandler(&logs, nil)),
		Now:         now,
		Credentials: h.Credentials,
		Emit: func(r reaction.Reaction) error {
			r.Story = h.Story.ID
			if !h.AsEmitted {
				r.Normalize()
			}
			if err := r.Validate(); err != nil {
				return fmt.Errorf("invalid reaction %s: %w", r.ID, err)
			}
			// The crawler would repair these and keep the reaction; an
			// adapter under test should not need it.
			if fixed := r.Repair(); fixed != nil {
				return fmt.Errorf("reaction %s has side fields the crawler would have to repair: %v", r.ID, fixed)
			}
			res.Emitted = append(res.Emitted, r)
			old, ok := h.sent[r.ID]
			switch {
			case !ok:
				res.Fresh = append(res.Fresh, r)
			case old != r:
				res.Changed = append(res.Changed, r)
			}
			h.sent[r.ID] = r
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res.Err = a.Collect(ctx, env)
	if logs.Len() > 0 {
		h.T.Logf("log:\n%s", logs.String())
	}
	return res
}
