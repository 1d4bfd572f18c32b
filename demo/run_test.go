package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// stubDashboard stands in for the dashboard: these tests are about the
// demo job; the command's test and scripts/demo-check.sh use the real one.
func stubDashboard(context.Context, *store.Store, prometheus.Registerer) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "dashboard\n") }), nil
}

// syncBuffer is an io.Writer safe for the demo's goroutines.
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

type report struct {
	runs []reaction.CrawlRun
	a    *Agreement
}

// runDemo runs the demo until stop says so, and returns the last report.
func runDemo(t *testing.T, cfg Config, limit time.Duration, stop func(report) bool) (report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var out syncBuffer
	var mu sync.Mutex
	var last report
	got := false
	cfg.Listen = "127.0.0.1:0"
	cfg.Stdout = &out
	cfg.Dashboard = stubDashboard
	prevReady := cfg.Ready
	cfg.Ready = func(u string) {
		if prevReady != nil {
			prevReady(u)
		}
	}
	cfg.OnReport = func(runs []reaction.CrawlRun, a *Agreement) {
		mu.Lock()
		defer mu.Unlock()
		last, got = report{runs, a}, true
		if stop(last) {
			cancel()
		}
	}
	err := Run(ctx, cfg)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if !got {
		t.Fatalf("no crawl report within %s:\n%s", limit, out.String())
	}
	return last, out.String()
}

func checkGroundTruth(t *testing.T, a *Agreement) {
	t.Helper()
	if a.Missing != 0 || a.Unmatched != 0 {
		t.Errorf("%d generated reactions not stored, %d stored not generated", a.Missing, a.Unmatched)
	}
	for p, c := range a.PerPlatform {
		if c.Stored != c.Expected || c.Expected == 0 {
			t.Errorf("%s: stored %d, ground truth %d", p, c.Stored, c.Expected)
		}
	}
}

