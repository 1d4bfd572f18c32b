package dashboard_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHostileClients: another method on a page that exists is 405 with
// Allow (404 elsewhere); and a client that sends the headers and a byte of
// a body, then nothing, gets its answer and a closed connection at once:
// the dashboard reads no request body, so it does not wait for one.
func TestHostileClients(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct {
		method, path string
		wantCode     int
		wantAllow    string
	}{
		{http.MethodPost, "/api/v1/series?story=jack-test", 405, "GET, HEAD"},
		{http.MethodDelete, "/api/v1/crawls", 405, "GET, HEAD"},
		{http.MethodPut, "/static/app.js", 405, "GET, HEAD"},
		{http.MethodPost, "/nope", 404, ""},
		{http.MethodHead, "/healthz", 200, ""},
	} {
		req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader("{}"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.wantCode || res.Header.Get("Allow") != tc.wantAllow {
			t.Errorf("%s %s: %d Allow %q %s, want %d Allow %q", tc.method, tc.path, res.StatusCode, res.Header.Get("Allow"), b, tc.wantCode, tc.wantAllow)
		}
	}

	for _, start := range []string{"POST /api/v1/series?story=jack-test", "GET /healthz"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", start)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s with a stalled body: no answer: %v", start, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		begin := time.Now()
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s with a stalled body: answered %d, then the connection %v after %v, want it closed at once",
				start, res.StatusCode, err, time.Since(begin).Round(time.Millisecond))
		}
	}
}
