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
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/internal/httpguard"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

func init() {
	register(command{
		name:    "crawl",
		summary: "collect a story's reactions: --story FILE [--once | --follow] [--aggregator URL]",
		run:     runCrawl,
	})
}

func runCrawl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("crawl", "")
	storyPath := fs.String("story", "", "the story file (YAML) `FILE`; required")
	once := fs.Bool("once", false, "collect everything currently reachable and exit (the default)")
	follow := fs.Bool("follow", false, "keep polling every story poll period until interrupted")
	aggregator := fs.String("aggregator", "", "send to the aggregator at `URL`, or to each story's owner among URL1,URL2,… (aggregators started with --shard 0/N … N-1/N, in that order); bearer token from "+ingestTokenEnv+"; default: an in-process aggregator writing to ClickHouse")
	metricsListen := fs.String("metrics-listen", "", "serve /metrics and /healthz on `ADDR` (e.g. 127.0.0.1:9101) while crawling")
	keepAuthors := fs.Bool("keep-authors", false, "store raw author handles instead of pseudonyms (opt-in; think twice for sensitive stories)")
	contact := fs.String("contact", os.Getenv(contactEnv), "`EMAIL_OR_URL` added to the User-Agent so that platforms can reach you (default $"+contactEnv+")")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *storyPath == "":
		return usageErrorf("--story FILE is required")
	case *once && *follow:
		return usageErrorf("--once and --follow exclude each other")
	}
	mode := crawler.Once
	if *follow {
		mode = crawler.Follow
	}
	st, err := story.Load(*storyPath)
	if err != nil {
		return err
	}
	stateDir := stateDirectory()
	secret, err := loadSecret(stateDir)
	if err != nil {
		return err
	}
	authors, err := reaction.NewPseudonymizer(secret, *keepAuthors)
	if err != nil {
		return err
	}
	if *keepAuthors {
		fmt.Fprintln(stderr, "reactions crawl: --keep-authors: raw author handles will be stored")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if *metricsListen != "" {
		stop, err := serveMetrics(*metricsListen, reg)
		if err != nil {
			return err
		}
		defer stop()
	}

	var sink crawler.Sink
	closeSink := func() error { return nil }
	if *aggregator != "" {
		sink = aggregatorSink(*aggregator, os.Getenv(ingestTokenEnv))
	} else {
		sink, closeSink, err = openLocalSink(ctx, stateDir, st, withKeepAuthors(*keepAuthors), withRegisterer(reg))
		if err != nil {
			return err
		}
	}

	crawler.Version = Version
	cfg := crawler.Config{
		StateDir: stateDir, Contact: *contact, Authors: authors, Credentials: credentials(), Registerer: reg, Log: slog.Default(),
		OnPoll: func(runs []reaction.CrawlRun) {
			fmt.Fprintf(stdout, "\n%s  story %s\n", time.Now().UTC().Format(time.RFC3339), st.ID)
			crawler.WriteSummary(stdout, runs)
		},
	}
	runs, err := crawler.Run(ctx, cfg, st, sink, mode)
	if cerr := closeSink(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close the aggregator: %w", cerr))
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "reactions crawl: interrupted; everything fetched so far was kept. Run the same command again to resume.")
		return errQuiet
	}
	if mode == crawler.Once && !crawler.AllOK(runs) {
		bad := 0
		for _, r := range runs {
			if r.Status != reaction.RunOK {
				bad++
			}
		}
		fmt.Fprintf(stderr, "reactions crawl: %d of %d sources did not finish ok (see STATUS and MESSAGE above)\n", bad, len(runs))
		return errQuiet
	}
	return nil
}

// serveMetrics serves /metrics and /healthz on addr until stop is called.
func serveMetrics(addr string, reg *prometheus.Registry) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	srv := &http.Server{Handler: httpguard.DropUnreadBody(mux), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	slog.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// aggregatorSink sends to the aggregator at urls, or, given several
// (comma-separated), to each story's owner among them.
func aggregatorSink(urls, token string) crawler.Sink {
	var sinks []crawler.Sink
	for _, u := range strings.Split(urls, ",") {
		if u = strings.TrimSpace(u); u != "" {
			sinks = append(sinks, crawler.NewHTTPSink(u, token))
		}
	}
	if len(sinks) == 1 {
		return sinks[0]
	}
	return crawler.NewShardedSink(sinks)
}
