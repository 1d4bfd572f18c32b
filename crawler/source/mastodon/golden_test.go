package mastodon

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// TestGolden crawls recorded payloads in the shapes Mastodon sends (a
// remote status with an ellipsis link, a reply with a content warning and
// a local account, a reply from a server that sends numeric ids and a
// null url) and compares the reactions with a golden file.
func TestGolden(t *testing.T) {
	files := map[string]string{
		"/api/v1/statuses/112590000000000050":         "testdata/status_112590000000000050.json",
		"/api/v1/statuses/112590000000000050/context": "testdata/context_112590000000000050.json",
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"Record not found"}`))
			return
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer ts.Close()
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Mastodon, BaseURL: ts.URL, Statuses: []string{"112590000000000050"}})
	h.Authors, _ = reaction.NewPseudonymizer(nil, true) // raw handles, readable golden file
	res := h.Run(&Adapter{}, fixtureNow)
	noErrors(t, res)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res.Emitted); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/context_112590000000000050.golden.json", buf.Bytes())
}

// TestMalformedStatus: one unreadable status in a context costs only itself.
func TestMalformedStatus(t *testing.T) {
	st := `{"id": "1", "uri": "https://x.example/s/1", "url": null, "created_at": "2024-06-10T07:00:00.000Z", "in_reply_to_id": null,
	  "replies_count": 2, "favourites_count": 0, "content": "<p>root</p>", "account": {"acct": "a", "url": "https://x.example/@a"}}`
	ctxBody := `{"ancestors": [], "descendants": [
	  {"id": "2", "uri": "https://x.example/s/2", "created_at": 12345, "in_reply_to_id": "1", "content": "<p>lost</p>", "account": {"acct": "b"}},
	  {"id": "3", "uri": "https://x.example/s/3", "created_at": "2024-06-10T07:05:00.000Z", "in_reply_to_id": "1", "content": "<p>kept</p>", "account": {"acct": "c"}}]}`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/context") {
			w.Write([]byte(ctxBody))
			return
		}
		w.Write([]byte(st))
	}))
	defer ts.Close()
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Mastodon, BaseURL: ts.URL, Statuses: []string{"1"}})
	res := h.Run(&Adapter{}, fixtureNow)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Emitted) != 2 || res.Emitted[1].Text != "kept" || res.Emitted[1].ParentID != "mastodon:https://x.example/s/1" {
		t.Errorf("emitted %+v, want the status and the readable reply", res.Emitted)
	}
	if len(res.Stats.Errors()) != 1 || !strings.HasPrefix(res.Stats.Errors()[0], "parse: ") {
		t.Errorf("errors %v, want one parse error", res.Stats.Errors())
	}
}
