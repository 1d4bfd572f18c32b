package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/store/chtest"
)

func TestDemoUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "extra"},
		{"demo", "--seed", "0"},
		{"demo", "--scale", "-1"},
		{"demo", "--no-such-flag"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
}

// lockedBuffer collects the demo's output from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoPopulatesTheDashboard runs "reactions demo" as a researcher
// would, with the real dashboard, and checks that its API answers non-zero
// support and criticism series within 60 seconds, that the story is marked
// as demo data with the agreement report, and that Ctrl-C stops it.
func TestDemoPopulatesTheDashboard(t *testing.T) {
	base, err := url.Parse(chtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("REACTIONS_CLICKHOUSE", base.String()) // the demo switches to its own database
	t.Setenv("REACTIONS_HOME", t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	start := time.Now()
	go func() { done <- run(ctx, []string{"demo", "--reset", "--listen", addr}, &out, &errb) }()

	get := func(path string, v any) error {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return json.Unmarshal(b, v)
	}
	var series struct {
		Totals struct{ Support, Criticism int64 } `json:"totals"`
	}
	for {
		err := get("/api/v1/series?story="+demo.StoryID+"&interval=1h", &series)
		if err == nil && series.Totals.Support > 0 && series.Totals.Criticism > 0 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("the demo exited with %d:\n%s\n%s", code, out.String(), errb.String())
		case <-time.After(300 * time.Millisecond):
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("no support and criticism after 60 s (last error %v):\n%s\n%s", err, out.String(), errb.String())
		}
	}
	t.Logf("support %d and criticism %d on the dashboard after %s", series.Totals.Support, series.Totals.Criticism, time.Since(start).Round(time.Millisecond))

	// The report arrives when the crawl ends.
	var stories struct {
		Stories []struct {
			ID         string `json:"id"`
			Demo       bool   `json:"demo"`
			DemoReport string `json:"demo_report"`
		} `json:"stories"`
	}
	for !strings.Contains(out.String(), "Ready in") {
		if time.Since(start) > 90*time.Second {
			t.Fatalf("the crawl did not finish:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := get("/api/v1/stories", &stories); err != nil {
		t.Fatal(err)
	}
	if len(stories.Stories) != 1 || !stories.Stories[0].Demo || !strings.Contains(stories.Stories[0].DemoReport, `"accuracy"`) {
		t.Errorf("stories: %+v", stories.Stories)
	}
	for _, want := range []string{"Dashboard: http://" + addr, "SOURCE", "Classifier agreement", "Ready in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after Ctrl-C:\n%s", code, errb.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the demo did not stop after Ctrl-C")
	}
}
