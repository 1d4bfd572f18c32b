package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

func init() {
	register(command{
		name:    "healthcheck",
		summary: "exit 0 if a component's /healthz answers 200 (for containers without curl)",
		run:     runHealthcheck,
	})
}

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", "")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for an answer")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("want one URL, e.g. http://127.0.0.1:8081/healthz")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return usageErrorf("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: HTTP %d: %s", resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "%s\n", body)
	return nil
}
