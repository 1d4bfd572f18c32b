package crawler

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestRunClosesItsConnections: when a source run ends, its keep-alive
// connections to the site are closed, not left open until the idle timeout.
func TestRunClosesItsConnections(t *testing.T) {
	f := &fakePlatform{pageSize: 10}
	f.add(25)
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	f.srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	runs, err := Run(context.Background(), runConfig(t, &fakeAdapter{}), fakeStory(t, f.srv.URL), newMemSink(), Once)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Items != 25 {
		t.Fatalf("run: %+v", runs[0])
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(open)
		mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open after the run", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
