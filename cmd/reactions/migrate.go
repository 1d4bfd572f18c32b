package main

import (
	"context"
	"fmt"
	"io"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/localch"
)

func init() {
	register(command{
		name:    "migrate",
		summary: "apply the ClickHouse schema (every command does this on start) and show its state",
		run:     runMigrate,
	})
	register(command{
		name:    "clickhouse",
		summary: "manage the local ClickHouse server: status | stop",
		run:     runClickHouse,
	})
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	s, err := openDefault(ctx, stateDirectory())
	if err != nil {
		return err
	}
	defer s.Close()
	vs, err := s.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ClickHouse %s, database %s, migrations applied: %v\n", s.ServerVersion(), s.Database(), vs)
	return nil
}

func runClickHouse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if helpAsked(args) {
		fmt.Fprint(stdout, "Usage: reactions clickhouse status | stop\n\n"+
			"status: whether the ClickHouse server every command uses answers, and its version.\n"+
			"stop: stop the local server under the state directory (its data stays).\n")
		return errHelp
	}
	if len(args) != 1 {
		return usageErrorf("want one of: status, stop")
	}
	dir := stateDirectory() + "/clickhouse"
	switch args[0] {
	case "status":
		dsn, err := defaultDSN(ctx, stateDirectory())
		if err != nil {
			return err
		}
		s, err := store.Open(ctx, dsn, store.Options{NoMigrate: true})
		if err != nil {
			return err
		}
		defer s.Close()
		fmt.Fprintf(stdout, "ClickHouse %s reachable at %s\n", s.ServerVersion(), store.RedactDSN(dsn))
		return nil
	case "stop":
		if err := localch.Stop(dir); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "local ClickHouse stopped (data kept in", dir+")")
		return nil
	}
	return usageErrorf("unknown action %q: want status or stop", args[0])
}
