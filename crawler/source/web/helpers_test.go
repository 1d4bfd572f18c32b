package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// testFetcher hands out collectors configured as the crawler's are
// (crawler/fetcher.go): robots.txt obeyed, no revisits, error responses
// parsed, synchronous. The API methods are not used by the web adapter.
type testFetcher struct{}

func (testFetcher) Get(context.Context, string, http.Header) (*source.Response, error) {
	return nil, errors.New("testFetcher: Get is not used by the web adapter")
}

func (testFetcher) Post(context.Context, string, string, []byte, http.Header) (*source.Response, error) {
	return nil, errors.New("testFetcher: Post is not used by the web adapter")
}

func (testFetcher) Collector(ctx context.Context) *colly.Collector {
	c := colly.NewCollector()
	c.UserAgent = "reactions-test/1 (+https://example.org/contact)"
	c.IgnoreRobotsTxt = false
	c.AllowURLRevisit = false
	c.Async = false
	c.ParseHTTPErrorResponse = true
	c.Context = ctx
	c.SetRequestTimeout(10 * time.Second)
	return c
}

// recStats records what an adapter reports.
type recStats struct {
	mu      sync.Mutex
	errs    map[string][]error
	blocked []error
	pages   int
}

func (s *recStats) Error(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errs == nil {
		s.errs = map[string][]error{}
	}
	s.errs[kind] = append(s.errs[kind], err)
}

func (s *recStats) Blocked(what string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked = append(s.blocked, err)
}

func (s *recStats) Page() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages++
}

// kinds returns "kind=count" pairs, sorted, for messages and comparisons.
func (s *recStats) kinds() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, v := range s.errs {
		out = append(out, fmt.Sprintf("%s=%d", k, len(v)))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

type memState map[string]string

func (m memState) Get(k string) string { return m[k] }
func (m memState) Set(k, v string)     { m[k] = v }

// testSecret keys the pseudonymizer in tests.
var testSecret = []byte("web-adapter-test-secret-0123456789")

func newAuthors(t testing.TB) *reaction.Pseudonymizer {
	t.Helper()
	p, err := reaction.NewPseudonymizer(testSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// collected is the outcome of one Collect call.
type collected struct {
	reactions []reaction.Reaction
	stats     *recStats
	err       error
}

// collect runs the web adapter on src with f.
func collect(t testing.TB, f source.Fetcher, src *story.Source) collected {
	t.Helper()
	a, ok := source.Lookup(reaction.Web)
	if !ok {
		t.Fatal("web adapter not registered")
	}
	out := collected{stats: &recStats{}}
	if src.Name == "" {
		src.Name = "web"
	}
	src.Platform = reaction.Web
	env := &source.Env{
		Story:   &story.Story{ID: "test-story", Subject: []string{"Chrissy Teigen"}},
		Source:  src,
		Fetch:   f,
		Authors: newAuthors(t),
		State:   memState{},
		Stats:   out.stats,
		Log:     slog.New(slog.DiscardHandler),
		Now:     time.Now,
		Emit: func(r reaction.Reaction) error {
			out.reactions = append(out.reactions, r)
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out.err = a.Collect(ctx, env)
	return out
}
