package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// Database is the ClickHouse database of the demo: a database of its own,
// so that --reset can drop it without touching a researcher's data.
const Database = "reactions_demo"

// FollowCut is where --follow starts: the replicas first serve the first
// day and a half, then replay the rest.
var FollowCut = Published.Add(36 * time.Hour)

// Config configures Run. Every field states its default.
type Config struct {
	// Listen is the dashboard's address. Default "127.0.0.1:8080".
	Listen string
	// Follow keeps the replicas adding reactions (a deterministic replay of
	// the rest of the data set) and the crawler polling, until ctx ends.
	Follow bool
	// Reset drops the demo database and the demo's crawl state first.
	Reset bool
	// Seed is the data set's seed. Default DefaultSeed.
	Seed int64
	// Scale multiplies the number of reactions. Default 1.
	Scale float64
	// StateDir is the state directory. Default ".reactions".
	StateDir string
	// DSN is the demo database: the command names database Database on
	// the server every command uses. Required.
	DSN string
	// Secret is the pseudonymisation secret. Default: the state
	// directory's secret file (reaction.LoadSecret).
	Secret string
	// Poll overrides the demo story's poll period (10 s) in --follow mode.
	Poll time.Duration
	// ReplayStep is how often --follow adds reactions, and ReplayHours how
	// many hours of the story each step adds. Defaults 2 s and 2 h.
	ReplayStep  time.Duration
	ReplayHours float64
	// Dashboard returns the dashboard's HTTP handler on the demo store.
	// Required.
	Dashboard func(ctx context.Context, s *store.Store, reg prometheus.Registerer) (http.Handler, error)
	// Stdout receives the URL, the crawl summary and the agreement report.
	// Default os.Stdout.
	Stdout io.Writer
	// Log receives structured logs. Default slog.Default().
	Log *slog.Logger
	// Version is the binary's version (User-Agent, /healthz). Default "dev".
	Version string
	// Invocation is how the researcher runs this binary, environment
	// included, e.g. "REACTIONS_HOME=/tmp/x bin/reactions": the demo
	// prints a ready-to-run export command with it. Default "reactions".
	Invocation string
	// Ready, when set, is called with the dashboard's URL as soon as it
	// serves (before the crawl).
	Ready func(url string)
	// OnReport, when set, is called after every crawl (each poll in
	// --follow mode) with its runs and the agreement measured after it.
	OnReport func(runs []reaction.CrawlRun, a *Agreement)
}

func (c *Config) defaults() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.Scale <= 0 {
		c.Scale = 1
	}
	if c.StateDir == "" {
		c.StateDir = ".reactions"
	}
	if c.DSN == "" {
		return errors.New("demo: no DSN")
	}
	if c.ReplayStep <= 0 {
		c.ReplayStep = 2 * time.Second
	}
	if c.ReplayHours <= 0 {
		c.ReplayHours = 2
	}
	if c.Dashboard == nil {
		return errors.New("demo: no dashboard constructor")
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Invocation == "" {
		c.Invocation = "reactions"
	}
	return nil
}

// SpoolDir is the spool of the demo's aggregator under stateDir: a
// command that writes to the demo database checks it is not locked.
func SpoolDir(stateDir string) string { return filepath.Join(stateDir, "demo", "spool") }

// aggregatorFile records the running demo's aggregator address.
func aggregatorFile(stateDir string) string {
	return filepath.Join(stateDir, "demo", "aggregator.addr")
}

// RunningAggregator returns the URL of the aggregator of the demo running
// on stateDir, as the demo recorded it (ok is false when it recorded none):
// a command that rewrites the demo's data while the demo runs asks it.
func RunningAggregator(stateDir string) (url string, ok bool) {
	b, err := os.ReadFile(aggregatorFile(stateDir))
	addr := strings.TrimSpace(string(b))
	if err != nil || addr == "" {
		return "", false
	}
	return "http://" + addr, true
}

// ExportCommand is a ready-to-run command that exports the demo story's
// daily series as CSV to stdout, with invocation (see Config.Invocation).
// The command line finds the demo's database by itself.
func ExportCommand(invocation string) string {
	return invocation + " export --story " + StoryID + " --what series --interval 1d --out -"
}

