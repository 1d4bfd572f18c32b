package replica

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// getJSON fetches u and decodes the body into a generic value.
func getJSON(t *testing.T, method, u string, hdr http.Header, body string) (int, http.Header, any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, u, err)
	}
	return resp.StatusCode, resp.Header, v
}

// at walks a decoded JSON value by keys and indexes: at(v, "data", "children", 0).
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not an object", path, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: no index %d in %T", path, k, v)
			}
			v = a[k]
		}
	}
	return v
}

func redditToken(t *testing.T, base string) http.Header {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/reddit/api/v1/access_token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("app", "secret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("token answer %+v, %v", tok, err)
	}
	return http.Header{"Authorization": {"bearer " + tok.AccessToken}}
}

// findThing returns the t1 with the id in a thread answer's nested listings.
func findThing(v any, id string) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		if d, ok := x["data"].(map[string]any); ok && d["id"] == id && x["kind"] == "t1" {
			return d
		}
		for _, c := range x {
			if f := findThing(c, id); f != nil {
				return f
			}
		}
	case []any:
		for _, c := range x {
			if f := findThing(c, id); f != nil {
				return f
			}
		}
	}
	return nil
}

func TestRedditAuth(t *testing.T) {
	ts := httptest.NewServer(New(NewDataset(redditFixture()...), Options{}))
	defer ts.Close()
	tokenURL := ts.URL + "/reddit/api/v1/access_token"
	tests := []struct {
		name     string
		id, sec  string
		body     string
		wantCode int
		wantKey  string
	}{
		{"good", "app", "secret", "grant_type=client_credentials", 200, "access_token"},
		{"rejected secret", "app", RedditRejectedSecret, "grant_type=client_credentials", 401, "message"},
		{"empty client id", "", "secret", "grant_type=client_credentials", 401, "message"},
		{"wrong grant", "app", "secret", "grant_type=password", 200, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{}
			req, _ := http.NewRequest("POST", tokenURL, nil)
			req.SetBasicAuth(tt.id, tt.sec)
			hdr.Set("Authorization", req.Header.Get("Authorization"))
			code, _, v := getJSON(t, "POST", tokenURL, hdr, tt.body)
			if code != tt.wantCode || at(t, v, tt.wantKey) == nil {
				t.Fatalf("got %d %v, want %d with %q", code, v, tt.wantCode, tt.wantKey)
			}
		})
	}
	// The OAuth API needs the bearer token; the anonymous .json API does not.
	if code, hdr, _ := getJSON(t, "GET", ts.URL+"/reddit/oauth/comments/j2t1b2.json", nil, ""); code != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d, want 401 with WWW-Authenticate", code)
	}
	if code, _, _ := getJSON(t, "GET", ts.URL+"/reddit/oauth/comments/j2t1b2.json", http.Header{"Authorization": {"bearer forged"}}, ""); code != 401 {
		t.Errorf("forged token: %d, want 401", code)
	}
	auth := redditToken(t, ts.URL)
	code, hdr, _ := getJSON(t, "GET", ts.URL+"/reddit/oauth/comments/j2t1b2.json", auth, "")
	if code != 200 || hdr.Get("X-Ratelimit-Remaining") == "" {
		t.Errorf("with token: %d (ratelimit headers %v), want 200 with X-Ratelimit-*", code, hdr)
	}
	if code, _, _ := getJSON(t, "GET", ts.URL+"/reddit/comments/j2t1b2.json", nil, ""); code != 200 {
		t.Errorf("anonymous .json: %d, want 200", code)
	}
}

