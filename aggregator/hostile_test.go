package aggregator_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

// stalledPost opens a raw connection to base and sends the headers of a
// POST of reactions and its first byte ("{"), then nothing: a sender that
// hangs, or an attacker.
func stalledPost(t *testing.T, base string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /api/v1/reactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000\r\n\r\n{")
	return conn
}

// TestStalledSendersDoNotStallIngest: two connections send the headers and
// one byte of a body, then nothing. Every other sender is still answered at
// once (bodies are read before they take one of the two parse slots), and
// the stalled ones get 408 once their pause passes BodyIdleTimeout.
func TestStalledSendersDoNotStallIngest(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, func(c *aggregator.Config) {
		c.MaxParallelParse = 2
		c.BodyIdleTimeout = 2 * time.Second
	})
	h.putStory(testStory(t))
	stalled := []net.Conn{stalledPost(t, h.srv.URL), stalledPost(t, h.srv.URL)}
	time.Sleep(200 * time.Millisecond) // the two are now inside the handler

	rs := makeReactions(50)
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 3; i++ {
		begin := time.Now()
		resp, err := client.Post(h.srv.URL+"/api/v1/reactions", "application/x-ndjson", bytes.NewReader(ndjson(t, rs[i*10:i*10+10])))
		if err != nil {
			t.Fatalf("POST %d beside two stalled senders: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"accepted":10`) {
			t.Fatalf("POST %d: %d %s", i, resp.StatusCode, body)
		}
		t.Logf("POST %d beside two stalled senders answered in %v", i, time.Since(begin).Round(time.Millisecond))
	}
	if hl := healthOf(t, h.srv.URL); hl.Status != "ok" || hl.ParseBusy != 0 {
		t.Errorf("healthz %+v: the stalled senders must hold no parse slot", hl)
	}

	// The stalled senders are cut off with a message that says why.
	for i, c := range stalled {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("stalled sender %d: no answer: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "1 bytes arrived, then nothing for 2s") {
			t.Errorf("stalled sender %d: %d %s", i, resp.StatusCode, b)
		}
		t.Logf("stalled sender %d: %d %s", i, resp.StatusCode, bytes.TrimSpace(b))
	}
	if c := countAll(t, st, ""); !c.all(30) {
		t.Errorf("stored %+v, want the 30 good reactions", c)
	}
	if v := metricSum(t, h.srv.URL+"/metrics", "reactions_aggregator_bodies_refused_total", map[string]string{"reason": "timeout"}); v != 2 {
		t.Errorf("bodies_refused_total{reason=timeout} = %v, want 2", v)
	}
}

// TestTricklingBodyIsCutOff: a body that keeps trickling in (a byte
// every 400 ms never trips the pause bound) is cut off once BodyTimeout
// has passed.
func TestTricklingBodyIsCutOff(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, func(c *aggregator.Config) {
		c.BodyTimeout = 2 * time.Second
		c.BodyIdleTimeout = time.Second
	})
	c := stalledPost(t, h.srv.URL)
	begin := time.Now()
	done := make(chan struct{})
	go func() { // a byte every 400 ms
		defer close(done)
		for i := 0; i < 20; i++ {
			time.Sleep(400 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "a body must arrive within 2s") {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	if d := time.Since(begin); d > 4*time.Second {
		t.Errorf("cut off after %v, want about 2s", d)
	}
	t.Logf("trickling sender after %v: %d %s", time.Since(begin).Round(100*time.Millisecond), resp.StatusCode, bytes.TrimSpace(b))
	c.Close()
	<-done
}

// blockingLabeler hangs in Classify on a text with "HANG" until released:
// a classifier stuck on one text. A request's new reactions are labelled
// while it holds its parse slot.
type blockingLabeler struct {
	release chan struct{}
	once    sync.Once
}

func (l *blockingLabeler) Classify(text, _ string) (reaction.Stance, float64) {
	if strings.Contains(text, "HANG") {
		<-l.release
	}
	return reaction.Neutral, 0.5
}

func (l *blockingLabeler) Version() string { return "blocking-test" }

func (l *blockingLabeler) unblock() { l.once.Do(func() { close(l.release) }) }

// TestHealthzReportsStalledIngest: while every parse slot is held with none
// given back for longer than StallAfter, /healthz answers 503 "degraded"
// and says why; once the slot is given back it is ok again.
func TestHealthzReportsStalledIngest(t *testing.T) {
	st := chtest.New(t)
	lab := &blockingLabeler{release: make(chan struct{})}
	h := start(t, st, func(c *aggregator.Config) {
		c.MaxParallelParse = 1
		c.StallAfter = 300 * time.Millisecond
		c.Labeler = lab
	})
	t.Cleanup(lab.unblock)
	h.putStory(testStory(t))
	rs := makeReactions(4)
	// Once a first request was written, the story's stored ids are known
	// and the next request's reactions are labelled in its parse slot.
	h.send(rs[:3])
	rs[3].Text = "HANG"
	hang := ndjson(t, rs[3:])
	posted := make(chan int, 1)
	go func() {
		resp, err := http.Post(h.srv.URL+"/api/v1/reactions", "application/x-ndjson", bytes.NewReader(hang))
		if err != nil {
			posted <- 0
			return
		}
		resp.Body.Close()
		posted <- resp.StatusCode
	}()
	deadline := time.Now().Add(10 * time.Second)
	var code int
	var body []byte
	for time.Now().Before(deadline) {
		code, body = doHTTP(t, h.srv.URL, "", http.MethodGet, "/healthz", "", "", nil)
		if code == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var hl aggregator.Health
	json.Unmarshal(body, &hl)
	if code != http.StatusServiceUnavailable || hl.Status != "degraded" || !strings.HasPrefix(hl.Ingest, "stalled: all 1 parse slots have been held for") {
		t.Fatalf("healthz while the only slot is stuck: %d %s", code, body)
	}
	t.Logf("healthz while stuck: %d %s", code, bytes.TrimSpace(body))
	lab.unblock()
	if c := <-posted; c != http.StatusOK {
		t.Fatalf("the stuck POST ended with %d", c)
	}
	if hl := healthOf(t, h.srv.URL); hl.Status != "ok" || hl.Ingest != "ok" {
		t.Errorf("healthz after the slot was given back: %+v", hl)
	}
}

// TestSmallHostileInputs: a lower-case bearer scheme is accepted, a
// byte-order mark at the start of the body or of a line is skipped, and
// times out of range are named so (also year 1, and 1990 at +14:00, which
// is 1989 in UTC); the good lines around them are stored.
func TestSmallHostileInputs(t *testing.T) {
	st := chtest.New(t)
	const token = "s3cret-token"
	h := start(t, st, func(c *aggregator.Config) { c.Token = token })
	body, _ := json.Marshal(testStory(t))
	if code, b := doHTTP(t, h.srv.URL, token, http.MethodPut, "/api/v1/stories/"+storyID, "application/json", "", body); code != 200 {
		t.Fatalf("PUT story: %d %s", code, b)
	}
	rs := makeReactions(6)
	line := func(i int) string { return strings.TrimSuffix(string(ndjson(t, rs[i:i+1])), "\n") }
	withTime := func(i int, created string) string {
		return strings.Replace(line(i), `"created_at":"`+rs[i].CreatedAt.Format(time.RFC3339)+`"`, `"created_at":"`+created+`"`, 1)
	}
	bom := "\xef\xbb\xbf"
	cases := []struct {
		name, auth, body string
		wantCode         int
		want             string // substring of the answer
	}{
		{"lower-case bearer", "bearer " + token, line(0) + "\n", 200, `"accepted":1`},
		{"upper-case BEARER", "BEARER " + token, line(1) + "\n", 200, `"accepted":1`},
		{"bearer with a wrong token", "bearer nope", line(1) + "\n", 401, "bearer token"},
		{"byte-order mark before the body and a line", "Bearer " + token, bom + line(2) + "\n" + bom + line(3) + "\n", 200, `"rejected":[]`},
		{"year 1 is out of range, not missing", "Bearer " + token, withTime(4, "0001-01-01T00:00:00Z") + "\n" + line(5) + "\n", 200,
			`"rejected":[{"line":1,"error":"created_at: 0001-01-01T00:00:00Z is out of range"}]`},
		{"1990 at +14:00 is 1989 in UTC", "Bearer " + token, withTime(4, "1990-01-01T00:00:00+14:00") + "\n", 200,
			`"rejected":[{"line":1,"error":"created_at: 1989-12-31T10:00:00Z is out of range (1990 to 2200)"}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/v1/reactions", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.Header.Set("Authorization", tc.auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || !strings.Contains(string(b), tc.want) {
				t.Fatalf("%d %s\nwant %d and %s", resp.StatusCode, b, tc.wantCode, tc.want)
			}
		})
	}
	// A crawl run body with a byte-order mark is read too.
	run, _ := json.Marshal(reaction.CrawlRun{Story: storyID, Source: "reddit", Platform: reaction.Reddit, RunID: "r1", Status: reaction.RunOK})
	if code, b := doHTTP(t, h.srv.URL, token, http.MethodPut, "/api/v1/crawls", "application/json", "", append([]byte(bom), run...)); code != 200 {
		t.Errorf("PUT crawl run with a byte-order mark: %d %s", code, b)
	}
	if c := countAll(t, st, ""); !c.all(5) {
		t.Errorf("stored %+v, want the 5 good reactions", c)
	}
}
