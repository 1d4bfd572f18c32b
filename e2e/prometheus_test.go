package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store/chtest"
)

// prometheusBinary finds Debian's prometheus; the test fails without it.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REACTIONS_PROMETHEUS"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/prometheus"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	t.Fatal("this test scrapes the components with a real Prometheus and none is installed: " +
		"run `apt-get install prometheus` (make test does), or set REACTIONS_PROMETHEUS to its binary")
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// promAPI calls Prometheus's HTTP API and decodes its data field.
func promAPI(base, path string, q url.Values, data any) error {
	resp, err := http.Get(base + path + "?" + q.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s", path, env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

// TestPrometheusScrape runs the crawler, the aggregator and the dashboard,
// has a real Prometheus scrape their /metrics on loopback, and checks through
// Prometheus's HTTP API that every target is up and that reactions_total by
// stance equals what ClickHouse holds. Every exposition is linted.
func TestPrometheusScrape(t *testing.T) {
	bin := prometheusBinary(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// The three components, each with its own registry and /metrics.
	st := chtest.New(t)
	aggReg := prometheus.NewRegistry()
	aggSrv := startAggregator(t, st, aggReg)
	dashReg := prometheus.NewRegistry()
	dash, err := dashboard.New(dashboard.Options{Store: st, Registerer: dashReg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dashSrv := httptest.NewServer(dash)
	defer dashSrv.Close()
	crawlReg := prometheus.NewRegistry()
	crawlSrv := httptest.NewServer(promhttp.HandlerFor(crawlReg, promhttp.HandlerOpts{Registry: crawlReg}))
	defer crawlSrv.Close()

	// A small demo crawl through them, over HTTP.
	d := demo.Generate(7, demo.Options{Scale: 0.1})
	repSrv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer repSrv.Close()
	s := demo.Story(repSrv.URL)
	s.ID = "prometheus-e2e"
	authors, err := reaction.NewPseudonymizer([]byte("prometheus-e2e-secret-0123456789"), false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := crawler.Config{StateDir: t.TempDir(), Authors: authors, Registerer: crawlReg, Log: quiet, BatchWait: 20 * time.Millisecond,
		Credentials: source.Credentials{RedditClientID: "e2e-app", RedditClientSecret: "e2e-secret"}}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if _, err := crawler.Run(cctx, cfg, s, crawler.NewHTTPSink(aggSrv.URL, ""), crawler.Once); err != nil {
		t.Fatal(err)
	}
	// The dashboard has served a request, so its HTTP metrics have series.
	if resp, err := http.Get(dashSrv.URL + "/api/v1/stories"); err == nil {
		resp.Body.Close()
	}

	for name, g := range map[string]prometheus.Gatherer{"crawler": crawlReg, "aggregator": aggReg, "dashboard": dashReg} {
		problems, err := testutil.GatherAndLint(g)
		if err != nil {
			t.Fatalf("%s metrics: %v", name, err)
		}
		for _, p := range problems {
			// reactions_total is the name researchers chart: a gauge (a
			// stance's count goes down when reactions are relabelled)
			// whose _total reads "all reactions", not "a counter".
			if p.Metric == "reactions_total" && strings.Contains(p.Text, `should not have "_total" suffix`) {
				continue
			}
			t.Errorf("%s metrics lint: %s: %s", name, p.Metric, p.Text)
		}
	}

	// What ClickHouse holds, by stance, thread starters left out as in
	// reactions_total.
	counts, err := st.Counts(ctx, s.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	var total float64
	for _, byStance := range counts {
		for stance, n := range byStance {
			want[string(stance)] += float64(n)
			total += float64(n)
		}
	}
	if total == 0 {
		t.Fatal("the crawl stored nothing")
	}

	// A real Prometheus scraping the three on loopback.
	dir := t.TempDir()
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: crawler
    static_configs: [{targets: ["%s"]}]
  - job_name: aggregator
    static_configs: [{targets: ["%s"]}]
  - job_name: dashboard
    static_configs: [{targets: ["%s"]}]
`, host(crawlSrv.URL), host(aggSrv.URL), host(dashSrv.URL))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	promURL := "http://127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	deadline := time.Now().Add(90 * time.Second)
	var lastErr error
	for ; time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		lastErr = checkScrape(promURL, s.ID, want)
		if lastErr == nil {
			t.Logf("Prometheus sees every target up and reactions_total by stance = ClickHouse %v", want)
			return
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
	t.Fatalf("after 90 s: %v\nprometheus log:\n%s", lastErr, log)
}

// checkScrape returns nil once Prometheus reports the three jobs up and
// sum by (stance) of reactions_total for story equal to want.
func checkScrape(promURL, storyID string, want map[string]float64) error {
	var targets struct {
		ActiveTargets []struct {
			Labels    map[string]string `json:"labels"`
			Health    string            `json:"health"`
			LastError string            `json:"lastError"`
		} `json:"activeTargets"`
	}
	if err := promAPI(promURL, "/api/v1/targets", url.Values{}, &targets); err != nil {
		return err
	}
	up := map[string]bool{}
	for _, tg := range targets.ActiveTargets {
		if tg.Health != "up" {
			return fmt.Errorf("target %s is %s (%s)", tg.Labels["job"], tg.Health, tg.LastError)
		}
		up[tg.Labels["job"]] = true
	}
	for _, job := range []string{"crawler", "aggregator", "dashboard"} {
		if !up[job] {
			return fmt.Errorf("target %s not up yet", job)
		}
	}
	var res struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	q := fmt.Sprintf(`sum by (stance) (reactions_total{story=%q})`, storyID)
	if err := promAPI(promURL, "/api/v1/query", url.Values{"query": {q}}, &res); err != nil {
		return err
	}
	got := map[string]float64{}
	for _, r := range res.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("value %v: %w", r.Value[1], err)
		}
		got[r.Metric["stance"]] = v
	}
	for stance, n := range want {
		if got[stance] != n {
			return fmt.Errorf("reactions_total{stance=%q} = %v in Prometheus, %v in ClickHouse", stance, got[stance], n)
		}
	}
	for stance, v := range got {
		if _, ok := want[stance]; !ok && v != 0 {
			return fmt.Errorf("reactions_total{stance=%q} = %v in Prometheus, absent in ClickHouse", stance, v)
		}
	}
	return nil
}