// TestRedditShapes checks each shape the Reddit replica serves (escaping,
// threads, "continue this thread", morechildren, search paging, unknown
// threads) as a subtest. It is one long function on purpose: the subtests
// share one server, token and fixture index.
func TestRedditShapes(t *testing.T) {
	d := NewDataset(redditFixture()...)
	ts := httptest.NewServer(New(d, Options{}))
	defer ts.Close()
	auth := redditToken(t, ts.URL)
	api := ts.URL + "/reddit/oauth"
	get := func(path string, q url.Values) any {
		t.Helper()
		code, _, v := getJSON(t, "GET", api+path+"?"+q.Encode(), auth, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %v", path, code, v)
		}
		return v
	}
	items := map[string]Item{}
	for _, it := range d.Items(reaction.Reddit) {
		items[it.Text] = it
	}
	entity := items["HTML people: write &amp;amp; to show &amp; and 1 < 2 > 0 & <3"]

	t.Run("raw_json escaping", func(t *testing.T) {
		raw := findThing(get("/comments/j2rm5q.json", url.Values{"raw_json": {"1"}, "limit": {"500"}, "sort": {"old"}}), entity.Native)
		legacy := findThing(get("/comments/j2rm5q.json", url.Values{"limit": {"500"}, "sort": {"old"}}), entity.Native)
		if raw == nil || legacy == nil {
			t.Fatal("entity comment not in the first response")
		}
		if raw["body"] != entity.Text {
			t.Errorf("raw_json=1 body = %q, want %q", raw["body"], entity.Text)
		}
		if want := "HTML people: write &amp;amp;amp; to show &amp;amp; and 1 &lt; 2 &gt; 0 &amp; &lt;3"; legacy["body"] != want {
			t.Errorf("legacy body = %q, want %q", legacy["body"], want)
		}
		if h := raw["body_html"].(string); !strings.HasPrefix(h, `<div class="md"><p>HTML people: write &amp;amp;amp;`) {
			t.Errorf("raw body_html = %q", h)
		}
		if h := legacy["body_html"].(string); !strings.HasPrefix(h, `&lt;div class="md"&gt;&lt;p&gt;HTML people: write &amp;amp;amp;amp;`) {
			t.Errorf("legacy body_html = %q", h)
		}
	})

	t.Run("thread shape", func(t *testing.T) {
		v := get("/comments/j2rm5q.json", url.Values{"raw_json": {"1"}, "limit": {"500"}, "sort": {"old"}})
		if n := len(v.([]any)); n != 2 {
			t.Fatalf("thread answer has %d listings, want 2", n)
		}
		p := at(t, v, 0, "data", "children", 0)
		if at(t, p, "kind") != "t3" || at(t, p, "data", "name") != "t3_j2rm5q" || at(t, p, "data", "edited") == false {
			t.Errorf("post = %v", p)
		}
		if _, ok := at(t, p, "data", "created_utc").(float64); !ok {
			t.Error("created_utc is not a number")
		}
		top := at(t, v, 1, "data", "children").([]any)
		last := top[len(top)-1].(map[string]any)
		if last["kind"] != "more" || len(at(t, last, "data", "children").([]any)) == 0 {
			t.Errorf("last top-level child = %v, want a load-more stub", last["kind"])
		}
		for _, c := range top[:len(top)-1] {
			if at(t, c, "kind") != "t1" {
				t.Fatalf("a %v before the last child", at(t, c, "kind"))
			}
		}
		// Leaves have replies "", the edited comment a float, the deleted
		// comment with a reply "[deleted]", the deleted leaf is absent.
		var deletedWithReply, deletedLeaf, removedLeaf Item
		for _, it := range d.Items(reaction.Reddit) {
			switch it.Author {
			case "gone_user":
				deletedWithReply = it
			case "gone_leaf":
				deletedLeaf = it
			case "troll_2":
				removedLeaf = it
			}
		}
		if c := findThing(v, deletedWithReply.Native); c == nil || c["body"] != "[deleted]" || c["author"] != "[deleted]" || c["author_fullname"] != nil {
			t.Errorf("deleted comment with a reply = %v", c)
		}
		if c := findThing(v, deletedLeaf.Native); c != nil {
			t.Errorf("deleted leaf served: %v", c)
		}
		if c := findThing(v, removedLeaf.Native); c == nil || c["body"] != "[removed]" || c["replies"] != "" {
			t.Errorf("removed leaf = %v", c)
		}
		if c := findThing(v, items["Edit: fixed typo. Sending love."].Native); c == nil || c["edited"] == false {
			t.Errorf("edited comment = %v", c)
		}
	})

	t.Run("continue this thread", func(t *testing.T) {
		v := get("/comments/j2rm5q.json", url.Values{"raw_json": {"1"}, "limit": {"500"}, "sort": {"old"}})
		c9 := findThing(v, items["Reply 10 in a long back-and-forth."].Native)
		if c9 == nil || c9["depth"] != float64(9) {
			t.Fatalf("depth-9 comment = %v", c9)
		}
		stub := at(t, c9, "replies", "data", "children", 0)
		if at(t, stub, "kind") != "more" || at(t, stub, "data", "id") != "_" || at(t, stub, "data", "count") != float64(0) ||
			at(t, stub, "data", "parent_id") != "t1_"+c9["id"].(string) {
			t.Errorf("continue stub = %v", stub)
		}
		sub := get("/comments/j2rm5q/_/"+c9["id"].(string)+".json", url.Values{"raw_json": {"1"}})
		if first := at(t, sub, 1, "data", "children", 0, "data"); at(t, first, "id") != c9["id"] || at(t, first, "depth") != float64(0) {
			t.Errorf("sub-thread starts with %v", first)
		}
		// An unknown comment id silently serves the whole thread.
		whole := get("/comments/j2rm5q/_/zzzzzz.json", url.Values{"raw_json": {"1"}})
		if at(t, whole, 1, "data", "children", 0, "data", "parent_id") != "t3_j2rm5q" {
			t.Error("unknown sub-thread did not fall back to the thread")
		}
	})

	t.Run("morechildren", func(t *testing.T) {
		v := get("/comments/j2rm5q.json", url.Values{"raw_json": {"1"}, "limit": {"500"}, "sort": {"old"}})
		top := at(t, v, 1, "data", "children").([]any)
		stub := at(t, top[len(top)-1], "data").(map[string]any)
		var ids []string
		for _, c := range stub["children"].([]any) {
			ids = append(ids, c.(string))
		}
		mc := get("/api/morechildren.json", url.Values{"api_type": {"json"}, "link_id": {"t3_j2rm5q"},
			"children": {strings.Join(ids[:min(100, len(ids))], ",")}, "limit_children": {"false"}, "sort": {"old"}, "raw_json": {"1"}})
		things := at(t, mc, "json", "data", "things").([]any)
		if len(things) == 0 {
			t.Fatal("morechildren returned nothing")
		}
		for _, th := range things {
			if at(t, th, "kind") == "t1" && at(t, th, "data", "replies") != "" {
				t.Fatal("morechildren things must be flat (replies \"\")")
			}
		}
		if errs := at(t, mc, "json", "errors").([]any); len(errs) != 0 {
			t.Errorf("errors = %v", errs)
		}
		many := make([]string, 101)
		for i := range many {
			many[i] = ids[0]
		}
		code, _, _ := getJSON(t, "GET", api+"/api/morechildren.json?"+url.Values{"api_type": {"json"}, "link_id": {"t3_j2rm5q"}, "children": {strings.Join(many, ",")}}.Encode(), auth, "")
		if code != 400 {
			t.Errorf("101 ids: %d, want 400", code)
		}
	})

	t.Run("search paging", func(t *testing.T) {
		var after string
		pages, total := 0, 0
		for {
			q := url.Values{"q": {"Teigen"}, "sort": {"new"}, "limit": {"100"}, "type": {"link"}, "raw_json": {"1"}}
			if after != "" {
				q.Set("after", after)
			}
			v := get("/search.json", q)
			pages++
			total += len(at(t, v, "data", "children").([]any))
			a := at(t, v, "data", "after")
			if a == nil {
				break
			}
			after = a.(string)
		}
		if pages != 3 || total != 235 {
			t.Errorf("search walked %d pages, %d results; want 3 and 235", pages, total)
		}
	})

	t.Run("unknown thread", func(t *testing.T) {
		code, _, v := getJSON(t, "GET", api+"/comments/zzzzzz.json", auth, "")
		if code != 404 || at(t, v, "error") != float64(404) {
			t.Errorf("unknown thread: %d %v", code, v)
		}
	})
}

