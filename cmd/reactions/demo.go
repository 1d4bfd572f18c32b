package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store"
)

func init() {
	register(command{
		name:    "demo",
		summary: "the whole path on a generated data set of the seed story: [--listen ADDR] [--follow] [--reset] [--seed N]",
		run:     runDemo,
	})
	demoDataset = func() (*replica.Dataset, error) { return demo.Generate(demo.DefaultSeed, demo.Options{}), nil }
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "Usage: reactions demo [flags]\n"+
		"\nStarts the local ClickHouse (database "+demo.Database+"), replicas of the platforms serving a\n"+
		"generated data set about the seed story, the aggregator and the dashboard; crawls the\n"+
		"replicas with the real adapters over HTTP; prints the dashboard's URL, the crawl summary,\n"+
		"how often the classifier agrees with the stance the generator intended, and an export\n"+
		"command to run on the demo's data.\n\nFlags:\n")
	listen := fs.String("listen", "127.0.0.1:8080", "serve the dashboard on `ADDR`")
	follow := fs.Bool("follow", false, "keep the replicas adding reactions and the crawler polling; the chart updates live")
	reset := fs.Bool("reset", false, "start over: drop the "+demo.Database+" database and the demo's crawl state first")
	seed := fs.Int64("seed", demo.DefaultSeed, "the data set's `SEED` (the same seed always gives the same data)")
	scale := fs.Float64("scale", 1, "multiply the number of generated reactions by `F` (about 4,600 items at 1)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *seed == 0:
		return usageErrorf("--seed 0: use a seed other than zero")
	case *scale <= 0 || *scale > 20:
		return usageErrorf("--scale %v: use a factor between 0 and 20", *scale)
	}
	refresh := 5 * time.Second
	if *follow {
		refresh = 2 * time.Second
	}
	stateDir := stateDirectory()
	dsn, err := defaultDSN(ctx, stateDir)
	if err != nil {
		return err
	}
	if dsn, err = store.WithDatabase(dsn, demo.Database); err != nil {
		return err
	}
	return demo.Run(ctx, demo.Config{
		Listen: *listen, Follow: *follow, Reset: *reset, Seed: *seed, Scale: *scale,
		StateDir: stateDir, DSN: dsn, Secret: os.Getenv(secretEnv), Stdout: stdout, Log: slog.Default(), Version: Version, Invocation: invocation(),
		Dashboard: func(ctx context.Context, st *store.Store, reg prometheus.Registerer) (http.Handler, error) {
			srv, err := dashboard.New(dashboard.Options{Store: st, Registerer: reg, Version: Version, BuiltinClassifier: stance.Default().Version(), Refresh: refresh, Logger: slog.Default()})
			if err != nil {
				return nil, err
			}
			if !srv.AssetsBuilt() {
				slog.Warn("dashboard assets not built: the page answers 500 until you run `make build`; the API works")
			}
			return srv, nil
		},
	})
}

// invocation is how the researcher ran this binary, with REACTIONS_HOME
// when it is set, for the commands the demo prints: "bin/reactions" as
// make demo runs it, "reactions" when it came from PATH (or go test).
func invocation() string {
	bin := "reactions"
	if a := os.Args[0]; strings.Contains(a, "/") && !strings.Contains(a, "go-build") {
		bin = a
	}
	if h := os.Getenv(homeEnv); h != "" {
		return homeEnv + "=" + shellWord(h) + " " + bin
	}
	return bin
}

// shellWord quotes s for a POSIX shell when it needs quoting.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