// Reset drops the demo database and removes the demo's crawl state and
// spool. It never touches another database.
func Reset(ctx context.Context, dsn, stateDir string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("ClickHouse DSN: %w", err)
	}
	if strings.Trim(u.Path, "/") != Database {
		return fmt.Errorf("reset: refusing to drop database %q: the demo only drops %q", strings.Trim(u.Path, "/"), Database)
	}
	u.Path = "/default"
	s, err := store.Open(ctx, u.String(), store.Options{NoMigrate: true})
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer s.Close()
	if err := s.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+Database); err != nil {
		return fmt.Errorf("reset: drop database %s: %w", Database, err)
	}
	for _, dir := range []string{filepath.Join(stateDir, "crawl", StoryID), SpoolDir(stateDir)} {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	return nil
}

// Missing is a demo source that cannot run in this build.
type Missing struct {
	Platform reaction.Platform
	Reason   string
}

// Available keeps the sources of st whose platform has both a replica and
// an adapter in this build, and says why the others were left out.
func Available(st *story.Story) (*story.Story, []Missing) {
	out := *st
	out.Sources = nil
	var missing []Missing
	for _, src := range st.Sources {
		_, hasReplica := replica.Platforms()[src.Platform]
		_, hasAdapter := source.Lookup(src.Platform)
		switch {
		case !hasReplica && !hasAdapter:
			missing = append(missing, Missing{src.Platform, "no replica and no adapter in this build"})
		case !hasReplica:
			missing = append(missing, Missing{src.Platform, "no replica in this build"})
		case !hasAdapter:
			missing = append(missing, Missing{src.Platform, "no adapter in this build"})
		default:
			out.Sources = append(out.Sources, src)
		}
	}
	return &out, missing
}

