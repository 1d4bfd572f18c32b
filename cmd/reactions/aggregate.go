package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/internal/storyshard"
)

func init() {
	register(command{
		name:    "aggregate",
		summary: "serve the ingest API: label stance, deduplicate, write to ClickHouse [--listen 127.0.0.1:8081]",
		run:     runAggregate,
	})
}

const aggregateUsage = `Usage: reactions aggregate [flags]

Serves POST /api/v1/reactions (NDJSON, optionally gzip), PUT /api/v1/stories/{id},
PUT /api/v1/crawls, POST /api/v1/stories/{id}/reclassify, /healthz and /metrics.
Reactions are labelled, deduplicated exactly and written to ClickHouse (the
server named by REACTIONS_CLICKHOUSE, or the local one under the state
directory); while ClickHouse is unavailable they are kept in the spool under
the state directory and written when it is back. With REACTIONS_INGEST_TOKEN
set, /api/v1 requests need "Authorization: Bearer <token>".

On a ClickHouse cluster (REACTIONS_CLICKHOUSE_CLUSTER), run N aggregators with
--shard 0/N … N-1/N, each with its own state directory (spool); crawlers
given all N URLs send each story to its owner (docs/scaling.md).

Flags:
`

func runAggregate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("aggregate", aggregateUsage)
	listen := fs.String("listen", "127.0.0.1:8081", "serve the API on `ADDR`")
	model := fs.String("model", "", "stance model `FILE` (reactions classify train); default: the built-in model")
	keepAuthors := fs.Bool("keep-authors", false, "accept raw author handles (opt-in); without it every author must be a pseudonym")
	spoolMax := byteSize(1 << 30)
	fs.Var(&spoolMax, "spool-max-bytes", "answer 503 with Retry-After beyond this much spool (`SIZE`, e.g. 1GiB, 500MB)")
	maxBody := byteSize(32 << 20)
	fs.Var(&maxBody, "max-body-bytes", "largest request body, after decompression (`SIZE`)")
	batchSize := fs.Int("batch-size", 25000, "write to ClickHouse in batches of up to `N` reactions")
	storyLimit := fs.Int("story-limit", 100, "accept at most `N` stories (bounds the story label of reactions_total)")
	shardFlag := fs.String("shard", "", "be aggregator `I/N`: own the stories whose hash mod N is I and answer others 421 naming their owner (default: every story)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *batchSize <= 0:
		return usageErrorf("--batch-size must be positive")
	case *storyLimit <= 0:
		return usageErrorf("--story-limit must be positive")
	}
	var shard storyshard.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = storyshard.Parse(*shardFlag); err != nil {
			return usageErrorf("--shard: %v", err)
		}
	}
	token := os.Getenv(ingestTokenEnv)
	if token == "" && !loopback(*listen) {
		slog.Warn("the ingest API listens beyond this machine without a token: set " + ingestTokenEnv)
	}
	if *keepAuthors {
		fmt.Fprintln(stderr, "reactions aggregate: --keep-authors: raw author handles will be accepted and stored")
	}

	stateDir := stateDirectory()
	st, err := openDefault(ctx, stateDir)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg := aggregator.Config{
		Listen: *listen, Shard: shard, BatchSize: *batchSize, MaxBodyBytes: int64(maxBody),
		StateDir: stateDir, SpoolMaxBytes: int64(spoolMax), Token: token, KeepAuthors: *keepAuthors,
		ModelPath: *model, StoryLimit: *storyLimit, Registerer: reg, Gatherer: reg,
		Logger: slog.Default(), Version: Version,
	}
	a, err := aggregator.New(ctx, cfg, st)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		a.Close(context.Background())
		return fmt.Errorf("--listen: %w", err)
	}
	// The writer outlives ctx (Ctrl-C, SIGTERM): it must answer the
	// requests that the HTTP server finishes during shutdown.
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(runCtx) }()
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	slog.Info("aggregator listening", "addr", ln.Addr().String(), "classifier", a.Labeler().Version(),
		"token", token != "", "keep_authors", *keepAuthors, "clickhouse", st.ServerVersion())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-serveDone:
	case serveErr = <-runDone:
		if serveErr == nil {
			serveErr = errors.New("the writer stopped")
		}
	}
	slog.Info("aggregator stopping: finishing requests and writing what was taken")
	sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = srv.Shutdown(sctx)
	if cerr := a.Close(sctx); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(serveErr, err)
	}
	if err != nil {
		return err
	}
	slog.Info("aggregator stopped")
	return nil
}

// loopback reports whether addr listens on a loopback address only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// byteSize is a size flag: "1073741824", "1GiB", "512MiB", "500MB", "64k".
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"kB", 1e3},
		{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"k", 1 << 10}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 1073741824, 1GiB, 500MB)", s)
	}
	return n * mult, nil
}
