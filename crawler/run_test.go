package crawler

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// fakePlatform is a paged JSON API: GET /items?after=K returns up to
// pageSize items with ids above K and "more" when there are further items.
type fakePlatform struct {
	mu       sync.Mutex
	likes    []int64 // likes[i] is item i+1
	pageSize int
	pages    atomic.Int64
	// onPage, when set, runs after page n was written.
	onPage func(n int64)
	status int // when set, every answer has this status
	srv    *httptest.Server
}

func newFakePlatform(t *testing.T, n, pageSize int) *fakePlatform {
	f := &fakePlatform{pageSize: pageSize}
	f.add(n)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePlatform) add(n int) {
	f.mu.Lock()
	for i := 0; i < n; i++ {
		f.likes = append(f.likes, int64(len(f.likes)%7))
	}
	f.mu.Unlock()
}

func (f *fakePlatform) setLikes(id int, likes int64) {
	f.mu.Lock()
	f.likes[id-1] = likes
	f.mu.Unlock()
}

type fakeItem struct {
	ID    int   `json:"id"`
	Likes int64 `json:"likes"`
}

func (f *fakePlatform) serve(w http.ResponseWriter, r *http.Request) {
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	f.mu.Lock()
	var page struct {
		Items []fakeItem `json:"items"`
		More  bool       `json:"more"`
	}
	page.Items = []fakeItem{}
	for id := after + 1; id <= len(f.likes) && len(page.Items) < f.pageSize; id++ {
		page.Items = append(page.Items, fakeItem{id, f.likes[id-1]})
	}
	page.More = after+len(page.Items) < len(f.likes)
	f.mu.Unlock()
	json.NewEncoder(w).Encode(page)
	n := f.pages.Add(1)
	if f.onPage != nil {
		f.onPage(n)
	}
}

// expectedIDs is the ground truth: every item's reaction id.
func (f *fakePlatform) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.likes)
}

// fakeAdapter reads the fake platform with a cursor, like the real adapters.
type fakeAdapter struct {
	emitted atomic.Int64 // Emit calls made (each one handed a reaction over)
	invalid int          // id to emit with no created_at
	sideBad int          // id to emit with bad side fields (lang, replies, url, parent)
}