// Run runs the demo: the local ClickHouse (database Database), the
// replicas serving the demo data set, the aggregator's HTTP API, the
// crawler with the real adapters over HTTP, and the dashboard. It prints
// the dashboard's URL, the crawl summary and the classifier's agreement
// with the generator, then serves until ctx ends.
//
// Run is long on purpose: it is the demo's script, and each step starts
// what the next one needs (and defers its stop) in the order the output
// shows them; cut into functions, the steps would hand a dozen values on.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	start := time.Now()
	out, log := cfg.Stdout, cfg.Log
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dsn := cfg.DSN
	// The replicas listen where they did last time: web ids contain the
	// page URL, so a new port would make new ids. When the old port is
	// taken the demo starts over rather than count web comments twice.
	replicaLn, portChanged, err := listenReplica(cfg.StateDir)
	if err != nil {
		return err
	}
	defer replicaLn.Close()
	if portChanged && !cfg.Reset {
		if _, err := os.Stat(filepath.Join(cfg.StateDir, "crawl", StoryID)); err == nil {
			fmt.Fprintln(out, "The replicas' previous port is taken: starting the demo over (its ids name the port).")
			cfg.Reset = true
		}
	}
	if cfg.Reset {
		if err := Reset(ctx, dsn, cfg.StateDir); err != nil {
			return err
		}
		fmt.Fprintf(out, "Reset: dropped database %s and the demo's crawl state.\n", Database)
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return fmt.Errorf("open the demo database: %w", err)
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)

	// The data set, and in --follow mode the part still to come.
	items := Items(cfg.Seed, Options{Scale: cfg.Scale})
	d := replica.NewDataset()
	feed := newFeed(items, d, m)
	if cfg.Follow {
		feed.advance(FollowCut)
	} else {
		feed.advance(WindowTo)
	}
	base := "http://" + replicaLn.Addr().String()
	rs := replica.New(d, replica.Options{})
	if cfg.Follow {
		// From here on, Bluesky posts reach the crawler live, on the
		// replica's Jetstream, among posts of the rest of the network.
		feed.live(rs.Jetstream())
	}
	stopReplica := serve(replicaLn, withMetrics(m.instrument(rs), reg), log, "replicas")
	defer stopReplica()

	agg, err := aggregator.New(ctx, aggregator.Config{
		StateDir: cfg.StateDir, SpoolDir: SpoolDir(cfg.StateDir),
		Registerer: reg, Gatherer: reg, Logger: log, Version: cfg.Version, StoryLimit: 1000,
	}, st)
	if err != nil {
		return err
	}
	// The aggregator outlives ctx: on Ctrl-C the crawler flushes what it
	// fetched to it, and only then is it closed (the deferred Close).
	aggCtx, aggCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer aggCancel()
	aggDone := make(chan error, 1)
	go func() { aggDone <- agg.Run(aggCtx) }()
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if err := agg.Close(cctx); err != nil {
			log.Error("close the aggregator", "err", err)
		}
	}()
	aggLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("aggregator: %w", err)
	}
	stopAgg := serve(aggLn, agg.Handler(), log, "aggregator")
	defer stopAgg()
	aggURL := "http://" + aggLn.Addr().String()
	if err := os.MkdirAll(filepath.Dir(aggregatorFile(cfg.StateDir)), 0o700); err != nil {
		return fmt.Errorf("aggregator: %w", err)
	}
	if err := os.WriteFile(aggregatorFile(cfg.StateDir), []byte(aggLn.Addr().String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("aggregator: %w", err)
	}
	defer os.Remove(aggregatorFile(cfg.StateDir))

	dash, err := cfg.Dashboard(ctx, st, reg)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	dashLn, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("dashboard: listen on %s: %w (pass --listen with a free address, e.g. 127.0.0.1:0)", cfg.Listen, err)
	}
	stopDash := serve(dashLn, withMetrics(dash, reg), log, "dashboard")
	defer stopDash()
	dashURL := "http://" + dashLn.Addr().String() + "/?story=" + StoryID
	fmt.Fprintf(out, "Dashboard: %s  (demo data: generated, seed %d)\n", dashURL, cfg.Seed)
	fmt.Fprintf(out, "Replicas:  %s   Aggregator: %s   Database: %s\n", base, aggURL, store.RedactDSN(dsn))
	if cfg.Ready != nil {
		cfg.Ready(dashURL)
	}

	s, missing := Available(Story(base))
	if cfg.Poll > 0 {
		s.Poll = story.Duration(cfg.Poll)
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("demo story: %w", err)
	}
	if len(s.Sources) == 0 {
		return errors.New("no platform has both a replica and an adapter in this build: nothing to crawl")
	}
	var crawled []reaction.Platform
	for _, src := range s.Sources {
		crawled = append(crawled, src.Platform)
	}
	secret, err := reaction.LoadSecret(cfg.StateDir, cfg.Secret)
	if err != nil {
		return err
	}
	authors, err := reaction.NewPseudonymizer(secret, false)
	if err != nil {
		return err
	}
	crawler.Version = cfg.Version
	var reportMu sync.Mutex
	report := func(runs []reaction.CrawlRun, final bool) {
		reportMu.Lock()
		defer reportMu.Unlock()
		mctx, mcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer mcancel()
		// What the crawl sent may still wait in the aggregator's spool:
		// measure, and draw the coded sample, once it is all in
		// ClickHouse, so that the same seed gives the same figures.
		settle(mctx, agg, log)
		a, err := Measure(mctx, st, StoryID, d, base, crawled...)
		if err != nil {
			log.Error("measure the classifier's agreement", "err", err)
			return
		}
		// The simulated hand-coding and the corrected shares' check: a
		// time budget of their own, so that a slow machine still stores
		// the agreement.
		cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
		defer ccancel()
		if cc, err := Code(cctx, st, a, cfg.Seed); err != nil {
			log.Error("code the demo's sample", "err", err)
		} else {
			a.Coding = cc
		}
		pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer pcancel()
		// A deep copy: PutStory validates (rewrites) the story it is given,
		// while a live source reads its own.
		var withReport story.Story
		if b, err := json.Marshal(s); err != nil || json.Unmarshal(b, &withReport) != nil {
			log.Error("copy the demo story", "err", err)
			return
		}
		withReport.DemoReport = a.JSON()
		if err := agg.PutStory(pctx, &withReport); err != nil {
			log.Error("store the agreement report", "err", err)
		}
		fmt.Fprintf(out, "\n%s  crawl of %s (%s after start)\n", time.Now().UTC().Format(time.RFC3339), StoryID, time.Since(start).Round(100*time.Millisecond))
		writeSummary(out, runs, missing, a, cfg.Follow)
		fmt.Fprintln(out)
		a.WriteText(out)
		if a.Coding != nil {
			a.Coding.WriteText(out)
		}
		if cfg.OnReport != nil {
			cfg.OnReport(runs, a)
		}
		if final {
			fmt.Fprintf(out, "\nThe same data from the command line (export, reclassify and classify work on %s):\n  %s\n", StoryID, ExportCommand(cfg.Invocation))
			fmt.Fprintf(out, "\nDashboard: %s\nReady in %s. Press Ctrl-C to stop.\n", dashURL, time.Since(start).Round(100*time.Millisecond))
		}
	}
	ccfg := crawler.Config{
		StateDir: cfg.StateDir, Authors: authors, Registerer: reg, Log: log,
		BatchWait: 200 * time.Millisecond,
		// The replica's token endpoint accepts any app credentials: these
		// stand in for a researcher's Reddit app, and never leave loopback.
		Credentials: source.Credentials{RedditClientID: "reactions-demo", RedditClientSecret: "reactions-demo-secret"},
	}
	sink := crawler.NewHTTPSink(aggURL, "")
	if !cfg.Follow {
		runs, err := crawler.Run(ctx, ccfg, s, sink, crawler.Once)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		report(runs, true)
	} else {
		fmt.Fprintf(out, "Follow: the replicas serve the story up to %s and then add %.0f h of it every %s; the crawler polls every %s.\n",
			FollowCut.Format("2006-01-02 15:04 MST"), cfg.ReplayHours, cfg.ReplayStep, time.Duration(s.Poll))
		ccfg.OnPoll = func(runs []reaction.CrawlRun) { report(runs, false) }
		go feed.replay(ctx, cfg.ReplayStep, hours(cfg.ReplayHours), log)
		crawlDone := make(chan struct{})
		// Wait for the crawler's final flush before the aggregator closes.
		defer func() { <-crawlDone }()
		go func() {
			defer close(crawlDone)
			if _, err := crawler.Run(ctx, ccfg, s, sink, crawler.Follow); err != nil {
				log.Error("crawl", "err", err)
			}
		}()
		fmt.Fprintf(out, "\nThe same data from the command line: %s\n", ExportCommand(cfg.Invocation))
		fmt.Fprintf(out, "\nDashboard: %s (updates live). Press Ctrl-C to stop.\n", dashURL)
	}
	select {
	case <-ctx.Done():
	case err := <-aggDone:
		if err != nil {
			return fmt.Errorf("aggregator: %w", err)
		}
	}
	return nil
}

