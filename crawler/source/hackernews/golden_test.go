package hackernews

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

// TestGolden crawls a recorded items/<id> payload (the shape Algolia
// sends, see docs/platforms.md: a deleted comment with author and text null that still has a
// reply, a timestamp without created_at_i, <p> paragraphs, <pre>, entities,
// a cut link) and compares the reactions with a golden file.
func TestGolden(t *testing.T) {
	body, err := os.ReadFile("testdata/items_41234567.json")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/items/41234567" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer ts.Close()
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.HackerNews, BaseURL: ts.URL + "/api/v1", Stories: []string{"41234567"}})
	authors, _ := reaction.NewPseudonymizer(nil, true) // raw handles, readable golden file
	h.Authors = authors
	res := h.Run(&Adapter{}, fixtureNow)
	noErrors(t, res)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res.Emitted); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/items_41234567.golden.json", buf.Bytes())
}

// TestMalformedNode: one unreadable reply costs only its own subtree.
func TestMalformedNode(t *testing.T) {
	body := `{"id": 1, "created_at_i": 1718002700, "type": "story", "author": "a", "title": "T", "text": null, "points": 1,
	  "parent_id": null, "story_id": 1, "children": [
	    {"id": "not-a-number", "created_at_i": 1718002800, "type": "comment", "author": "b", "text": "lost", "children": []},
	    {"id": 3, "created_at_i": 1718002900, "type": "comment", "author": "c", "text": "kept", "parent_id": 1, "story_id": 1, "children": []}]}`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
	defer ts.Close()
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.HackerNews, BaseURL: ts.URL, Stories: []string{"1"}})
	res := h.Run(&Adapter{}, fixtureNow)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Emitted) != 2 || res.Emitted[1].Text != "kept" {
		t.Errorf("emitted %v, want the story and the readable reply", res.Emitted)
	}
	if len(res.Stats.Errors()) != 1 || !strings.HasPrefix(res.Stats.Errors()[0], "parse: ") {
		t.Errorf("errors %v, want one parse error", res.Stats.Errors())
	}
}
