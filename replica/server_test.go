package replica

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// echoPlatform is a platform mounted only in these tests (never registered,
// so other tests of the package see only the real replicas).
func echoPlatform(name reaction.Platform) Platform {
	return Platform{
		Name:   name,
		Prefix: "/" + string(name) + "/",
		Handler: func(s *Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, s.BaseURL(r)+r.URL.Path)
			})
		},
	}
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServerRoutesRobotsAndIndex(t *testing.T) {
	s := newServer(NewDataset(), Options{}, []Platform{echoPlatform("alpha")})
	ts := httptest.NewServer(s)
	defer ts.Close()

	tests := []struct {
		name, path string
		wantCode   int
		wantBody   string
	}{
		{"robots", "/robots.txt", 200, "Disallow: /web/private/"},
		{"index lists base URLs", "/", 200, ts.URL + "/alpha"},
		{"platform gets BaseURL of the client", "/alpha/x/y", 200, ts.URL + "/alpha/x/y"},
		{"unknown path", "/nowhere", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, ts.URL+tc.path)
			if resp.StatusCode != tc.wantCode || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tc.path, resp.StatusCode, body, tc.wantCode, tc.wantBody)
			}
		})
	}
	log := s.Requests()
	if len(log) != len(tests) || log[2].Platform != "alpha" || log[0].Platform != "" || log[3].Status != 404 {
		t.Fatalf("request log = %+v", log)
	}
}

func TestServerFaults(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 500_000_000, time.UTC)
	s := newServer(NewDataset(), Options{
		RateLimitEvery: 2, RetryAfter: 3 * time.Second,
		Forbidden: []reaction.Platform{"beta"},
		Now:       func() time.Time { return now },
	}, []Platform{echoPlatform("alpha"), echoPlatform("beta")})
	ts := httptest.NewServer(s)
	defer ts.Close()

	var retryAfters []string
	for i := 1; i <= 4; i++ {
		resp, _ := get(t, ts.URL+"/alpha/")
		if want := map[bool]int{true: 429, false: 200}[i%2 == 0]; resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, want)
		}
		if resp.StatusCode == 429 {
			retryAfters = append(retryAfters, resp.Header.Get("Retry-After"))
		}
	}
	if retryAfters[0] != "3" {
		t.Errorf("first Retry-After = %q, want delta-seconds 3", retryAfters[0])
	}
	at, err := http.ParseTime(retryAfters[1])
	if err != nil {
		t.Fatalf("second Retry-After %q is not an HTTP-date: %v", retryAfters[1], err)
	}
	if wait := at.Sub(now); wait < 3*time.Second || wait > 4*time.Second {
		t.Errorf("HTTP-date Retry-After waits %v, want 3s..4s", wait)
	}
	if resp, _ := get(t, ts.URL+"/beta/"); resp.StatusCode != 403 {
		t.Errorf("forbidden platform answered %d", resp.StatusCode)
	}
	if resp, _ := get(t, ts.URL+"/robots.txt"); resp.StatusCode != 200 {
		t.Errorf("robots.txt must never be faulted, got %d", resp.StatusCode)
	}

	s.SetOptions(Options{Latency: 50 * time.Millisecond})
	start := time.Now()
	get(t, ts.URL+"/alpha/")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}
	n429 := 0
	for _, r := range s.Requests() {
		if r.Status == 429 {
			n429++
		}
	}
	if n429 != 2 {
		t.Errorf("log shows %d 429s, want 2", n429)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept entries")
	}
}

func TestBaseURLFor(t *testing.T) {
	for p, want := range map[reaction.Platform]string{
		reaction.Reddit: "http://h/reddit/oauth", reaction.HackerNews: "http://h/hackernews/api/v1",
		reaction.Mastodon: "http://h/mastodon",
	} {
		if got := BaseURLFor(p, "http://h/"+string(p)); got != want {
			t.Errorf("BaseURLFor(%s) = %q, want %q", p, got, want)
		}
	}
}