// writeSummary prints the crawl summary, a line per platform the build
// cannot crawl, and what was stored against the ground truth.
func writeSummary(w io.Writer, runs []reaction.CrawlRun, missing []Missing, a *Agreement, follow bool) {
	all := append([]reaction.CrawlRun(nil), runs...)
	for _, m := range missing {
		all = append(all, reaction.CrawlRun{Source: string(m.Platform), Platform: m.Platform, Status: "skipped", Message: m.Reason})
	}
	crawler.WriteSummary(w, all)
	fmt.Fprintln(w, "Bluesky is crawled by its threads only: its search needs an account (BLUESKY_HANDLE and BLUESKY_APP_PASSWORD), which the demo does not use.")
	if follow {
		fmt.Fprintln(w, "After the first poll Bluesky is followed live on the replica's Jetstream, which also sends unrelated posts: see reactions_crawler_stream_events_total on /metrics.")
	}
	if a != nil {
		var ps []string
		for _, p := range reaction.Platforms {
			if c, ok := a.PerPlatform[p]; ok {
				ps = append(ps, fmt.Sprintf("%s %d/%d", p, c.Stored, c.Expected))
			}
		}
		fmt.Fprintf(w, "Stored / ground truth: %s\n", strings.Join(ps, ", "))
		for _, p := range reaction.Platforms {
			c, ok := a.PerPlatform[p]
			switch {
			case !ok || c.Stored >= c.Expected:
			case follow:
				fmt.Fprintf(w, "%s: %d reactions the replicas serve are not collected yet (added during this poll, or missed).\n", p, c.Expected-c.Stored)
			default:
				fmt.Fprintf(w, "WARNING: %s: %d reactions the replicas serve were not collected: the crawl is incomplete for it.\n", p, c.Expected-c.Stored)
			}
		}
	}
}

