package replica

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

func TestHackerNewsShapes(t *testing.T) {
	d := NewDataset(hnFixture()...)
	ts := httptest.NewServer(New(d, Options{}))
	defer ts.Close()
	api := ts.URL + "/hackernews/api/v1"
	get := func(path string, q url.Values) (int, any) {
		t.Helper()
		code, _, v := getJSON(t, "GET", api+path+"?"+q.Encode(), nil, "")
		return code, v
	}

	t.Run("items tree", func(t *testing.T) {
		code, v := get("/items/24651234", nil)
		if code != 200 || at(t, v, "type") != "story" || at(t, v, "parent_id") != nil || at(t, v, "text") != nil {
			t.Fatalf("story = %d %v", code, v)
		}
		if s := at(t, v, "created_at").(string); !strings.HasSuffix(s, ".000Z") {
			t.Errorf("items created_at %q, want milliseconds", s)
		}
		var deleted, entity map[string]any
		var walk func(n any)
		walk = func(n any) {
			m := n.(map[string]any)
			if m["author"] == nil && m["text"] == nil && m["type"] == "comment" && len(m["children"].([]any)) > 0 {
				deleted = m
			}
			if s, _ := m["text"].(string); strings.Contains(s, "&amp;amp;amp;") {
				entity = m
			}
			for _, c := range m["children"].([]any) {
				walk(c)
			}
		}
		walk(v)
		if deleted == nil {
			t.Errorf("no deleted comment with replies in the tree")
		}
		if entity == nil || !strings.Contains(entity["text"].(string), "it&#x27;s &amp;amp;amp;") {
			t.Errorf("entity comment = %v", entity)
		}
		if code, v := get("/items/1", nil); code != 404 || at(t, v, "error") == nil {
			t.Errorf("unknown item: %d %v", code, v)
		}
	})

	t.Run("hit shapes", func(t *testing.T) {
		_, v := get("/search_by_date", url.Values{"tags": {"comment,story_24651234"}, "hitsPerPage": {"2"}})
		for _, k := range []string{"hits", "nbHits", "page", "nbPages", "hitsPerPage", "exhaustiveNbHits", "processingTimeMS", "query", "params"} {
			if _, ok := v.(map[string]any)[k]; !ok {
				t.Errorf("answer has no %q", k)
			}
		}
		h := at(t, v, "hits", 0).(map[string]any)
		if _, ok := h["objectID"].(string); !ok || h["comment_text"] == nil || h["story_id"] != float64(24651234) {
			t.Errorf("comment hit = %v", h)
		}
		if s := h["created_at"].(string); strings.Contains(s, ".000") {
			t.Errorf("hit created_at %q, want whole seconds", s)
		}
		tags := h["_tags"].([]any)
		if tags[0] != "comment" || !strings.HasPrefix(tags[1].(string), "author_") || tags[2] != "story_24651234" {
			t.Errorf("_tags = %v", tags)
		}
		_, v = get("/search_by_date", url.Values{"tags": {"comment,story_24651234"}, "hitsPerPage": {"1000"}})
		for _, h := range at(t, v, "hits").([]any) {
			if h.(map[string]any)["author"] == "someone" {
				t.Error("a deleted comment is in search results")
			}
		}
		_, v = get("/search", url.Values{"query": {"teigen"}, "tags": {"story"}})
		s := at(t, v, "hits", 0).(map[string]any)
		if s["title"] == nil || s["num_comments"] == nil || s["children"] == nil || s["points"] == nil {
			t.Errorf("story hit = %v", s)
		}
	})

	t.Run("tags and numeric filters", func(t *testing.T) {
		tests := []struct {
			name string
			q    url.Values
			want int
		}{
			{"or-group of stories", url.Values{"tags": {"comment,(story_24651234,story_24651300)"}}, 14},
			{"one story", url.Values{"tags": {"comment,story_24651300"}}, 3},
			{"query", url.Values{"query": {"Teigen"}, "tags": {"story"}}, 2},
			{"numeric range", url.Values{"tags": {"comment,story_24651234"}, "numericFilters": {"created_at_i>1601524860,created_at_i<=1601524920"}}, 2},
			{"author tag", url.Values{"tags": {"author_yuki"}}, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.Set("hitsPerPage", "1000")
				_, v := get("/search_by_date", tt.q)
				if n := len(at(t, v, "hits").([]any)); n != tt.want || at(t, v, "nbHits") != float64(tt.want) {
					t.Errorf("%d hits (nbHits %v), want %d", n, at(t, v, "nbHits"), tt.want)
				}
			})
		}
		if code, _ := get("/search_by_date", url.Values{"numericFilters": {"created_at_i~5"}}); code != 400 {
			t.Errorf("bad numericFilters: %d, want 400", code)
		}
	})

	t.Run("1000-hit cap", func(t *testing.T) {
		q := url.Values{"query": {HNWalkBackQuery}, "tags": {"story"}, "hitsPerPage": {"300"}}
		_, v := get("/search_by_date", q)
		if at(t, v, "nbHits") != float64(2500) || at(t, v, "nbPages") != float64(4) {
			t.Errorf("page 0: nbHits %v nbPages %v, want 2500 and 4", at(t, v, "nbHits"), at(t, v, "nbPages"))
		}
		q.Set("page", "3")
		_, v = get("/search_by_date", q)
		if n := len(at(t, v, "hits").([]any)); n != 100 {
			t.Errorf("page 3 has %d hits, want the 100 left under the cap", n)
		}
		q.Set("page", "4")
		_, v = get("/search_by_date", q)
		if len(at(t, v, "hits").([]any)) != 0 || at(t, v, "nbHits") != float64(0) || at(t, v, "message") == nil {
			t.Errorf("beyond the cap: %v", v)
		}
	})
}