func TestRedditExpect(t *testing.T) {
	d := NewDataset(redditFixture()...)
	byAuthor := map[string]Item{}
	for _, it := range d.Items(reaction.Reddit) {
		byAuthor[it.Author] = it
	}
	tests := []struct {
		author  string
		visible bool
		text    string
		deleted bool
		handle  string
	}{
		{"celebwatcher", true, "Chrissy Teigen and John Legend share the loss of their son Jack\n\nThey posted on Instagram & asked for privacy. Fans write <3 and \"we're with you\".\n\n(Mods: writing &amp; on purpose.)", false, "celebwatcher"},
		{"gone_user", true, "", true, ""},
		{"gone_leaf", false, "", false, ""},
		{"troll_2", true, "", true, ""},
		{"former_user", true, "I went through the same thing in 2019. It gets easier, slowly.", false, ""},
		{"rumour_mill", true, "", true, "rumour_mill"},
		{"former_poster", true, "John Legend thanks fans for support after loss", false, ""},
		{"downvoted", true, "This is all for attention.", false, "downvoted"},
	}
	for _, tt := range tests {
		t.Run(tt.author, func(t *testing.T) {
			r := redditExpect(d, byAuthor[tt.author])
			if (r.ID != "") != tt.visible {
				t.Fatalf("visible = %v, want %v", r.ID != "", tt.visible)
			}
			if !tt.visible {
				return
			}
			it := byAuthor[tt.author]
			if r.Text != tt.text || r.Deleted != tt.deleted || r.Author != tt.handle || r.Likes != it.Likes {
				t.Errorf("got text %q deleted %v author %q likes %d (want the score as served, %d)", r.Text, r.Deleted, r.Author, r.Likes, it.Likes)
			}
			if r.IsRoot != (it.Thread == "") {
				t.Errorf("is_root %v for a %s", r.IsRoot, map[bool]string{true: "post", false: "comment"}[it.Thread == ""])
			}
			if !strings.HasPrefix(r.URL, RedditWebOrigin+"/r/") || r.CreatedAt.Location() != time.UTC {
				t.Errorf("url %q, created %v", r.URL, r.CreatedAt)
			}
		})
	}
}