// listenReplica listens on the port recorded in stateDir/demo/replica.addr
// when it is free, else on a new free port, which it records.
func listenReplica(stateDir string) (net.Listener, bool, error) {
	path := filepath.Join(stateDir, "demo", "replica.addr")
	prev, _ := os.ReadFile(path)
	addr := strings.TrimSpace(string(prev))
	if addr != "" {
		if ln, err := net.Listen("tcp", addr); err == nil {
			return ln, false, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, false, fmt.Errorf("replicas: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		ln.Close()
		return nil, false, fmt.Errorf("replicas: %w", err)
	}
	if err := os.WriteFile(path, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, false, fmt.Errorf("replicas: %w", err)
	}
	return ln, true, nil
}

// serve serves h on ln until the returned stop is called.
func serve(ln net.Listener, h http.Handler, log *slog.Logger, what string) (stop func()) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve "+what, "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
}

// withMetrics serves /metrics from reg in front of h.
func withMetrics(h http.Handler, reg *prometheus.Registry) http.Handler {
	mh := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			mh.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// feed holds the items not yet served and adds them to the dataset in time
// order: all at once, or as a replay (--follow), where Bluesky posts are
// published on the replica's Jetstream.
type feed struct {
	mu    sync.Mutex
	items []replica.Item // sorted by CreatedAt
	next  int
	d     *replica.Dataset
	m     *metrics
	js    *replica.Jetstream // nil: Bluesky posts are only added to d
}

// noisePerPost is how many posts of the rest of the network the demo's
// Jetstream sends beside each Bluesky post of the story.
const noisePerPost = 3

// live publishes the Bluesky posts advance adds on js from now on.
func (f *feed) live(js *replica.Jetstream) {
	f.mu.Lock()
	f.js = js
	f.mu.Unlock()
}

func newFeed(items []replica.Item, d *replica.Dataset, m *metrics) *feed {
	return &feed{items: items, d: d, m: m}
}

// advance adds every item created before until; it returns how many.
func (f *feed) advance(until time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.next
	for i < len(f.items) && f.items[i].CreatedAt.Before(until) {
		i++
	}
	n := i - f.next
	if n > 0 {
		batch := f.items[f.next:i]
		if f.js == nil {
			f.d.Add(batch...)
		} else {
			for _, it := range batch {
				if it.Platform != reaction.Bluesky {
					f.d.Add(it)
					continue
				}
				f.js.Create(it)
				f.js.Noise(noisePerPost, time.Now())
			}
		}
		f.m.replayed.Add(float64(n))
	}
	f.next = i
	return n
}

func (f *feed) done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next >= len(f.items)
}

// replay advances the story's clock by span every step until every item
// is served or ctx ends.
func (f *feed) replay(ctx context.Context, step, span time.Duration, log *slog.Logger) {
	clock := FollowCut
	t := time.NewTicker(step)
	defer t.Stop()
	for !f.done() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		clock = clock.Add(span)
		if n := f.advance(clock); n > 0 {
			log.Debug("demo replay", "story_time", clock.Format(time.RFC3339), "added", n)
		}
	}
	log.Info("demo replay complete: the replicas now serve the whole data set")
}

// settle waits until the aggregator has written everything it
// acknowledged (its spool and queue are empty), or ctx ends.
func settle(ctx context.Context, agg *aggregator.Aggregator, log *slog.Logger) {
	for {
		h := agg.Health(ctx)
		if h.SpoolRecords == 0 && h.QueueRows == 0 {
			return
		}
		select {
		case <-ctx.Done():
			log.Warn("measuring before the aggregator wrote everything", "spool_records", h.SpoolRecords, "queue_rows", h.QueueRows)
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
