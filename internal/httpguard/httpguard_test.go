package httpguard

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDropUnreadBody: a body the handler left unread is not waited for
// (the answer goes out and the connection closes); a body read to its end
// leaves the connection as it was, and the next request on it is not
// cancelled.
func TestDropUnreadBody(t *testing.T) {
	var guarded http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		guarded.ServeHTTP(w, r)
		// Time for a read net/http runs in the background to fail, were
		// its deadline set: it would cancel the next request.
		time.Sleep(50 * time.Millisecond)
	}))
	defer srv.Close()
	guarded = DropUnreadBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/read":
			io.Copy(io.Discard, r.Body)
		case "/slow":
			time.Sleep(50 * time.Millisecond)
			if err := r.Context().Err(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ok")
	}))

	// A stalled body: the answer, then EOF.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the answer: %v, want the connection closed", err)
	}

	// Keep-alive after a body read to its end: the same connection serves
	// the next request, whose context is alive.
	conn2, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	conn2.SetReadDeadline(time.Now().Add(5 * time.Second))
	br2 := bufio.NewReader(conn2)
	fmt.Fprint(conn2, "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	for _, next := range []string{"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", ""} {
		resp, err := http.ReadResponse(br2, nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(b) != "ok" {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		fmt.Fprint(conn2, next)
	}
}
