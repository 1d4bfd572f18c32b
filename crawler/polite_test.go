package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// hits records the requests a test server saw.
type hits struct {
	mu    sync.Mutex
	times []time.Time
	paths []string
	uas   []string
}

func (h *hits) add(r *http.Request) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.times = append(h.times, time.Now())
	h.paths = append(h.paths, r.URL.Path)
	h.uas = append(h.uas, r.UserAgent())
	return len(h.times)
}

func (h *hits) n() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.times)
}

func (h *hits) gaps() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(h.times); i++ {
		out = append(out, h.times[i].Sub(h.times[i-1]))
	}
	return out
}

func testConfig(t *testing.T) Config {
	t.Helper()
	p, err := reaction.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"), false)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		StateDir: t.TempDir(), Authors: p, Contact: "research@example.org",
		Timeout: 5 * time.Second, RetryInitial: 20 * time.Millisecond, MaxRetryWait: 3 * time.Second,
		Rates:      map[reaction.Platform]string{reaction.Web: Unlimited, reaction.HackerNews: Unlimited, reaction.Lemmy: Unlimited},
		Registerer: prometheus.NewRegistry(),
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// newTestFetcher builds the fetcher of one source run of platform p.
func newTestFetcher(t *testing.T, cfg Config, p reaction.Platform, rateStr string) (*fetcher, *runStats, *metrics) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if rateStr != "" {
		cfg.Rates = map[reaction.Platform]string{p: rateStr}
	}
	lim, err := parseLimit(map[bool]string{true: rateStr, false: cfg.Rates[p]}[rateStr != ""])
	if err != nil {
		lim, _ = parseLimit(DefaultRates[p])
	}
	m := newMetrics(cfg.Registerer)
	stats := newRunStats()
	tr := &transport{base: http.DefaultTransport.(*http.Transport).Clone(), platform: p, limit: lim,
		hosts: newHostLimits(), cfg: &cfg, m: m, stats: stats, log: cfg.Log, ctx: context.Background()}
	return newFetcher(context.Background(), &cfg, tr, stats, m), stats, m
}

