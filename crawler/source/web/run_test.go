package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// memSink keeps what the crawler sends.
type memSink struct {
	mu        sync.Mutex
	reactions []reaction.Reaction
	runs      []reaction.CrawlRun
}

func (s *memSink) PutStory(context.Context, *story.Story) error { return nil }

func (s *memSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reactions = append(s.reactions, rs...)
	return reaction.IngestResult{Accepted: len(rs)}, nil
}

func (s *memSink) PutCrawlRun(_ context.Context, r reaction.CrawlRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, r)
	return nil
}

// crawlConfig is the real crawler's configuration with the rate limit lifted
// for the loopback replica.
func crawlConfig(t testing.TB) crawler.Config {
	return crawler.Config{
		StateDir:   t.TempDir(),
		Authors:    newAuthors(t),
		UserAgent:  "reactions-test/1 (+https://example.org/contact)",
		Rates:      map[reaction.Platform]string{reaction.Web: crawler.Unlimited},
		Registerer: prometheus.NewRegistry(),
		Log:        slog.New(slog.DiscardHandler),
		MaxRetries: -1,
	}
}

// TestCrawlerRunReplica crawls the web replica through the real crawler
// (its polite Colly fetcher, Emit, state and completeness record) and
// compares what reaches the sink with the replica's Expect.
func TestCrawlerRunReplica(t *testing.T) {
	d := replica.NewDataset(replica.Platforms()[reaction.Web].Fixture()...)
	srv := replica.New(d, replica.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var paths []string
	for _, th := range webThreads(d) {
		paths = append(paths, "/web/"+th+"/")
	}
	paths = append(paths, "/web/private/2020/10/01/draft/", "/web/js/disqus/")
	src := replicaSource(ts.URL, paths...)
	st := &story.Story{ID: "chrissy-teigen-jack", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{*src}}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runs, err := crawler.Run(ctx, crawlConfig(t), st, sink, crawler.Once)
	if err != nil {
		t.Fatal(err)
	}
	compareWithExpect(t, ts.URL, d, sink.reactions)
	if len(runs) != 1 {
		t.Fatalf("runs = %+v", runs)
	}
	r := runs[0]
	if r.Status != reaction.RunWarning || r.ErrorKinds["robots"] != 1 || r.ErrorKinds["js_only"] != 1 || r.ErrorKinds["no_time"] != 2 {
		t.Errorf("run = status %s, kinds %v, message %q; want a warning with robots 1, js_only 1, no_time 2", r.Status, r.ErrorKinds, r.Message)
	}
	if r.Items != int64(len(d.Items(reaction.Web))) {
		t.Errorf("run items = %d, want %d", r.Items, len(d.Items(reaction.Web)))
	}
	for _, q := range srv.Requests() {
		if strings.HasPrefix(q.Path, "/web/private/") {
			t.Errorf("disallowed page requested: %s", q.Path)
		}
		if !strings.HasPrefix(q.UserAgent, "reactions-test/1") {
			t.Errorf("request %s sent User-Agent %q", q.Path, q.UserAgent)
		}
	}
}
