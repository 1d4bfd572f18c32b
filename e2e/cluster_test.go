package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/internal/storyshard"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest/chcluster"
	"github.com/reactions-research/reactions/story"
)

// clusterGroups split the story's sources into the cluster test's four
// stories, by platform.
var clusterGroups = [][]reaction.Platform{
	{reaction.Reddit, reaction.Bluesky},
	{reaction.HackerNews},
	{reaction.Mastodon, reaction.Lemmy},
	{reaction.Discourse, reaction.Web},
}

// proc is a reactions process the test started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (p *proc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

// TestClusterWholePath: on a ClickHouse cluster of 2 shards × 2 replicas,
// two crawler processes send four stories from the replicas to two
// aggregator processes (--shard 0/2 and 1/2), each story to its owner; the
// dashboard reads through the Distributed tables and every count equals
// the ground truth. Mid-ingest, the first replica of shard 1 is killed
// (ingest goes on through the second), then the second too, so that
// aggregator 0, whose stories live there, acknowledges into its spool;
// then aggregator 0 is killed with SIGKILL. Shard 1 and the aggregator are
// started again, and the spool replays. A story sent to the wrong
// aggregator gets 421 naming its owner. Sending everything again, from
// crawlers that remember nothing, changes nothing.
// It is long because the faults follow one another on the same running
// cluster and processes: split, each part would start them again.
func TestClusterWholePath(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bin := buildReactions(t)

	c, err := chcluster.Start(ctx, chcluster.Options{})
	if err != nil {
		t.Fatalf("the cluster test needs a local ClickHouse cluster and none could be started: %v", err)
	}
	defer c.Stop()
	dsn := chcluster.DSN(t, c)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatalf("open the cluster: %v\n%s", err, c.Logs(10))
	}
	defer st.Close()

	// The replicas, serving a small demo data set, and four stories over
	// it.
	// Slow answers spread the crawl over some 30 s, for the faults to
	// strike mid-ingest.
	d := replica.NewDataset(demo.Items(seed, demo.Options{Scale: 0.05})...)
	repSrv := httptest.NewServer(replica.New(d, replica.Options{Latency: 1500 * time.Millisecond}))
	defer repSrv.Close()
	full, covered := storyFor(t, repSrv.URL, d)
	dir := t.TempDir()
	var stories []*story.Story
	for i, ps := range clusterGroups {
		s := &story.Story{ID: fmt.Sprintf("e2e-cluster-%c", 'a'+i), Title: "cluster " + string(rune('a'+i)),
			Subject: full.Subject, Published: full.Published}
		for _, src := range full.Sources {
			for _, p := range ps {
				if src.Platform == p {
					src.Rate = "1000/1s"
					s.Sources = append(s.Sources, src)
				}
			}
		}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(s)
		if err := os.WriteFile(filepath.Join(dir, s.ID+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		stories = append(stories, s)
	}
	owners := map[int]bool{}
	for _, s := range stories {
		owners[storyshard.Owner(s.ID, 2)] = true
	}
	if len(owners) != 2 {
		t.Fatalf("the four stories all belong to one aggregator: rename them")
	}

	// Ground truth per story, platform and hour, thread starters left out.
	starters := map[string]bool{}
	for _, src := range full.Sources {
		for _, id := range replica.NamedStarters(d, src) {
			starters[id] = true
		}
	}
	truth := map[string]map[key]int64{}
	totals := map[string]int64{}
	var first, last time.Time
	for _, tr := range demo.GroundTruthItems(d, repSrv.URL) {
		r := tr.Reaction
		if !covered[r.Platform] || !inStory(full, tr.Item) || r.IsRoot || starters[r.ID] {
			continue
		}
		for i, ps := range clusterGroups {
			for _, p := range ps {
				if p == r.Platform {
					id := stories[i].ID
					if truth[id] == nil {
						truth[id] = map[key]int64{}
					}
					h := r.CreatedAt.UTC().Truncate(time.Hour)
					truth[id][key{r.Platform, h}]++
					totals[id]++
					if first.IsZero() || h.Before(first) {
						first = h
					}
					if h.After(last) {
						last = h
					}
				}
			}
		}
	}
	t.Logf("ground truth: %v reactions", totals)

	env := append(os.Environ(),
		"REACTIONS_CLICKHOUSE="+dsn, // names the cluster (cluster=)
		"REACTIONS_SECRET=e2e-cluster-secret-0123456789abcdef",
		"REACTIONS_CONTACT=e2e@example.org",
		"REDDIT_CLIENT_ID=e2e-app", "REDDIT_CLIENT_SECRET=e2e-secret",
		"BLUESKY_HANDLE=e2e.example.com", "BLUESKY_APP_PASSWORD=abcd-efgh-ijkl-mnop",
		"MASTODON_ACCESS_TOKEN=e2e-token",
		"REACTIONS_LOG_LEVEL=info",
	)
	var mu sync.Mutex
	var procs []*proc
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			p.stop()
		}
	}()
	start := func(name, home string, args ...string) *proc {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(slices.Clip(env), "REACTIONS_HOME="+home)
		logf, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf.Close()
		p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
		go func() { cmd.Wait(); close(p.done) }()
		mu.Lock()
		procs = append(procs, p)
		mu.Unlock()
		return p
	}
	logs := func() string {
		var b strings.Builder
		files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, f := range files {
			out, _ := os.ReadFile(f)
			fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), tailLines(string(out), 15))
		}
		return b.String()
	}

	// Two aggregators, one per story shard, each with its own spool.
	ports := []int{freePort(t), freePort(t)}
	urls := []string{fmt.Sprintf("http://127.0.0.1:%d", ports[0]), fmt.Sprintf("http://127.0.0.1:%d", ports[1])}
	homes := []string{filepath.Join(dir, "agg0"), filepath.Join(dir, "agg1")}
	aggs := make([]*proc, 2)
	startAgg := func(i int) {
		aggs[i] = start(fmt.Sprintf("aggregator-%d", i), homes[i], "aggregate", "--listen", fmt.Sprintf("127.0.0.1:%d", ports[i]),
			"--shard", fmt.Sprintf("%d/2", i))
		waitHealthy(t, urls[i], 2*time.Minute, logs)
	}
	startAgg(0) // the first migrates (already done by the test's own store)
	startAgg(1)

	// A story sent to the wrong aggregator: 421, naming the owner.
	for _, s := range stories {
		owner := storyshard.Owner(s.ID, 2)
		b, _ := json.Marshal(s)
		req, _ := http.NewRequest(http.MethodPut, urls[1-owner]+"/api/v1/stories/"+s.ID, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ans struct{ Owner int }
		json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest || ans.Owner != owner {
			t.Errorf("story %s sent to aggregator %d: %d, owner %d; want 421 naming %d", s.ID, 1-owner, resp.StatusCode, ans.Owner, owner)
		}
	}

	// Two crawler processes, two stories each, one after the other.
	crawl := func(round string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for ci := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				home := filepath.Join(dir, fmt.Sprintf("crawler%d-%s", ci, round))
				for _, s := range stories[2*ci : 2*ci+2] {
					p := start(fmt.Sprintf("crawler-%d-%s-%s", ci, round, s.ID), home, "crawl", "--once",
						"--story", filepath.Join(dir, s.ID+".json"), "--aggregator", strings.Join(urls, ","))
					<-p.done
					if code := p.cmd.ProcessState.ExitCode(); code != 0 {
						errs <- fmt.Errorf("crawler %d, story %s: exit %d", ci, s.ID, code)
						return
					}
				}
			}()
		}
		// Faults while the first round runs: kill the first replica of
		// shard 1, then aggregator 0 (SIGKILL); start both again.
		if round == "first" {
			// The stories of aggregator 0 live on shard 1: the hash that
			// picks the aggregator picks the shard.
			second := nodeStore(t, c.Node(1, 2), st.Database())
			time.Sleep(2 * time.Second)
			c.Node(1, 1).Kill()
			atKill := rowsOn(t, second)
			t.Log("killed replica 1 of shard 1")
			// Writes go on through replica 2 (after a grace of up to 10 s
			// if it had not copied all of replica 1's parts).
			if !eventually(30*time.Second, func() bool { return rowsOn(t, second) > atKill }) {
				t.Errorf("shard 1 took no rows on replica 2 while replica 1 was down: ingest did not go on\n%s", logs())
			}
			t.Logf("shard 1 took %d rows on replica 2 while replica 1 was down", rowsOn(t, second)-atKill)
			// Then the whole shard: aggregator 0 acknowledges into its
			// spool, and is killed with SIGKILL holding it.
			c.Node(1, 2).Kill()
			t.Log("killed replica 2 of shard 1: shard 1 is down")
			if !eventually(30*time.Second, func() bool { return health(t, urls[0]).SpoolRecords > 0 }) {
				t.Fatalf("aggregator 0 spooled nothing while shard 1 was down\n%s", logs())
			}
			aggs[0].kill()
			t.Log("killed aggregator 0 (SIGKILL) with records in its spool")
			for r := 1; r <= 2; r++ {
				if err := c.Node(1, r).Restart(ctx); err != nil {
					t.Fatal(err)
				}
			}
			t.Log("restarted shard 1")
			startAgg(0) // its spool replays
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("%v\n%s", err, logs())
		}
	}
	began := time.Now()
	crawl("first")
	t.Logf("first round: %s", time.Since(began).Round(time.Second))
	if b, _ := os.ReadFile(filepath.Join(dir, "aggregator-0.log")); !strings.Contains(string(b), "spool: replaying records") {
		t.Errorf("aggregator 0 replayed no spool after the SIGKILL (it acknowledged into it while shard 1 was down)\n%s", logs())
	}
	drained := func() {
		t.Helper()
		for i, u := range urls {
			deadline := time.Now().Add(2 * time.Minute)
			for {
				h := health(t, u)
				if h.SpoolRecords == 0 && h.QueueRows == 0 && h.ClickHouse == "ok" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("aggregator %d did not drain: %+v\n%s", i, h, logs())
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	drained()

	dash, err := dashboard.New(dashboard.Options{Store: st, Registerer: prometheus.NewRegistry(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dashSrv := httptest.NewServer(dash)
	defer dashSrv.Close()
	ws := windows(first, last.Add(time.Hour))
	check := func(when string) {
		t.Helper()
		for _, s := range stories {
			got := map[key]int64{}
			var total int64
			for _, w := range ws {
				q := url.Values{"story": {s.ID}, "interval": {"1h"}, "tz": {"UTC"}, "by": {"platform"},
					"from": {w[0].Format(time.RFC3339)}, "to": {w[1].Format(time.RFC3339)}}
				resp, err := http.Get(dashSrv.URL + "/api/v1/series?" + q.Encode())
				if err != nil {
					t.Fatal(err)
				}
				var sj dashboard.SeriesJSON
				err = json.NewDecoder(resp.Body).Decode(&sj)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: series of %s: %d %v", when, s.ID, resp.StatusCode, err)
				}
				for _, pj := range sj.Platforms {
					for i, b := range sj.Buckets {
						if pj.Total[i] != 0 {
							got[key{pj.Platform, b.Start.UTC()}] += pj.Total[i]
							total += pj.Total[i]
						}
					}
				}
			}
			bad := 0
			for k, n := range truth[s.ID] {
				if got[k] != n {
					bad++
				}
			}
			for k, n := range got {
				if truth[s.ID][k] != n {
					bad++
				}
			}
			if bad > 0 || total != totals[s.ID] {
				t.Errorf("%s: story %s: %d reactions on the dashboard, ground truth %d; %d platform-hours differ",
					when, s.ID, total, totals[s.ID], bad)
			}
			// Every row of the story is on its shard only.
			for shard := 1; shard <= 2; shard++ {
				conn, err := store.Open(ctx, c.Node(shard, 1).DSN(st.Database()), store.Options{NoMigrate: true})
				if err != nil {
					t.Fatal(err)
				}
				var n uint64
				if err := conn.Conn().QueryRow(ctx, "SELECT count() FROM reactions_local WHERE story = ?", s.ID).Scan(&n); err != nil {
					t.Fatal(err)
				}
				conn.Close()
				if want := storyshard.Owner(s.ID, 2) == shard-1; (n > 0) != want {
					t.Errorf("%s: story %s has %d rows on shard %d", when, s.ID, n, shard)
				}
			}
		}
	}
	check("after the first round")

	// Everything again, from crawlers that remember nothing: nothing
	// changes.
	crawl("again")
	drained()
	check("after sending everything again")
}

// eventually reports whether f turns true within timeout.
func eventually(timeout time.Duration, f func() bool) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if f() {
			return true
		}
	}
	return f()
}

// nodeStore opens database db on one server alone.
func nodeStore(t *testing.T, n *chcluster.Node, db string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), n.DSN(db), store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rowsOn counts the rows of reactions_local on s's server.
func rowsOn(t *testing.T, s *store.Store) uint64 {
	t.Helper()
	var n uint64
	if err := s.Conn().QueryRow(context.Background(), "SELECT count() FROM reactions_local").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func buildReactions(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reactions")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/reactions")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build reactions: %v\n%s", err, out)
	}
	return bin
}

type aggHealth struct {
	ClickHouse   string `json:"clickhouse"`
	SpoolRecords int    `json:"spool_records"`
	QueueRows    int64  `json:"queue_rows"`
}

func health(t *testing.T, base string) aggHealth {
	t.Helper()
	var h aggHealth
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return aggHealth{ClickHouse: err.Error(), SpoolRecords: -1}
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&h)
	return h
}

func waitHealthy(t *testing.T, base string, timeout time.Duration, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become healthy within %s\n%s", base, timeout, logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
