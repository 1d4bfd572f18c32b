package aggregator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestBadInput sends malformed lines, invalid UTF-8, oversized and broken
// bodies: each gets its documented answer, the good lines around bad ones
// are kept, and so are the reactions with a bad side field (repaired and
// counted): only a bad identifying field or a line that is no reaction is
// rejected.
func TestBadInput(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, func(c *aggregator.Config) { c.MaxLineBytes = 4096 })
	h.putStory(testStory(t))
	metrics := h.srv.URL + "/metrics"

	malformed, err := os.ReadFile("testdata/malformed.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	good := ndjson(t, makeReactions(3))
	longLine := append(append([]byte(nil), good[:bytes.IndexByte(good, '\n')+1]...),
		append(bytes.Repeat([]byte("x"), 5000), '\n')...)
	longLine = append(longLine, good[bytes.IndexByte(good, '\n')+1:]...)
	// 50 MB of valid NDJSON: over the 32 MiB default limit.
	var big bytes.Buffer
	for big.Len() < 50<<20 {
		big.Write(good)
	}
	bigGz := gzipBytes(big.Bytes()) // a few hundred KB that decompress to 50 MB
	brokenGz := gzipBytes(good)
	truncatedGz := brokenGz[:len(brokenGz)-10]
	corruptGz := append([]byte(nil), brokenGz...)
	corruptGz[len(corruptGz)/2] ^= 0xff

	cases := []struct {
		name        string
		contentType string
		encoding    string
		body        []byte
		wantCode    int
		wantError   string // substring of the error answer
		golden      string // compare the answer with testdata/<golden>
		wantStored  int    // reactions stored after this case (cumulative)
	}{
		{name: "malformed lines", contentType: "application/x-ndjson", body: malformed,
			wantCode: 200, golden: "malformed.golden.json", wantStored: 8},
		{name: "malformed lines gzip", contentType: "application/x-ndjson; charset=utf-8", encoding: "gzip", body: gzipBytes(malformed),
			wantCode: 200, golden: "malformed-again.golden.json", wantStored: 8},
		{name: "line too long", contentType: "application/x-ndjson", body: longLine,
			wantCode: 200, golden: "long-line.golden.json", wantStored: 11},
		{name: "wrong content type", contentType: "text/plain", body: good,
			wantCode: 415, wantError: `Content-Type "text/plain" is not supported`, wantStored: 11},
		{name: "no content type", body: good,
			wantCode: 415, wantError: "application/x-ndjson", wantStored: 11},
		{name: "unsupported encoding", contentType: "application/x-ndjson", encoding: "br", body: good,
			wantCode: 415, wantError: `Content-Encoding "br" is not supported`, wantStored: 11},
		{name: "50 MB body", contentType: "application/x-ndjson", body: big.Bytes(),
			wantCode: 413, wantError: "larger than 33554432 bytes (32 MiB)", wantStored: 11},
		{name: "50 MB after decompression", contentType: "application/x-ndjson", encoding: "gzip", body: bigGz,
			wantCode: 413, wantError: "larger than 33554432 bytes (32 MiB) after decompression", wantStored: 11},
		{name: "truncated gzip", contentType: "application/x-ndjson", encoding: "gzip", body: truncatedGz,
			wantCode: 400, wantError: "not valid gzip", wantStored: 11},
		{name: "corrupt gzip", contentType: "application/x-ndjson", encoding: "gzip", body: corruptGz,
			wantCode: 400, wantError: "not valid gzip", wantStored: 11},
		{name: "not gzip at all", contentType: "application/x-ndjson", encoding: "gzip", body: good,
			wantCode: 400, wantError: "not valid gzip", wantStored: 11},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.do(http.MethodPost, "/api/v1/reactions", tc.contentType, tc.encoding, tc.body)
			if code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", code, tc.wantCode, body)
			}
			if tc.wantError != "" {
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tc.wantError) {
					t.Fatalf("answer %s, want an error containing %q", body, tc.wantError)
				}
			}
			if tc.golden != "" {
				checkAnswer(t, tc.golden, body)
			}
			if c := countAll(t, st, ""); c.items != int64(tc.wantStored) || c.minutes != int64(tc.wantStored) {
				t.Fatalf("stored %+v, want %d", c, tc.wantStored)
			}
		})
	}
	// The rejections are counted by bounded reason, the repairs by field.
	for reason, want := range map[string]float64{"json": 6, "utf8": 0, "time": 6, "invalid": 6, "unknown_story": 2, "too_long": 1} {
		if v := metricSum(t, metrics, "reactions_aggregator_rejected_total", map[string]string{"reason": reason}); v != want {
			t.Errorf("rejected_total{reason=%q} = %v, want %v", reason, v, want)
		}
	}
	for field, want := range map[string]float64{"author": 2, "likes": 2, "text": 2, "lang": 0} {
		if v := metricSum(t, metrics, "reactions_aggregator_repaired_total", map[string]string{"field": field}); v != want {
			t.Errorf("repaired_total{field=%q} = %v, want %v", field, v, want)
		}
	}
	// What the repaired and the signed reactions look like once stored.
	stored := map[string]reaction.Reaction{}
	if err := st.CurrentReactions(context.Background(), "teigen-loss", func(r *reaction.Reaction) error { stored[r.ID] = *r; return nil }); err != nil {
		t.Fatal(err)
	}
	for id, ok := range map[string]func(r reaction.Reaction) bool{
		"reddit:t1_g5":  func(r reaction.Reaction) bool { return r.Text == "So sorry for your loss, Chrissy \uFFFD\uFFFD" },
		"reddit:t1_g9":  func(r reaction.Reaction) bool { return r.Author == "" && r.Likes == 9 },
		"reddit:t1_g12": func(r reaction.Reaction) bool { return r.Likes == 0 && r.Text != "" },
		"reddit:t1_g16": func(r reaction.Reaction) bool { return r.Likes == -1 },
	} {
		if r, found := stored[id]; !found || !ok(r) {
			t.Errorf("%s stored as %+v (found %v)", id, r, found)
		}
	}
}

