package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/aggregator/spool"
	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/story"
)

// localSinkOption adjusts the in-process aggregator of openLocalSink.
type localSinkOption func(*aggregator.Config)

// withKeepAuthors makes the in-process aggregator accept raw author handles:
// pass the crawl's --keep-authors, or it rejects every reaction whose
// author is not a pseudonym.
func withKeepAuthors(keep bool) localSinkOption {
	return func(c *aggregator.Config) { c.KeepAuthors = keep }
}

// withRegisterer registers the in-process aggregator's metrics on reg (by
// default they go to a registry of their own, not served).
func withRegisterer(reg prometheus.Registerer) localSinkOption {
	return func(c *aggregator.Config) { c.Registerer = reg }
}

// openLocalSink opens the in-process aggregator that "reactions crawl"
// uses without --aggregator: the same checks, labelling, exact dedup and
// spool as "reactions aggregate", writing to the default ClickHouse. The
// returned function flushes everything taken and closes the store.
func openLocalSink(ctx context.Context, stateDir string, st *story.Story, opts ...localSinkOption) (crawler.Sink, func() error, error) {
	s, err := openDefault(ctx, stateDir)
	if err != nil {
		return nil, nil, err
	}
	cfg := aggregator.Config{StateDir: stateDir, Registerer: prometheus.NewRegistry(), Logger: slog.Default(), Version: Version}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := aggregator.New(ctx, cfg, s)
	if err != nil {
		s.Close()
		if errors.Is(err, spool.ErrLocked) {
			return nil, nil, fmt.Errorf("%w: send to it with --aggregator URL instead", err)
		}
		return nil, nil, err
	}
	// The writer outlives ctx: on Ctrl-C the crawler still hands over what
	// it fetched, and close writes it.
	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(runCtx) }()
	closeFn := func() error {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err := a.Close(cctx)
		stopRun()
		if rerr := <-runDone; rerr != nil {
			err = errors.Join(err, rerr)
		}
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return err
	}
	return a, closeFn, nil
}
