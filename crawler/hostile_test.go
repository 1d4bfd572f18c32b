package crawler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// syncLog collects log output from several goroutines.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLongWaitsAreLoggedWithTheirReason (issue 15, item 4): a wait of
// 30 s or more before a request is logged at info, with its reason, when
// it starts: a crawl never goes quiet without saying why.
func TestLongWaitsAreLoggedWithTheirReason(t *testing.T) {
	for _, tc := range []struct {
		name, rate, status, want string
	}{
		{"Retry-After", Unlimited, "429", `reason="HTTP 429 with Retry-After: 40"`},
		{"the source's rate", "1/1m", "200", `reason="the rate limit: one request every 1m0s"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.status == "429" {
					w.Header().Set("Retry-After", "40")
					w.WriteHeader(http.StatusTooManyRequests)
				}
			}))
			defer srv.Close()
			logs := &syncLog{}
			cfg := testConfig(t)
			cfg.MaxRetryWait = 5 * time.Minute
			cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			f, _, _ := newTestFetcher(t, cfg, reaction.HackerNews, tc.rate)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := f.Get(ctx, srv.URL+"/a", nil)
				if err == nil {
					_, err = f.Get(ctx, srv.URL+"/b", nil)
				}
				done <- err
			}()
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logs.String(), tc.want) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want the wait cancelled", err)
			}
			line := logs.String()
			if !strings.Contains(line, "level=INFO msg=\"waiting before the next request\"") || !strings.Contains(line, tc.want) {
				t.Fatalf("no info line with the reason %s; the log:\n%s", tc.want, line)
			}
			t.Logf("%s", strings.TrimSpace(line))
		})
	}
}

// warnAdapter fails the same way many times: a platform that answers
// every page of a loop with the same problem.
type warnAdapter struct{ n int }

func (a warnAdapter) Collect(ctx context.Context, env *source.Env) error {
	for i := 0; i < a.n; i++ {
		env.Stats.Error("parse", errors.New("lemmy: a page that does not parse"))
		env.Log.Warn("lemmy: a Link header points at another host")
	}
	return nil
}

// TestRepeatedWarningsAreCounted (issue 15, item 3): 1,000 identical
// warnings log 5 lines each and one line with how many more there were;
// every error is still counted in the run.
func TestRepeatedWarningsAreCounted(t *testing.T) {
	logs := &syncLog{}
	cfg := burstConfig(t, warnAdapter{n: 1000}, 10, time.Millisecond)
	cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	runs, err := Run(context.Background(), cfg, burstStory(t, 1), &batchSink{}, Once)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Errors != 1000 || runs[0].ErrorKinds["parse"] != 1000 {
		t.Errorf("run counted %d errors (%v), want 1000", runs[0].Errors, runs[0].ErrorKinds)
	}
	out := logs.String()
	for _, want := range []struct {
		text string
		n    int
	}{
		{`msg="source error" story=burst source=s0 platform=lemmy kind=parse`, 5},
		{`msg="lemmy: a Link header points at another host"`, 5},
		{`repeats="further warnings like this one are counted, not logged"`, 2},
		{`msg="repeated warnings counted, not logged" story=burst source=s0 platform=lemmy message="source error" logged=5 not_logged=995 kind=parse`, 1},
		{`message="lemmy: a Link header points at another host" logged=5 not_logged=995`, 1},
	} {
		if n := strings.Count(out, want.text); n != want.n {
			t.Errorf("%d lines with %s, want %d", n, want.text, want.n)
		}
	}
	if n := strings.Count(out, "level=WARN"); n > 15 {
		t.Errorf("%d WARN lines for 2,000 warnings", n)
	}
}