func TestRetryAfterHonoured(t *testing.T) {
	for _, form := range []string{"seconds", "http-date"} {
		t.Run(form, func(t *testing.T) {
			var h hits
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if h.add(r) == 1 {
					if form == "seconds" {
						w.Header().Set("Retry-After", "1")
					} else {
						// Whole seconds: the wait is between 1s and 2s.
						w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
					}
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				io.WriteString(w, `{"ok":true}`)
			}))
			defer srv.Close()
			f, stats, m := newTestFetcher(t, testConfig(t), reaction.HackerNews, "")
			resp, err := f.Get(context.Background(), srv.URL+"/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != `{"ok":true}` {
				t.Fatalf("body %q", resp.Body)
			}
			gaps := h.gaps()
			if len(gaps) != 1 || gaps[0] < time.Second {
				t.Fatalf("retry came after %v, want >= 1s (Retry-After)", gaps)
			}
			if stats.retries.Load() != 1 || testutil.ToFloat64(m.retries.WithLabelValues("hackernews")) != 1 {
				t.Errorf("retries not counted")
			}
			if got := testutil.ToFloat64(m.requests.WithLabelValues("hackernews", outcomeRateLimited)); got != 1 {
				t.Errorf("rate_limited requests = %v", got)
			}
		})
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true}, {" 0 ", 0, true}, {"Wed, 21 Oct 2026 07:28:30 GMT", 30 * time.Second, true},
		{"Wed, 21 Oct 2026 07:27:00 GMT", 0, true}, {"", 0, false}, {"-5", 0, false}, {"soon", 0, false},
	} {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffCappedAndBounded(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"There was a temporary problem serving your request, please try again"}`)
	}))
	defer srv.Close()
	cfg := testConfig(t)
	cfg.MaxRetries = 4
	cfg.RetryInitial = 100 * time.Millisecond
	cfg.MaxRetryWait = 150 * time.Millisecond
	f, _, _ := newTestFetcher(t, cfg, reaction.HackerNews, "")
	_, err := f.Get(context.Background(), srv.URL+"/x", nil)
	var he *source.HTTPError
	if !errors.As(err, &he) || he.Status != 503 || !strings.Contains(string(he.Body), "temporary problem") {
		t.Fatalf("err = %v, want HTTPError 503 with body", err)
	}
	if h.n() != 5 {
		t.Fatalf("%d attempts, want 1 + 4 retries", h.n())
	}
	for _, g := range h.gaps() {
		if g < 40*time.Millisecond || g > 400*time.Millisecond {
			t.Errorf("backoff gap %v outside [50ms jittered, cap 150ms]", g)
		}
	}
}

func TestForbiddenIsBlockedNotRetried(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var h hits
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.add(r)
				w.WriteHeader(status)
				io.WriteString(w, "<html>You've been blocked by network security.</html>")
			}))
			defer srv.Close()
			f, stats, _ := newTestFetcher(t, testConfig(t), reaction.HackerNews, "")
			_, err := f.Get(context.Background(), srv.URL+"/x", nil)
			if !errors.Is(err, source.ErrBlocked) {
				t.Fatalf("err = %v, want ErrBlocked", err)
			}
			if h.n() != 1 {
				t.Errorf("%d requests, want 1 (never retried)", h.n())
			}
			if stats.fetchBlocked.Load() != 1 {
				t.Error("block not counted")
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"error":"Record not found"}`)
	}))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, testConfig(t), reaction.Mastodon, Unlimited)
	if _, err := f.Get(context.Background(), srv.URL+"/x", nil); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestMaxBodySize(t *testing.T) {
	body := strings.Repeat("x", 2048)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	cfg := testConfig(t)
	cfg.MaxBodySize = 1024
	f, _, m := newTestFetcher(t, cfg, reaction.HackerNews, "")
	for _, path := range []string{"/length", "/chunked"} {
		if _, err := f.Get(context.Background(), srv.URL+path, nil); !errors.Is(err, source.ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", path, err)
		}
	}
	cfg.MaxBodySize = 2048 // exactly the limit is fine
	f, _, _ = newTestFetcher(t, cfg, reaction.HackerNews, "")
	if resp, err := f.Get(context.Background(), srv.URL+"/chunked", nil); err != nil || len(resp.Body) != 2048 {
		t.Errorf("body of exactly the limit: %v", err)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("hackernews", outcomeTooLarge)); got != 2 {
		t.Errorf("too_large outcomes = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("in-flight gauge = %v after all bodies closed", got)
	}
}

func TestTimeoutRetriedThenFails(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	cfg := testConfig(t)
	cfg.Timeout = 100 * time.Millisecond
	cfg.MaxRetries = 1
	f, _, m := newTestFetcher(t, cfg, reaction.HackerNews, "")
	start := time.Now()
	_, err := f.Get(context.Background(), srv.URL+"/slow", nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Fatalf("err = %v", err)
	}
	// One slow request is this request's failure, not the run's deadline:
	// adapters stop on context.DeadlineExceeded.
	if !errors.Is(err, ErrRequestTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v: want ErrRequestTimeout, not context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v, want about 2 x 100ms", d)
	}
	if h.n() != 2 || testutil.ToFloat64(m.requests.WithLabelValues("hackernews", outcomeTimeout)) != 2 {
		t.Errorf("%d attempts", h.n())
	}
}

func TestCancelStopsWaiting(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	cfg := testConfig(t)
	cfg.MaxRetryWait = time.Minute
	f, _, _ := newTestFetcher(t, cfg, reaction.HackerNews, "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Get(ctx, srv.URL+"/x", nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v, want prompt context error", err, time.Since(start))
	}
}

