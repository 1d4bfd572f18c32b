package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

func aggTestReactions(n int) []reaction.Reaction {
	p, _ := reaction.NewPseudonymizer([]byte("aggregate-test-secret-0123"), false)
	t0 := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	rs := make([]reaction.Reaction, n)
	for i := range rs {
		rs[i] = reaction.Reaction{Story: "teigen-loss", Platform: reaction.HackerNews,
			ID: reaction.MakeID(reaction.HackerNews, fmt.Sprint(24651300+i)), ParentID: "hackernews:24651234",
			RootID: "hackernews:24651234", CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			Author: p.Author(reaction.HackerNews, fmt.Sprint("user", i)), Text: fmt.Sprint("So sorry for your loss ", i)}
	}
	return rs
}

// TestAggregateCommand runs "reactions aggregate" on a test database: it
// serves, stores, and on cancellation (SIGTERM) finishes and exits 0.
func TestAggregateCommand(t *testing.T) {
	t.Setenv(dsnEnv, chtest.DSN(t))
	t.Setenv("REACTIONS_HOME", t.TempDir())
	t.Setenv(ingestTokenEnv, "cmd-test-token")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"aggregate", "--listen", addr, "--batch-size", "1000"}, &stdout, &stderr)
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			t.Fatalf("aggregate did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	storyYAML, _ := os.ReadFile("../../aggregator/testdata/story.yaml")
	do := func(method, path, ct string, body []byte) (int, string) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer cmd-test-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("PUT", "/api/v1/stories/teigen-loss", "application/yaml", storyYAML); code != 200 {
		t.Fatalf("PUT story: %d %s", code, body)
	}
	var nd bytes.Buffer
	for _, r := range aggTestReactions(20) {
		fmt.Fprintf(&nd, `{"story":%q,"platform":%q,"id":%q,"parent_id":%q,"created_at":%q,"author":%q,"text":%q}`+"\n",
			r.Story, r.Platform, r.ID, r.ParentID, r.CreatedAt.Format(time.RFC3339), r.Author, r.Text)
	}
	if code, body := do("POST", "/api/v1/reactions", "application/x-ndjson", nd.Bytes()); code != 200 || !strings.Contains(body, `"accepted":20`) {
		t.Fatalf("POST: %d %s", code, body)
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("aggregate did not stop")
	}
	// Reclassify (the aggregator has stopped, so the command may write).
	stdout.Reset()
	if code := run(context.Background(), []string{"reclassify", "--story", "teigen-loss"}, &stdout, &stderr); code != 0 {
		t.Fatalf("reclassify exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "20 reactions read") || !strings.Contains(stdout.String(), "hackernews") {
		t.Fatalf("reclassify printed %q", stdout.String())
	}
}

// TestLocalSink: the in-process aggregator of "reactions crawl" stores what
// it is sent, and its close function writes everything before returning.
func TestLocalSink(t *testing.T) {
	t.Setenv(dsnEnv, chtest.DSN(t))
	state := t.TempDir()
	ctx := context.Background()
	s, err := story.Load("../../aggregator/testdata/story.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sink, closeSink, err := openLocalSink(ctx, state, s)
	if err != nil {
		t.Fatal(err)
	}
	// One aggregator per state directory: a second one is refused.
	if _, _, err := openLocalSink(ctx, state, s); err == nil || !strings.Contains(err.Error(), "--aggregator URL") {
		t.Fatalf("second local sink: %v", err)
	}
	if err := sink.PutStory(ctx, s); err != nil {
		t.Fatal(err)
	}
	res, err := sink.Send(ctx, aggTestReactions(50))
	if err != nil || res.Accepted != 50 {
		t.Fatalf("send: %+v %v", res, err)
	}
	run := reaction.CrawlRun{Story: s.ID, Source: "hackernews", Platform: reaction.HackerNews, RunID: "r1", Status: reaction.RunOK}
	if err := sink.PutCrawlRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := closeSink(); err != nil {
		t.Fatal(err)
	}
	st, err := openDefault(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.Counts(ctx, s.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range counts[reaction.HackerNews] {
		n += m
	}
	if n != 50 {
		t.Fatalf("stored %d of 50", n)
	}
}
