package aggregator_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

const storyID = "teigen-loss"

func testStory(t testing.TB) *story.Story {
	t.Helper()
	s, err := story.Load("testdata/story.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t     testing.TB
	st    *store.Store
	agg   *aggregator.Aggregator
	srv   *httptest.Server
	reg   *prometheus.Registry
	logs  *syncBuffer
	state string
}

// start runs an aggregator on st behind a real HTTP server, with its own
// registry and a debug log captured in h.logs; mut adjusts the config.
func start(t testing.TB, st *store.Store, mut func(*aggregator.Config)) *harness {
	t.Helper()
	h := &harness{t: t, st: st, reg: prometheus.NewRegistry(), logs: &syncBuffer{}, state: t.TempDir()}
	cfg := aggregator.Config{
		StateDir: h.state, Registerer: h.reg,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mut != nil {
		mut(&cfg)
	}
	ctx := context.Background()
	a, err := aggregator.New(ctx, cfg, st)
	if err != nil {
		t.Fatalf("new aggregator: %v", err)
	}
	h.agg = a
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	h.srv = httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		h.srv.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Close(cctx); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-runDone; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return h
}

func (h *harness) putStory(s *story.Story) {
	h.t.Helper()
	b, _ := json.Marshal(s)
	code, body := h.do(http.MethodPut, "/api/v1/stories/"+s.ID, "application/json", "", b)
	if code != http.StatusOK {
		h.t.Fatalf("PUT story: %d %s", code, body)
	}
}

func (h *harness) do(method, path, contentType, encoding string, body []byte) (int, []byte) {
	h.t.Helper()
	return doHTTP(h.t, h.srv.URL, "", method, path, contentType, encoding, body)
}

func doHTTP(t testing.TB, base, token, method, path, contentType, encoding string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// send posts reactions as gzip NDJSON and returns the answer.
func (h *harness) send(rs []reaction.Reaction) reaction.IngestResult {
	h.t.Helper()
	code, body := h.do(http.MethodPost, "/api/v1/reactions", "application/x-ndjson", "gzip", gzipNDJSON(h.t, rs))
	if code != http.StatusOK {
		h.t.Fatalf("POST reactions: %d %s", code, body)
	}
	var res reaction.IngestResult
	if err := json.Unmarshal(body, &res); err != nil {
		h.t.Fatalf("answer %s: %v", body, err)
	}
	return res
}

func ndjson(t testing.TB, rs []reaction.Reaction) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func gzipNDJSON(t testing.TB, rs []reaction.Reaction) []byte { return gzipBytes(ndjson(t, rs)) }

var texts = []string{
	"I'm so so sorry for your loss, sending love to Chrissy and John",
	"so brave to share this with 30 million followers 🙄",
	"John Legend and Chrissy Teigen announce the loss of their baby son Jack",
	"the people hating on her right now are vile, leave her alone",
	"Posting pictures of this for clout is disgusting. Attention seeking again.",
	"Lo siento mucho, Chrissy. Mucha fuerza para ti y tu familia ❤️",
	"Reports say the couple was expecting their third child this year",
}

var pseudo = func() *reaction.Pseudonymizer {
	p, err := reaction.NewPseudonymizer([]byte("test-secret-0123456789abcdef"), false)
	if err != nil {
		panic(err)
	}
	return p
}()

// makeReactions returns n distinct reactions of the test story, as a
// crawler sends them (pseudonymised, unlabelled).
func makeReactions(n int) []reaction.Reaction {
	t0 := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	ps := []reaction.Platform{reaction.Reddit, reaction.HackerNews}
	rs := make([]reaction.Reaction, n)
	for i := range rs {
		p := ps[i%2]
		native := fmt.Sprintf("c%07d", i)
		if p == reaction.HackerNews {
			native = fmt.Sprint(30000000 + i)
		}
		r := reaction.Reaction{
			Story: storyID, Platform: p, ID: reaction.MakeID(p, native),
			CreatedAt: t0.Add(time.Duration(i) * 7 * time.Second), FirstSeen: t0.Add(48 * time.Hour),
			Author: pseudo.Author(p, fmt.Sprintf("user%d", i%5000)),
			Text:   fmt.Sprintf("%s (#%d)", texts[i%len(texts)], i), Lang: "en", Likes: int64(i % 17),
		}
		if p == reaction.Reddit {
			r.ParentID, r.RootID = "reddit:t3_j2rm5q", "reddit:t3_j2rm5q"
			r.URL = "https://www.reddit.com/r/entertainment/comments/j2rm5q/_/" + native
		} else {
			r.ParentID, r.RootID = "hackernews:24651234", "hackernews:24651234"
			r.URL = "https://news.ycombinator.com/item?id=" + native
		}
		rs[i] = r
	}
	return rs
}

// counts is the story's number of current reactions as every reader sees
// it: items (current state by id), the same in reactions_by_time, the
// per-minute table, store.Counts, and reactions_total in /metrics.
type counts struct {
	items, byTime, minutes, storeCounts, metric int64
}

func countAll(t testing.TB, st *store.Store, metricsURL string) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	var items uint64
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions WHERE story = ?
GROUP BY id HAVING sum(sign) > 0)`, storyID).Scan(&items); err != nil {
		t.Fatal(err)
	}
	c.items = int64(items)
	if err := st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions_by_time WHERE story = ?
GROUP BY id HAVING sum(sign) > 0)`, storyID).Scan(&items); err != nil {
		t.Fatal(err)
	}
	c.byTime = int64(items)
	if err := st.Conn().QueryRow(ctx, "SELECT sum(n) FROM reaction_minutes WHERE story = ?", storyID).Scan(&c.minutes); err != nil {
		t.Fatal(err)
	}
	m, err := st.Counts(ctx, storyID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, byStance := range m {
		for _, n := range byStance {
			c.storeCounts += n
		}
	}
	c.metric = -1 // not asked
	if metricsURL != "" {
		c.metric = 0
		for _, s := range scrape(t, metricsURL, "reactions_total") {
			if s.labels["story"] == storyID {
				c.metric += int64(s.value)
			}
		}
	}
	return c
}

func (c counts) all(n int64) bool {
	return c.items == n && c.byTime == n && c.minutes == n && c.storeCounts == n && (c.metric == n || c.metric == -1)
}

type sample struct {
	labels map[string]string
	value  float64 // a histogram's sum
	count  uint64  // a histogram's count
}

// scrape fetches url and returns the samples of one metric family.
func scrape(t testing.TB, url, name string) []sample {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	var out []sample
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		s := sample{labels: map[string]string{}}
		for _, l := range m.GetLabel() {
			s.labels[l.GetName()] = l.GetValue()
		}
		switch {
		case m.Gauge != nil:
			s.value = m.GetGauge().GetValue()
		case m.Counter != nil:
			s.value = m.GetCounter().GetValue()
		case m.Untyped != nil:
			s.value = m.GetUntyped().GetValue()
		case m.Histogram != nil:
			s.value, s.count = m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount()
		}
		out = append(out, s)
	}
	return out
}

// metricSum sums a metric family's samples whose labels include want.
func metricSum(t testing.TB, url, name string, want map[string]string) float64 {
	t.Helper()
	var v float64
	for _, s := range scrape(t, url, name) {
		ok := true
		for k, w := range want {
			if s.labels[k] != w {
				ok = false
			}
		}
		if ok {
			v += s.value
		}
	}
	return v
}