func checkAnswer(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("answer is not JSON: %s", got)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	pretty = append(pretty, '\n')
	golden.Check(t, "testdata/"+name, pretty)
}

func TestStoriesCrawlsAndToken(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, func(c *aggregator.Config) { c.Token = "s3cret-token" })
	base := h.srv.URL
	storyYAML, err := os.ReadFile("testdata/story.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run, _ := json.Marshal(reaction.CrawlRun{Story: storyID, Source: "reddit", Platform: reaction.Reddit, RunID: "r1", Status: reaction.RunRunning})
	badRun, _ := json.Marshal(reaction.CrawlRun{Story: "nope", Source: "reddit", Platform: reaction.Reddit, RunID: "r1"})
	cases := []struct {
		name, token, method, path, contentType string
		body                                   []byte
		wantCode                               int
		wantBody                               string
	}{
		{"reactions without token", "", "POST", "/api/v1/reactions", "application/x-ndjson", nil, 401, "bearer token"},
		{"story with wrong token", "wrong", "PUT", "/api/v1/stories/" + storyID, "application/yaml", storyYAML, 401, "bearer token"},
		{"crawl before story", "s3cret-token", "PUT", "/api/v1/crawls", "application/json", run, 400, `not registered: \"teigen-loss\": PUT /api/v1/stories/teigen-loss first`},
		{"story id mismatch", "s3cret-token", "PUT", "/api/v1/stories/other", "application/yaml", storyYAML, 400, `does not match the path`},
		{"story not valid", "s3cret-token", "PUT", "/api/v1/stories/" + storyID, "application/yaml", []byte("id: teigen-loss\nsubjekt: [x]\n"), 400, `unknown key \"subjekt\"`},
		{"story YAML", "s3cret-token", "PUT", "/api/v1/stories/" + storyID, "application/yaml", storyYAML, 200, `"stored":"clickhouse"`},
		{"crawl run", "s3cret-token", "PUT", "/api/v1/crawls", "application/json", run, 200, `"stored":"clickhouse"`},
		{"crawl run of unknown story", "s3cret-token", "PUT", "/api/v1/crawls", "application/json", badRun, 400, `not registered`},
		{"crawl run not JSON", "s3cret-token", "PUT", "/api/v1/crawls", "application/json", []byte("{"), 400, `not valid JSON`},
		{"reactions with token", "s3cret-token", "POST", "/api/v1/reactions", "application/x-ndjson", ndjson(t, makeReactions(2)), 200, `"accepted":2`},
		{"healthz needs no token", "", "GET", "/healthz", "", nil, 200, `"clickhouse":"ok"`},
		{"metrics need no token", "", "GET", "/metrics", "", nil, 200, `reactions_total{platform="hackernews",stance=`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := doHTTP(t, base, tc.token, tc.method, tc.path, tc.contentType, "", tc.body)
			if code != tc.wantCode || !strings.Contains(string(body), tc.wantBody) {
				t.Fatalf("%d %s\nwant %d and %q", code, body, tc.wantCode, tc.wantBody)
			}
		})
	}
	runs, err := st.CrawlRuns(context.Background(), storyID)
	if err != nil || len(runs) != 1 || runs[0].RunID != "r1" {
		t.Fatalf("crawl runs %+v %v", runs, err)
	}
}
