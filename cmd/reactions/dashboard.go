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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/dashboard"
)

func init() {
	register(command{
		name:    "dashboard",
		summary: "serve the dashboard, its JSON API, /metrics and /healthz: [--listen 127.0.0.1:8080]",
		run:     runDashboard,
	})
}

func runDashboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dashboard", "")
	listen := fs.String("listen", "127.0.0.1:8080", "serve on `ADDR` (host:port)")
	refresh := fs.Duration("refresh", 5*time.Second, "how often the app polls while a crawl runs")
	assets := fs.String("assets", "", "serve the web app from `DIR` (e.g. dashboard/web) instead of the embedded copy (development)")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if *refresh < time.Second {
		return usageErrorf("--refresh %s: use at least 1s", *refresh)
	}
	st, err := openDatabase(ctx, stateDirectory(), *database)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opt := dashboard.Options{Store: st, Registerer: reg, Version: Version, BuiltinClassifier: stance.Default().Version(), Refresh: *refresh, Logger: slog.Default()}
	if *assets != "" {
		if _, err := os.Stat(*assets); err != nil {
			return usageErrorf("--assets: %v", err)
		}
		opt.Assets = os.DirFS(*assets)
	}
	srv, err := dashboard.New(opt)
	if err != nil {
		return err
	}
	if !srv.AssetsBuilt() {
		slog.Warn("dashboard assets not built: the page answers 500 until you run `make build` (or sh dashboard/web/build.sh); the API works")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "reactions dashboard on http://%s/ (ClickHouse %s, database %s)\n", ln.Addr(), st.ServerVersion(), st.Database())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve dashboard: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop dashboard: %w", err)
	}
	return nil
}