func TestRobotsTxtObeyedForWebPages(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		if r.URL.Path == "/robots.txt" {
			io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
			return
		}
		io.WriteString(w, `<html><body><p class="c">hello</p></body></html>`)
	}))
	defer srv.Close()
	f, _, m := newTestFetcher(t, testConfig(t), reaction.Web, "")

	if _, err := f.Get(context.Background(), srv.URL+"/private/page", nil); !errors.Is(err, source.ErrRobots) {
		t.Fatalf("disallowed page: err = %v, want ErrRobots", err)
	}
	if _, err := f.Get(context.Background(), srv.URL+"/public/page", nil); err != nil {
		t.Fatalf("allowed page: %v", err)
	}
	// The HTML collector obeys it too.
	c := f.Collector(context.Background())
	var texts []string
	c.OnHTML("p.c", func(e *colly.HTMLElement) { texts = append(texts, e.Text) })
	if err := c.Visit(srv.URL + "/private/other"); !errors.Is(err, colly.ErrRobotsTxtBlocked) {
		t.Fatalf("collector visit of disallowed page: %v", err)
	}
	if err := c.Visit(srv.URL + "/public/other"); err != nil || len(texts) != 1 {
		t.Fatalf("collector visit: %v %q", err, texts)
	}
	for _, p := range h.paths {
		if strings.HasPrefix(p, "/private/") {
			t.Errorf("fetched disallowed %s", p)
		}
	}
	if got := testutil.ToFloat64(m.robots.WithLabelValues("web")); got != 1 {
		t.Errorf("robots_blocked = %v, want 1", got)
	}

	// API platforms are governed by their API terms, not robots.txt.
	api, _, _ := newTestFetcher(t, testConfig(t), reaction.HackerNews, "")
	if _, err := api.Get(context.Background(), srv.URL+"/private/api", nil); err != nil {
		t.Errorf("API fetch: %v", err)
	}
}

func TestUserAgentHonestWithContact(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, testConfig(t), reaction.Web, "")
	if _, err := f.Get(context.Background(), srv.URL+"/page", nil); err != nil {
		t.Fatal(err)
	}
	want := "reactions/dev (+https://github.com/reactions-research/reactions; research crawler; contact: research@example.org)"
	for i, ua := range h.uas {
		if ua != want {
			t.Errorf("request %s: User-Agent %q, want %q", h.paths[i], ua, want)
		}
	}
	if len(h.uas) != 2 { // robots.txt and the page
		t.Errorf("%d requests: %v", len(h.uas), h.paths)
	}
}

func TestPerHostRateLimit(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.add(r) }))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, testConfig(t), reaction.Lemmy, "10/1s")
	for i := 0; i < 5; i++ {
		if _, err := f.Get(context.Background(), srv.URL+"/x", nil); err != nil {
			t.Fatal(err)
		}
	}
	var total time.Duration
	for _, g := range h.gaps() {
		total += g
	}
	// Token bucket of 10/s, burst 1: 5 requests span at least 400ms.
	if total < 380*time.Millisecond {
		t.Errorf("5 requests within %v, want >= 400ms at 10/s", total)
	}
}

func TestRateLimitHeadersPauseHost(t *testing.T) {
	var h hits
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.add(r) == 1 {
			w.Header().Set("X-Ratelimit-Remaining", "0.0")
			w.Header().Set("X-Ratelimit-Reset", "1")
		}
	}))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, testConfig(t), reaction.Reddit, Unlimited)
	for i := 0; i < 2; i++ {
		if _, err := f.Get(context.Background(), srv.URL+"/x", nil); err != nil {
			t.Fatal(err)
		}
	}
	if g := h.gaps(); len(g) != 1 || g[0] < 900*time.Millisecond {
		t.Errorf("second request after %v, want the 1s reset", g)
	}
}

func TestPostReplaysBodyOnRetry(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.Header.Get("Content-Type")+" "+string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(502)
		}
	}))
	defer srv.Close()
	f, _, _ := newTestFetcher(t, testConfig(t), reaction.Reddit, Unlimited)
	if _, err := f.Post(context.Background(), srv.URL+"/token", "application/x-www-form-urlencoded", []byte("grant_type=client_credentials"), nil); err != nil {
		t.Fatal(err)
	}
	want := "application/x-www-form-urlencoded grant_type=client_credentials"
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Errorf("bodies = %q", bodies)
	}
}