func (a *fakeAdapter) Collect(ctx context.Context, env *source.Env) error {
	after := env.State.Get("after")
	for {
		resp, err := env.Fetch.Get(ctx, env.Source.BaseURL+"/items?after="+after, nil)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, source.ErrBlocked) {
				env.Stats.Blocked("items", err)
				return err
			}
			env.Stats.Error("http", err)
			return err
		}
		var page struct {
			Items []fakeItem `json:"items"`
			More  bool       `json:"more"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			env.Stats.Error("parse", err)
			return err
		}
		env.Stats.Page()
		for _, it := range page.Items {
			native := strconv.Itoa(it.ID)
			r := reaction.Reaction{
				Platform: reaction.Lemmy, ID: reaction.MakeID(reaction.Lemmy, native),
				URL:       env.Source.BaseURL + "/comment/" + native,
				CreatedAt: time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(it.ID) * time.Minute),
				Author:    env.Authors.Author(reaction.Lemmy, "user"+native),
				Text:      "reaction " + native, Likes: it.Likes,
			}
			if it.ID == a.invalid {
				r.CreatedAt = time.Time{}
			}
			if it.ID == a.sideBad {
				r.Lang, r.Replies, r.URL, r.ParentID = "not a language", -2, "comment/"+native, native
			}
			a.emitted.Add(1)
			if err := env.Emit(r); err != nil {
				return err
			}
			after = native
		}
		if len(page.Items) > 0 {
			env.State.Set("after", after)
		}
		if !page.More {
			return nil
		}
	}
}

// memSink is an in-memory aggregator.
type memSink struct {
	mu       sync.Mutex
	stored   map[string]reaction.Reaction
	received int // reactions received over all Sends (duplicates included)
	sends    int
	runs     []reaction.CrawlRun
	stories  int
	reject   func(reaction.Reaction) bool
	fail     error // Send fails with it when set
}

func newMemSink() *memSink { return &memSink{stored: map[string]reaction.Reaction{}} }

func (s *memSink) PutStory(ctx context.Context, st *story.Story) error {
	s.mu.Lock()
	s.stories++
	s.mu.Unlock()
	return nil
}

func (s *memSink) Send(ctx context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return reaction.IngestResult{}, s.fail
	}
	s.sends++
	var res reaction.IngestResult
	for i, r := range rs {
		s.received++
		if s.reject != nil && s.reject(r) {
			res.Rejected = append(res.Rejected, reaction.Rejection{Line: i + 1, Error: "text: not allowed"})
			continue
		}
		s.stored[r.ID] = r
		res.Accepted++
	}
	return res, nil
}

func (s *memSink) PutCrawlRun(ctx context.Context, run reaction.CrawlRun) error {
	s.mu.Lock()
	s.runs = append(s.runs, run)
	s.mu.Unlock()
	return nil
}

func (s *memSink) snapshot() (stored, received int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stored), s.received
}

func fakeStory(t *testing.T, base string) *story.Story {
	t.Helper()
	st, err := story.Parse([]byte(fmt.Sprintf("id: fake-story\nsubject: [X]\npoll: 100ms\nsources:\n  - platform: lemmy\n    base_url: %s\n    posts: [1]\n", base)))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func runConfig(t *testing.T, a source.Adapter) Config {
	cfg := testConfig(t)
	cfg.BatchSize = 7
	cfg.BatchWait = 20 * time.Millisecond
	cfg.lookup = func(p reaction.Platform) (source.Adapter, bool) {
		if p == reaction.Lemmy {
			return a, true
		}
		return nil, false
	}
	return cfg
}

func checkGroundTruth(t *testing.T, s *memSink, f *fakePlatform) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.stored) != f.count() {
		t.Fatalf("sink holds %d reactions, ground truth has %d", len(s.stored), f.count())
	}
	for id := 1; id <= f.count(); id++ {
		r, ok := s.stored[reaction.MakeID(reaction.Lemmy, strconv.Itoa(id))]
		if !ok || r.Story != "fake-story" || r.FirstSeen.IsZero() || r.Text != "reaction "+strconv.Itoa(id) {
			t.Fatalf("item %d: %+v", id, r)
		}
	}
}

func TestRunOnceAndRerunAddsZero(t *testing.T) {
	f := newFakePlatform(t, 45, 10)
	a := &fakeAdapter{}
	cfg := runConfig(t, a)
	sink := newMemSink()
	st := fakeStory(t, f.srv.URL)

	runs, err := Run(context.Background(), cfg, st, sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	checkGroundTruth(t, sink, f)
	r := runs[0]
	if r.Status != reaction.RunOK || r.Items != 45 || r.NewItems != 45 || r.Pages != 5 || r.Requests != 5 || r.Errors != 0 {
		t.Fatalf("first run: %+v", r)
	}
	if len(sink.runs) != 2 || sink.runs[0].Status != reaction.RunRunning || sink.runs[1].Status != reaction.RunOK {
		t.Errorf("crawl runs recorded: %+v", sink.runs)
	}

	// A finished crawl re-run sends nothing.
	_, before := sink.snapshot()
	runs, err = Run(context.Background(), cfg, st, sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	if _, after := sink.snapshot(); after != before {
		t.Errorf("re-run sent %d reactions, want 0", after-before)
	}
	if r := runs[0]; r.Status != reaction.RunOK || r.NewItems != 0 || !strings.Contains(r.Message, "Nothing new") {
		t.Errorf("re-run: %+v", r)
	}
	if !AllOK(runs) {
		t.Error("AllOK false for a quiet re-run")
	}

	// Even without cursors, the sent log alone keeps a re-run from sending.
	os.Remove(filepath.Join(cfg.StateDir, "crawl", st.ID, cursorsName))
	runs, _ = Run(context.Background(), cfg, st, sink, Once)
	if _, after := sink.snapshot(); after != before || runs[0].Items != 45 || runs[0].NewItems != 0 {
		t.Errorf("re-run without cursors sent %d: %+v", after-before, runs[0])
	}

	// A changed reaction is sent again, keeping its first-seen time.
	first := sink.stored["lemmy:3"].FirstSeen
	f.setLikes(3, 99)
	os.Remove(filepath.Join(cfg.StateDir, "crawl", st.ID, cursorsName))
	cfg.Now = func() time.Time { return time.Now().Add(time.Hour) }
	runs, _ = Run(context.Background(), cfg, st, sink, Once)
	if runs[0].NewItems != 1 || sink.stored["lemmy:3"].Likes != 99 || !sink.stored["lemmy:3"].FirstSeen.Equal(first) {
		t.Errorf("changed reaction: %+v, stored %+v (first seen %v)", runs[0], sink.stored["lemmy:3"], first)
	}
}

func TestKilledAndRestartedCrawlEndsWithGroundTruth(t *testing.T) {
	f := newFakePlatform(t, 100, 10)
	a := &fakeAdapter{}
	cfg := runConfig(t, a)
	sink := newMemSink()
	st := fakeStory(t, f.srv.URL)

	ctx, kill := context.WithCancel(context.Background())
	f.onPage = func(n int64) {
		if n == 4 {
			kill()
		}
	}
	runs, err := Run(ctx, cfg, st, sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := sink.snapshot()
	if runs[0].Status != reaction.RunStopped || stored == 0 || stored >= 100 {
		t.Fatalf("killed run: %+v (stored %d)", runs[0], stored)
	}
	if AllOK(runs) {
		t.Error("an interrupted run counts as ok")
	}

	f.onPage = nil
	pagesBefore := f.pages.Load()
	runs, err = Run(context.Background(), cfg, st, sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	checkGroundTruth(t, sink, f)
	if _, received := sink.snapshot(); received != 100 {
		t.Errorf("sink received %d reactions over both runs, want exactly 100 (nothing re-sent)", received)
	}
	// It resumed: it did not start again from the first page.
	if again := f.pages.Load() - pagesBefore; again > 7 {
		t.Errorf("restart fetched %d pages, want it to resume near page 4 of 10", again)
	}
	if runs[0].Status != reaction.RunOK {
		t.Errorf("restart: %+v", runs[0])
	}
}

func TestCtrlCLosesNothingFetched(t *testing.T) {
	f := newFakePlatform(t, 60, 10)
	a := &fakeAdapter{}
	cfg := runConfig(t, a)
	cfg.BatchSize = 1000
	cfg.BatchWait = time.Hour // everything is still buffered at Ctrl-C
	sink := newMemSink()
	ctx, cancel := context.WithCancel(context.Background())
	f.onPage = func(n int64) {
		if n == 3 {
			cancel()
		}
	}
	start := time.Now()
	runs, err := Run(ctx, cfg, fakeStory(t, f.srv.URL), sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Ctrl-C took %v to stop", d)
	}
	stored, _ := sink.snapshot()
	if emitted := a.emitted.Load(); emitted < 20 || int64(stored) != emitted {
		t.Fatalf("adapter handed over %d reactions, sink holds %d", emitted, stored)
	}
	last := sink.runs[len(sink.runs)-1]
	if runs[0].Status != reaction.RunStopped || last.Status != reaction.RunStopped || !strings.Contains(last.Message, "everything fetched was kept") {
		t.Errorf("run %+v, recorded %+v", runs[0], last)
	}
}

func TestFollowPicksUpNewReactions(t *testing.T) {
	f := newFakePlatform(t, 20, 10)
	a := &fakeAdapter{}
	cfg := runConfig(t, a)
	sink := newMemSink()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var polls atomic.Int64
	cfg.OnPoll = func(runs []reaction.CrawlRun) {
		if polls.Add(1) == 1 {
			f.add(15) // the platform gets new reactions after the first poll
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := Run(ctx, cfg, fakeStory(t, f.srv.URL), sink, Follow); err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := sink.snapshot(); n == 35 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for polls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	checkGroundTruth(t, sink, f)
	if _, received := sink.snapshot(); received != 35 {
		t.Errorf("received %d, want each of the 35 once", received)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	var finished int
	for _, r := range sink.runs {
		if r.Status != reaction.RunRunning {
			finished++
		}
	}
	if finished < 3 {
		t.Errorf("%d finished runs recorded, want one per poll (>= 3)", finished)
	}
}

// aggregator is an httptest ingest API for HTTPSink tests.
type aggregator struct {
	mu       sync.Mutex
	failures int // answer 503 to this many reaction POSTs first
	status   int // when set, answer reaction POSTs with it
	stored   map[string]reaction.Reaction
	posts    int
	auth     []string
	stories  []string
	runs     []reaction.CrawlRun
	srv      *httptest.Server
}

func newAggregator(t *testing.T) *aggregator {
	a := &aggregator{stored: map[string]reaction.Reaction{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *aggregator) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.auth = append(a.auth, r.Header.Get("Authorization"))
	switch {
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v1/stories/"):
		b, _ := io.ReadAll(r.Body)
		if _, err := story.Parse(b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		a.stories = append(a.stories, strings.TrimPrefix(r.URL.Path, "/api/v1/stories/"))
	case r.Method == http.MethodPut && r.URL.Path == "/api/v1/crawls":
		var run reaction.CrawlRun
		if err := json.NewDecoder(r.Body).Decode(&run); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		a.runs = append(a.runs, run)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/reactions":
		a.posts++
		if a.failures > 0 {
			a.failures--
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			return
		}
		if a.status != 0 {
			http.Error(w, `{"error":"story not registered"}`, a.status)
			return
		}
		if r.Header.Get("Content-Type") != "application/x-ndjson" || r.Header.Get("Content-Encoding") != "gzip" {
			http.Error(w, "want gzip NDJSON", http.StatusUnsupportedMediaType)
			return
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var res reaction.IngestResult
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			var rr reaction.Reaction
			if err := json.Unmarshal(sc.Bytes(), &rr); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			a.stored[rr.ID] = rr
			res.Accepted++
		}
		json.NewEncoder(w).Encode(res)
	default:
		http.NotFound(w, r)
	}
}

func TestHTTPSinkRetriedUntilAcknowledged(t *testing.T) {
	f := newFakePlatform(t, 30, 10)
	agg := newAggregator(t)
	agg.failures = 3
	a := &fakeAdapter{}
	cfg := runConfig(t, a)
	sink := NewHTTPSink(agg.srv.URL+"/", "s3cret")
	sink.RetryInitial = 10 * time.Millisecond
	runs, err := Run(context.Background(), cfg, fakeStory(t, f.srv.URL), sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	agg.mu.Lock()
	defer agg.mu.Unlock()
	if len(agg.stored) != 30 || runs[0].Status != reaction.RunOK {
		t.Fatalf("aggregator stored %d of 30; run %+v", len(agg.stored), runs[0])
	}
	if len(agg.stories) != 1 || agg.stories[0] != "fake-story" || len(agg.runs) != 2 || agg.runs[1].Items != 30 {
		t.Errorf("stories %v, runs %+v", agg.stories, agg.runs)
	}
	for _, h := range agg.auth {
		if h != "Bearer s3cret" {
			t.Fatalf("Authorization %q", h)
		}
	}
}

func TestHTTPSinkPermanentErrorKeepsDataForNextRun(t *testing.T) {
	f := newFakePlatform(t, 20, 10)
	agg := newAggregator(t)
	agg.status = 400
	a := &fakeAdapter{}
	cfg := runConfig(t, a)
	st := fakeStory(t, f.srv.URL)
	runs, err := Run(context.Background(), cfg, st, NewHTTPSink(agg.srv.URL, ""), Once)
	if err != nil {
		t.Fatal(err)
	}
	r := runs[0]
	if r.Status != reaction.RunWarning || r.ErrorKinds["sink"] == 0 || r.NewItems != 0 {
		t.Fatalf("run with a refusing aggregator: %+v", r)
	}
	// The error names the status and the body.
	sink := NewHTTPSink(agg.srv.URL, "")
	_, err = sink.Send(context.Background(), []reaction.Reaction{{ID: "lemmy:1"}})
	if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), "story not registered") {
		t.Errorf("permanent error %v", err)
	}

	agg.mu.Lock()
	agg.status = 0
	agg.mu.Unlock()
	runs, _ = Run(context.Background(), cfg, st, NewHTTPSink(agg.srv.URL, ""), Once)
	agg.mu.Lock()
	defer agg.mu.Unlock()
	if len(agg.stored) != 20 || runs[0].Status != reaction.RunOK {
		t.Errorf("next run: stored %d, %+v", len(agg.stored), runs[0])
	}
}

func TestRejectedAndInvalidReactionsAreCounted(t *testing.T) {
	f := newFakePlatform(t, 20, 10)
	a := &fakeAdapter{invalid: 5}
	cfg := runConfig(t, a)
	sink := newMemSink()
	sink.reject = func(r reaction.Reaction) bool { return r.ID == "lemmy:7" }
	runs, err := Run(context.Background(), cfg, fakeStory(t, f.srv.URL), sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	r := runs[0]
	if r.Status != reaction.RunWarning || r.ErrorKinds["invalid"] != 1 || r.ErrorKinds["rejected"] != 1 || r.Errors != 2 ||
		r.Items != 19 || r.NewItems != 18 || len(sink.stored) != 18 {
		t.Fatalf("run %+v, stored %d", r, len(sink.stored))
	}
}

// TestBadSideFieldKeepsTheReaction: a reaction whose side fields are bad
// is repaired, sent and stored; the run counts the repairs by field, says
// so in its message, and stays ok; the metric counts them too.
func TestBadSideFieldKeepsTheReaction(t *testing.T) {
	f := newFakePlatform(t, 20, 10)
	f.setLikes(3, -40) // a downvoted comment: a score, not a bad field
	cfg := runConfig(t, &fakeAdapter{sideBad: 5})
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	sink := newMemSink()
	runs, err := Run(context.Background(), cfg, fakeStory(t, f.srv.URL), sink, Once)
	if err != nil {
		t.Fatal(err)
	}
	r := runs[0]
	want := map[string]int64{"lang": 1, "replies": 1, "url": 1, "parent_id": 1}
	if r.Status != reaction.RunOK || r.Errors != 0 || r.Items != 20 || !maps.Equal(r.Repaired, want) ||
		!strings.Contains(r.Message, "4 side fields were") {
		t.Fatalf("run %+v, want ok, 20 items and repaired %v", r, want)
	}
	sink.mu.Lock()
	got, bad := sink.stored["lemmy:5"], sink.stored["lemmy:3"]
	n := len(sink.stored)
	sink.mu.Unlock()
	if n != 20 || got.Lang != "" || got.Replies != 0 || got.URL != "" || got.ParentID != "" || got.Text != "reaction 5" {
		t.Errorf("stored %d reactions; the repaired one is %+v", n, got)
	}
	if bad.Likes != -40 {
		t.Errorf("a negative score was stored as %d", bad.Likes)
	}
	m := newMetrics(reg)
	for field, want := range map[string]float64{"lang": 1, "url": 1, "text": 0} {
		if v := testutil.ToFloat64(m.repaired.WithLabelValues("lemmy", field)); v != want {
			t.Errorf("reactions_crawler_repaired_total{field=%q} = %v, want %v", field, v, want)
		}
	}
}

func TestZeroItemsBlockedAndMissingAdapter(t *testing.T) {
	t.Run("zero items warn", func(t *testing.T) {
		f := newFakePlatform(t, 0, 10)
		runs, _ := Run(context.Background(), runConfig(t, &fakeAdapter{}), fakeStory(t, f.srv.URL), newMemSink(), Once)
		if r := runs[0]; r.Status != reaction.RunWarning || !strings.Contains(r.Message, "Found no reactions") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("403 is blocked", func(t *testing.T) {
		f := newFakePlatform(t, 10, 10)
		f.status = 403
		runs, _ := Run(context.Background(), runConfig(t, &fakeAdapter{}), fakeStory(t, f.srv.URL), newMemSink(), Once)
		if r := runs[0]; r.Status != reaction.RunBlocked || r.Blocked != 1 || r.Requests != 1 || !strings.Contains(r.Message, "refused access") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("5xx after retries fails", func(t *testing.T) {
		f := newFakePlatform(t, 10, 10)
		f.status = 500
		cfg := runConfig(t, &fakeAdapter{})
		cfg.MaxRetries = 2
		runs, _ := Run(context.Background(), cfg, fakeStory(t, f.srv.URL), newMemSink(), Once)
		if r := runs[0]; r.Status != reaction.RunFailed || r.Requests != 3 || r.ErrorKinds["http"] != 1 || !strings.HasPrefix(r.Message, "Stopped mid-way") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("no adapter", func(t *testing.T) {
		cfg := runConfig(t, nil)
		cfg.lookup = func(reaction.Platform) (source.Adapter, bool) { return nil, false }
		runs, _ := Run(context.Background(), cfg, fakeStory(t, "http://127.0.0.1:1"), newMemSink(), Once)
		if r := runs[0]; r.Status != reaction.RunFailed || !strings.Contains(r.Message, "No lemmy adapter") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("adapter panic", func(t *testing.T) {
		cfg := runConfig(t, panicAdapter{})
		runs, _ := Run(context.Background(), cfg, fakeStory(t, "http://127.0.0.1:1"), newMemSink(), Once)
		if r := runs[0]; r.Status != reaction.RunFailed || !strings.Contains(r.Message, "crashed") {
			t.Errorf("%+v", r)
		}
	})
}

type panicAdapter struct{}

func (panicAdapter) Collect(context.Context, *source.Env) error { panic("boom") }

func TestSecondCrawlOfAStoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := openState(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := openState(dir, "x"); err == nil || !strings.Contains(err.Error(), "another crawl") {
		t.Fatalf("second open: %v", err)
	}
}

func TestSentLogSurvivesTornWrite(t *testing.T) {
	dir := t.TempDir()
	sd := filepath.Join(dir, "crawl", "x")
	os.MkdirAll(sd, 0o700)
	log := "lemmy\tlemmy:1\t00000000000000aa\t1600000000\nlemmy\tlemmy:2\t00000000000000bb\t1600000000\nlemmy\tlemmy:3\t00000000"
	os.WriteFile(filepath.Join(sd, sentLogName), []byte(log), 0o600)
	s, err := openState(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.sent) != 2 || s.collectedBefore("lemmy") != 2 {
		t.Fatalf("loaded %d entries", len(s.sent))
	}
	r := reaction.Reaction{ID: "lemmy:3"}
	if err := s.acknowledged([]pendingItem{{r: r, source: "lemmy", entry: sentEntry{digest: 0xcc, firstSeen: 1}}}); err != nil {
		t.Fatal(err)
	}
	s.close()
	b, _ := os.ReadFile(filepath.Join(sd, sentLogName))
	if !bytes.HasSuffix(b, []byte("bb\t1600000000\nlemmy\tlemmy:3\t00000000000000cc\t1\n")) {
		t.Errorf("log after repair and append:\n%s", b)
	}
}

func TestSentLogCompaction(t *testing.T) {
	dir := t.TempDir()
	sd := filepath.Join(dir, "crawl", "x")
	os.MkdirAll(sd, 0o700)
	var buf bytes.Buffer
	for v := 0; v < 4; v++ { // four versions of 5,000 reactions
		for i := 0; i < 5000; i++ {
			fmt.Fprintf(&buf, "web\tweb:%d\t%016x\t%d\n", i, v, 1600000000)
		}
	}
	os.WriteFile(filepath.Join(sd, sentLogName), buf.Bytes(), 0o600)
	s, err := openState(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.logLines != 5000 || len(s.sent) != 5000 || s.sent[idKey("web:9")].digest != 3 {
		t.Fatalf("after compaction: %d lines, %d entries", s.logLines, len(s.sent))
	}
	b, _ := os.ReadFile(filepath.Join(sd, sentLogName))
	if n := bytes.Count(b, []byte("\n")); n != 5000 {
		t.Errorf("compacted log has %d lines", n)
	}
}

// TestSentMapMemory: 100,000 remembered reactions must stay within a few MB.
func TestSentMapMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := map[uint64]sentEntry{}
	for i := 0; i < 100_000; i++ {
		m[idKey("reddit:t1_"+strconv.Itoa(i))] = sentEntry{digest: uint64(i), firstSeen: uint32(i)}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	mb := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	t.Logf("100,000 sent entries: %.1f MB", mb)
	if mb > 8 {
		t.Errorf("100,000 sent entries take %.1f MB, want a few", mb)
	}
	runtime.KeepAlive(m)
}

func TestMetricsLint(t *testing.T) {
	f := newFakePlatform(t, 12, 10)
	cfg := runConfig(t, &fakeAdapter{})
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	if _, err := Run(context.Background(), cfg, fakeStory(t, f.srv.URL), newMemSink(), Once); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for name, want := range map[string]int{
		"reactions_crawler_requests_total": 1, "reactions_crawler_request_duration_seconds": 1,
		"reactions_crawler_reactions_total": 1, "reactions_crawler_in_flight": 1,
		"reactions_crawler_last_run_items": 1, "reactions_crawler_last_run_status": 1,
	} {
		if got, _ := testutil.GatherAndCount(reg, name); got != want {
			t.Errorf("%s: %d series, want %d", name, got, want)
		}
	}
	if got := testutil.ToFloat64(newMetrics(reg).reactions.WithLabelValues("lemmy")); got != 12 {
		t.Errorf("reactions_total = %v, want 12", got)
	}
	// Labels carry no URLs or ids.
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "/") || strings.Contains(l.GetValue(), ":") {
					t.Errorf("%s label %s=%q looks like a URL or id", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestWriteSummary(t *testing.T) {
	var buf bytes.Buffer
	WriteSummary(&buf, []reaction.CrawlRun{
		{Source: "reddit", Platform: reaction.Reddit, Requests: 12, Pages: 10, Items: 340, NewItems: 340, Status: reaction.RunOK, Message: "Collected 340 reactions."},
		{Source: "bluesky", Platform: reaction.Bluesky, Requests: 1, Blocked: 1, Status: reaction.RunBlocked, Message: "bluesky refused access."},
	})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SOURCE") || !strings.Contains(lines[2], "blocked") {
		t.Errorf("summary:\n%s", buf.String())
	}
}