// TestRunOnce runs the demo against a real ClickHouse: every crawled
// platform ends with exactly its ground truth, the stance is the
// classifier's (not the generator's), the agreement is stored with the
// story, /metrics is served, and a second run adds nothing.
func TestRunOnce(t *testing.T) {
	dsn := chtest.DSN(t)
	dir := t.TempDir()
	var dashURL string
	start := time.Now()
	cfg := Config{DSN: dsn, StateDir: dir, Ready: func(u string) { dashURL = u }}
	// How fast the demo is ready is measured by make demo-check (a built
	// binary, no race detector), not here: under -race on a loaded machine
	// this run has taken from 45 s to over 2 minutes.
	r, out := runDemo(t, cfg, 5*time.Minute, func(report) bool { return true })
	elapsed := time.Since(start)
	t.Logf("demo ready in %s:\n%s", elapsed.Round(time.Millisecond), out)
	checkGroundTruth(t, r.a)
	if len(r.a.PerPlatform) < 5 {
		t.Errorf("%d platforms crawled, want at least five", len(r.a.PerPlatform))
	}
	for _, run := range r.runs {
		if run.Status != reaction.RunOK {
			t.Errorf("source %s: %s: %s", run.Source, run.Status, run.Message)
		}
	}
	if r.a.Compared < 2500 {
		t.Errorf("%d reactions compared", r.a.Compared)
	}
	// The labels are the classifier's: some disagree with the generator
	// (were they copied, all would agree), and most agree.
	if r.a.Accuracy >= 0.999 || r.a.Accuracy < 0.4 {
		t.Errorf("agreement %.3f: want the classifier's own labels", r.a.Accuracy)
	}
	for _, want := range []string{"SOURCE", "Stored / ground truth", "Classifier agreement", "Dashboard: http://"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	ctx := context.Background()
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.GetStory(ctx, StoryID)
	if err != nil {
		t.Fatal(err)
	}
	var stored Agreement
	if err := json.Unmarshal([]byte(rec.Story.DemoReport), &stored); err != nil || !rec.Story.Demo {
		t.Fatalf("stored story: demo %v, report %q: %v", rec.Story.Demo, rec.Story.DemoReport, err)
	}
	if stored.Compared != r.a.Compared || stored.Accuracy != r.a.Accuracy {
		t.Errorf("stored report %+v differs from the printed one", stored)
	}
	// The demo ships a coded sample: two coders, a report, corrected days.
	cc := stored.Coding
	if cc == nil || cc.Coded != SampleSize || len(cc.Coders) != 2 || cc.Alpha == nil || cc.MacroF1 <= 0 || cc.Days < 10 || cc.Note != "" {
		t.Fatalf("coding check %+v", cc)
	}
	t.Logf("daily criticism share error: raw %.1f, corrected %.1f points (weighted %.1f, %.1f); %d of %d days covered",
		cc.RawError, cc.CorrectedError, cc.RawErrorWeighted, cc.CorrectedErrorWeighted, cc.Covered, cc.Days)
	if !strings.Contains(out, "Daily criticism share against the generator's truth") {
		t.Error("the output does not state the daily error, raw against corrected")
	}
	codes, err := s.CodingVersion(ctx, StoryID)
	if err != nil || codes.Samples != 1 || codes.Revisions == 0 {
		t.Fatalf("codes %+v %v", codes, err)
	}
	if dashURL == "" {
		t.Fatal("Ready was not called")
	}

	// A second run crawls the same replicas (same port) and adds nothing.
	var metrics string
	cfg.Ready = func(u string) { dashURL = u }
	r2, _ := runDemo(t, cfg, 2*time.Minute, func(report) bool {
		resp, err := http.Get(strings.Split(dashURL, "/?")[0] + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			metrics = string(b)
		}
		return true
	})
	checkGroundTruth(t, r2.a)
	for _, run := range r2.runs {
		if run.NewItems != 0 {
			t.Errorf("second run: source %s sent %d new items", run.Source, run.NewItems)
		}
	}
	if r2.a.Compared != r.a.Compared || r2.a.Agree != r.a.Agree {
		t.Errorf("second run changed the stored reactions: %d/%d, then %d/%d", r.a.Agree, r.a.Compared, r2.a.Agree, r2.a.Compared)
	}
	if again, err := s.CodingVersion(ctx, StoryID); err != nil || again != codes {
		t.Errorf("second run changed the codes: %+v, then %+v (%v)", codes, again, err)
	}
	for _, name := range []string{"reactions_demo_replica_requests_total", "reactions_demo_items_served", "go_goroutines"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestRunFollow: with --follow the replicas replay the rest of the story
// and the crawler's polls bring the store to the whole ground truth.
func TestRunFollow(t *testing.T) {
	dsn := chtest.DSN(t)
	crawled, _ := Available(Story("http://127.0.0.1:1"))
	var platforms []reaction.Platform
	for _, src := range crawled.Sources {
		platforms = append(platforms, src.Platform)
	}
	whole := 0
	full := Generate(DefaultSeed, Options{Scale: 0.3})
	for _, r := range replica.Expected(full) {
		for _, p := range platforms {
			if r.ID != "" && r.Platform == p {
				whole++
			}
		}
	}
	cfg := Config{DSN: dsn, StateDir: t.TempDir(), Follow: true, Scale: 0.3,
		Poll: 500 * time.Millisecond, ReplayStep: 500 * time.Millisecond, ReplayHours: 12}
	polls, after := 0, 0
	var first int
	r, out := runDemo(t, cfg, 2*time.Minute, func(r report) bool {
		polls++
		expected := 0
		for _, c := range r.a.PerPlatform {
			expected += c.Expected
		}
		if polls == 1 {
			first = expected
		}
		if expected == whole {
			after++ // the replay is complete: a few more polls must collect the rest
		}
		return expected == whole && r.a.Missing == 0 || after > 3
	})
	if first >= whole {
		t.Errorf("the first poll already saw all %d reactions: nothing was replayed", whole)
	}
	checkGroundTruth(t, r.a)
	if !strings.Contains(out, "Follow:") {
		t.Errorf("output lacks the follow notice:\n%s", out)
	}
	t.Logf("%d polls: first saw %d of %d reactions", polls, first, whole)
}
