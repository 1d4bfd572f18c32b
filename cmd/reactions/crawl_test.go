package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
)

// testAggregator is a minimal ingest API for the crawl command's tests.
type testAggregator struct {
	mu     sync.Mutex
	stored map[string]reaction.Reaction
	runs   []reaction.CrawlRun
}

func (a *testAggregator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/reactions":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() {
			var rr reaction.Reaction
			if err := json.Unmarshal(sc.Bytes(), &rr); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			a.stored[rr.ID] = rr
			n++
		}
		json.NewEncoder(w).Encode(reaction.IngestResult{Accepted: n})
	case r.Method == http.MethodPut && r.URL.Path == "/api/v1/crawls":
		var run reaction.CrawlRun
		json.NewDecoder(r.Body).Decode(&run)
		a.runs = append(a.runs, run)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v1/stories/"):
	default:
		http.NotFound(w, r)
	}
}

func crawlEnv(t *testing.T) (replicaURL, aggURL string, agg *testAggregator) {
	t.Helper()
	t.Setenv("REACTIONS_HOME", t.TempDir())
	t.Setenv("REACTIONS_SECRET", "crawl-test-secret-0123456789")
	rep := httptest.NewServer(replica.New(replica.TestDataset(), replica.Options{}))
	t.Cleanup(rep.Close)
	agg = &testAggregator{stored: map[string]reaction.Reaction{}}
	as := httptest.NewServer(agg)
	t.Cleanup(as.Close)
	return rep.URL, as.URL, agg
}

func writeStory(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "story.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func lemmyPosts(d *replica.Dataset) []string {
	var out []string
	for _, it := range d.Items(reaction.Lemmy) {
		if it.Thread == "" {
			out = append(out, it.Native)
		}
	}
	return out
}

func TestCrawlCommand(t *testing.T) {
	if _, ok := replica.Platforms()[reaction.Lemmy]; !ok {
		t.Fatal("the lemmy replica is not registered")
	}
	rep, aggURL, agg := crawlEnv(t)
	posts := lemmyPosts(replica.TestDataset())
	storyFile := writeStory(t, fmt.Sprintf(`id: cmd-test
subject: [Chrissy Teigen]
sources:
  - platform: lemmy
    base_url: %s/lemmy
    rate: 1000/1s
    posts: [%s]
`, rep, strings.Join(posts, ", ")))

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"crawl", "--story", storyFile, "--aggregator", aggURL, "--contact", "me@example.org"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "SOURCE") || !strings.Contains(stdout.String(), " ok ") {
		t.Errorf("no summary table:\n%s", &stdout)
	}
	agg.mu.Lock()
	n := len(agg.stored)
	agg.mu.Unlock()
	if n == 0 {
		t.Fatal("nothing reached the aggregator")
	}

	// Again: nothing new, still exit 0.
	stdout.Reset()
	if code := run(context.Background(), []string{"crawl", "--story", storyFile, "--aggregator", aggURL}, &stdout, &stderr); code != 0 {
		t.Fatalf("re-run exit %d: %s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), "Nothing new") {
		t.Errorf("re-run summary:\n%s", &stdout)
	}
}

func TestCrawlCommandFailures(t *testing.T) {
	rep, aggURL, _ := crawlEnv(t)
	tests := []struct {
		name, story string
		args        []string
		wantCode    int
		wantErr     string
	}{
		{"refused platform", "id: s\nsubject: [X]\nsources:\n  - platform: twitter\n", nil, 1, "sources[0].platform: X (Twitter) cannot be crawled publicly"},
		{"bad field", "id: s\nsubject: [X]\nsources:\n  - platform: lemmy\n    base_url: ftp://x\n    posts: [1]\n", nil, 1, `sources[0].base_url: "ftp://x" is not an http(s) URL`},
		{"once and follow", "", []string{"--once", "--follow"}, 2, "exclude each other"},
		{"no story", "", []string{}, 2, "--story FILE is required"},
		{"nothing found is not ok", fmt.Sprintf("id: s\nsubject: [X]\nsources:\n  - platform: lemmy\n    base_url: %s/lemmy\n    rate: 1000/1s\n    posts: [424242]\n", rep), nil, 1, "1 of 1 sources did not finish ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"crawl", "--aggregator", aggURL}
			if tc.story != "" {
				args = append(args, "--story", writeStory(t, tc.story))
			}
			if tc.args != nil {
				args = append(args, tc.args...)
				if tc.name != "no story" {
					args = append(args, "--story", writeStory(t, "id: s\n"))
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			if code != tc.wantCode || !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d containing %q", code, &stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestCrawlCommandInterrupted(t *testing.T) {
	rep, aggURL, agg := crawlEnv(t)
	posts := lemmyPosts(replica.TestDataset())
	// A slow platform (one request per second) so that the interrupt lands mid-crawl.
	storyFile := writeStory(t, fmt.Sprintf("id: s\nsubject: [X]\nsources:\n  - platform: lemmy\n    base_url: %s/lemmy\n    rate: 1/1s\n    posts: [%s]\n", rep, strings.Join(posts, ", ")))
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"crawl", "--story", storyFile, "--aggregator", aggURL}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "interrupted; everything fetched so far was kept") {
		t.Fatalf("exit %d, stderr:\n%s", code, &stderr)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v to stop", d)
	}
	agg.mu.Lock()
	defer agg.mu.Unlock()
	if last := agg.runs[len(agg.runs)-1]; last.Status != reaction.RunStopped {
		t.Errorf("last recorded run %+v", last)
	}
}
