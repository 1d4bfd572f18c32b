package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
)

func init() {
	register(command{
		name:    "replica",
		summary: "serve local replicas of every platform's API: --listen ADDR [--data test|demo]",
		run:     runReplica,
	})
}

// demoDataset returns the demo data set; the demo package provides it.
var demoDataset func() (*replica.Dataset, error)

func runReplica(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replica", "")
	listen := fs.String("listen", "127.0.0.1:9000", "listen on `ADDR`")
	data := fs.String("data", "test", "data set: test (every platform's edge cases) or demo")
	every := fs.Int("rate-limit-every", 0, "answer every `N`th request to a platform with HTTP 429 and Retry-After (0: never)")
	retryAfter := fs.Duration("retry-after", time.Second, "the wait the 429 answers ask for")
	forbidden := fs.String("forbidden", "", "comma-separated `PLATFORMS` that answer 403 to everything")
	latency := fs.Duration("latency", 0, "delay every platform response by this much")
	live := fs.Duration("live", 0, "every `INTERVAL`, publish on the Bluesky Jetstream a reply to one of the data set's Bluesky threads and a few unrelated posts (0: publish nothing)")
	replay := fs.Duration("jetstream-replay", replica.DefaultJetstreamReplay, "how far back the Bluesky Jetstream replays from a cursor")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if *every < 0 {
		return usageErrorf("--rate-limit-every must be 0 or more")
	}
	if *live < 0 || *replay <= 0 {
		return usageErrorf("--live must be 0 or more and --jetstream-replay more than 0")
	}
	opts := replica.Options{RateLimitEvery: *every, RetryAfter: *retryAfter, Latency: *latency, JetstreamReplay: *replay}
	for _, p := range strings.Split(*forbidden, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !reaction.Platform(p).Valid() {
			return usageErrorf("--forbidden: %q is not a platform", p)
		}
		opts.Forbidden = append(opts.Forbidden, reaction.Platform(p))
	}
	var d *replica.Dataset
	switch *data {
	case "test":
		d = replica.TestDataset()
	case "demo":
		if demoDataset == nil {
			return errors.New("--data demo is not available yet in this build: use --data test")
		}
		var err error
		if d, err = demoDataset(); err != nil {
			return err
		}
	default:
		return usageErrorf("--data: %q is not one of test, demo", *data)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	rs := replica.New(d, opts)
	srv := &http.Server{Handler: rs, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "replicas of %d items listening on %s\n", len(d.Items("")), base)
	names := make([]string, 0, len(replica.Platforms()))
	for p := range replica.Platforms() {
		names = append(names, string(p))
	}
	sort.Strings(names)
	for _, n := range names {
		p := replica.Platforms()[reaction.Platform(n)]
		u := replica.BaseURLFor(p.Name, base+strings.TrimSuffix(p.Prefix, "/"))
		switch p.Name {
		case reaction.Web:
			fmt.Fprintf(stdout, "  %-11s pages under %s/\n", n, u)
		case reaction.Reddit:
			fmt.Fprintf(stdout, "  %-11s base_url: %s  token_url: %s\n", n, u, base+"/reddit/api/v1/access_token")
		case reaction.Bluesky:
			fmt.Fprintf(stdout, "  %-11s base_url: %s  jetstream_url: %s\n", n, u, "ws"+strings.TrimPrefix(base, "http")+"/bluesky/subscribe")
		default:
			fmt.Fprintf(stdout, "  %-11s base_url: %s\n", n, u)
		}
	}
	fmt.Fprintf(stdout, "  robots.txt  %s/robots.txt disallows /web/private/\n", base)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if *live > 0 {
		done := make(chan struct{})
		defer func() { <-done }()
		go func() {
			defer close(done)
			publishLive(ctx, rs, *live)
		}()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// publishLive publishes, every interval until ctx ends, a reply to one of
// the data set's Bluesky threads (in turn) and a few unrelated posts on
// the replica's Jetstream.
func publishLive(ctx context.Context, rs *replica.Server, every time.Duration) {
	var roots []replica.Item
	for _, it := range rs.Data.Items(reaction.Bluesky) {
		if it.Parent == "" && !it.Deleted {
			roots = append(roots, it)
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now().UTC()
		if len(roots) > 0 {
			root := roots[i%len(roots)]
			rs.Jetstream().Create(replica.Item{Platform: reaction.Bluesky, Native: replica.BlueskyTID(now, uint(i%1024)),
				Thread: root.Native, Parent: root.Native, Author: fmt.Sprintf("live%d.bsky.social", i%13),
				Text: fmt.Sprintf("Thinking of you both (live %d).", i), CreatedAt: now, Lang: "en"})
		}
		rs.Jetstream().Noise(3, now)
	}
}
