package discourse_test

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

// testFetcher is a minimal source.Fetcher over http.Client: non-2xx answers
// become *source.HTTPError, 429 and 5xx are retried after Retry-After (at
// most 2 s) up to three times.
type testFetcher struct {
	client *http.Client
	mu     sync.Mutex
	urls   []string
}

func (f *testFetcher) Get(ctx context.Context, u string, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodGet, u, "", nil, hdr)
}

func (f *testFetcher) Post(ctx context.Context, u, ct string, body []byte, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodPost, u, ct, body, hdr)
}

func (f *testFetcher) Collector(ctx context.Context) *colly.Collector { return colly.NewCollector() }

func (f *testFetcher) do(ctx context.Context, method, u, ct string, body []byte, hdr http.Header) (*source.Response, error) {
	f.mu.Lock()
	f.urls = append(f.urls, method+" "+u)
	f.mu.Unlock()
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
		req.Header.Set("User-Agent", "reactions-test/1 (+https://example.org/contact)")
		resp, err := f.client.Do(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return &source.Response{URL: req.URL, Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
		}
		if (resp.StatusCode == 429 || resp.StatusCode >= 500) && attempt < 3 {
			wait := 50 * time.Millisecond
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = min(time.Duration(s)*time.Second, 2*time.Second)
			} else if t, err := http.ParseTime(resp.Header.Get("Retry-After")); err == nil {
				wait = min(time.Until(t), 2*time.Second)
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		return nil, &source.HTTPError{URL: u, Status: resp.StatusCode, Body: b}
	}
}

type memState map[string]string

func (m memState) Get(k string) string { return m[k] }
func (m memState) Set(k, v string)     { m[k] = v }

type statsRec struct {
	mu      sync.Mutex
	errors  map[string][]error
	blocked []string
	pages   int
}

func (s *statsRec) Error(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errors == nil {
		s.errors = map[string][]error{}
	}
	s.errors[kind] = append(s.errors[kind], err)
}

func (s *statsRec) Blocked(what string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !errors.Is(err, source.ErrBlocked) {
		panic(fmt.Sprintf("Blocked(%q) with an error that is not ErrBlocked: %v", what, err))
	}
	s.blocked = append(s.blocked, what)
}

func (s *statsRec) Page() { s.mu.Lock(); s.pages++; s.mu.Unlock() }

func (s *statsRec) kinds() map[string]int {
	out := map[string]int{}
	for k, v := range s.errors {
		out[k] = len(v)
	}
	return out
}

// harness runs an adapter against a source and records what it emits.
type harness struct {
	t       testing.TB
	src     *story.Source
	state   memState
	authors *reaction.Pseudonymizer
	fetch   *testFetcher
}

func newHarness(t testing.TB, src *story.Source) *harness {
	t.Helper()
	p, err := reaction.NewPseudonymizer([]byte("0123456789abcdef0123"), false)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, src: src, state: memState{}, authors: p,
		fetch: &testFetcher{client: &http.Client{Timeout: 10 * time.Second}}}
}

// run calls Collect once and returns the reactions emitted and the stats.
func (h *harness) run(a source.Adapter) ([]reaction.Reaction, *statsRec) {
	h.t.Helper()
	var got []reaction.Reaction
	st := &statsRec{}
	var logs strings.Builder
	env := &source.Env{
		Story:   &story.Story{ID: "teigen-legend-loss", Subject: []string{"Chrissy Teigen"}},
		Source:  h.src,
		Fetch:   h.fetch,
		Authors: h.authors,
		State:   h.state,
		Stats:   st,
		Log:     slog.New(slog.NewTextHandler(&logs, nil)),
		Now:     time.Now,
		Emit: func(r reaction.Reaction) error {
			r.Story = "teigen-legend-loss"
			r.FirstSeen = time.Now()
			if err := r.Validate(); err != nil {
				h.t.Errorf("emitted an invalid reaction %s: %v", r.ID, err)
			}
			got = append(got, r)
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Collect(ctx, env); err != nil {
		h.t.Fatalf("Collect: %v", err)
	}
	h.t.Logf("log:\n%s", logs.String())
	return got, st
}