func TestHackerNewsText(t *testing.T) {
	tests := []struct{ in, html, plain string }{
		{"a\n\nb", "a<p>b", "a\n\nb"},
		{"it's \"x\" & y/z <3", "it&#x27;s &quot;x&quot; &amp; y&#x2F;z &lt;3", `it's "x" & y/z <3`},
		{"see https://e.com/a.", `see <a href="https:&#x2F;&#x2F;e.com&#x2F;a" rel="nofollow">https:&#x2F;&#x2F;e.com&#x2F;a</a>.`, "see https://e.com/a."},
		{"line one\nline two\n\n\n  next ", "line one line two<p>next", "line one line two\n\nnext"},
	}
	for _, tt := range tests {
		if got := hnHTML(tt.in); got != tt.html {
			t.Errorf("hnHTML(%q) = %q, want %q", tt.in, got, tt.html)
		}
		if got := hnPlain(tt.in); got != tt.plain {
			t.Errorf("hnPlain(%q) = %q, want %q", tt.in, got, tt.plain)
		}
	}
	long := "https://www.example.com/" + strings.Repeat("x", 80)
	if h := hnHTML(long); !strings.Contains(h, "xxx...</a>") {
		t.Errorf("long link not cut: %q", h)
	}
	d := NewDataset(hnFixture()...)
	for _, it := range d.Items(reaction.HackerNews) {
		r := hnExpect(d, it)
		if it.Deleted && (r.Text != "" || r.Author != "" || !r.Deleted) {
			t.Errorf("deleted %s: %+v", it.Native, r)
		}
		if it.Thread != "" && r.Likes != 0 {
			t.Errorf("comment %s has likes %d", it.Native, r.Likes)
		}
	}
}

// TestUpdateBetweenCrawls: an item edited, then deleted, is served so at
// the next request, as the platform would between two crawls.
func TestUpdateBetweenCrawls(t *testing.T) {
	items := hnFixture()
	var c Item
	for _, it := range items {
		if it.Parent != "" && !it.Deleted {
			c = it
			break
		}
	}
	d := NewDataset(items...)
	ts := httptest.NewServer(New(d, Options{}))
	defer ts.Close()
	item := func() map[string]any {
		t.Helper()
		code, _, v := getJSON(t, "GET", ts.URL+"/hackernews/api/v1/items/"+c.Native, nil, "")
		if code != 200 {
			t.Fatalf("item %s: %d", c.Native, code)
		}
		return v.(map[string]any)
	}
	if !d.Update(reaction.HackerNews, c.Native, func(it *Item) { it.Text = "Edited: " + it.Text }) {
		t.Fatal("the item is not in the dataset")
	}
	if v := item(); !strings.Contains(v["text"].(string), "Edited: ") || v["author"] != c.Author {
		t.Errorf("edited: %v", v)
	}
	d.Update(reaction.HackerNews, c.Native, func(it *Item) { it.Deleted = true })
	if v := item(); v["text"] != nil || v["author"] != nil {
		t.Errorf("deleted: %v", v)
	}
	if d.Update(reaction.HackerNews, "no-such-item", func(*Item) {}) {
		t.Error("an item that does not exist was updated")
	}
}
