package replica

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

var linkRe = regexp.MustCompile(`<([^>]+)>; rel="(next|prev)"`)

func TestMastodonShapes(t *testing.T) {
	items := mastodonFixture()
	d := NewDataset(items...)
	ts := httptest.NewServer(New(d, Options{}))
	defer ts.Close()
	api := ts.URL + "/mastodon/api/v1"
	native := func(author string) string {
		for _, it := range items {
			if it.Author == author {
				return it.Native
			}
		}
		t.Fatalf("no item by %s", author)
		return ""
	}

	t.Run("timeline paging by Link", func(t *testing.T) {
		u := api + "/timelines/tag/chrissyteigen?limit=40"
		var ids []string
		for pages := 0; u != ""; pages++ {
			code, hdr, v := getJSON(t, "GET", u, nil, "")
			if code != 200 || pages > 10 {
				t.Fatalf("GET %s: %d", u, code)
			}
			page := v.([]any)
			links := map[string]string{}
			for _, m := range linkRe.FindAllStringSubmatch(hdr.Get("Link"), -1) {
				links[m[2]] = m[1]
			}
			if len(page) == 0 {
				if hdr.Get("Link") != "" {
					t.Error("an empty page has a Link header")
				}
				break
			}
			if !strings.HasPrefix(links["next"], ts.URL+"/mastodon/api/v1/timelines/tag/") || !strings.Contains(links["next"], "limit=40") ||
				!strings.HasPrefix(links["prev"], ts.URL+"/") {
				t.Fatalf("Link = %q, want absolute URLs on the replica's host", hdr.Get("Link"))
			}
			for _, s := range page {
				ids = append(ids, at(t, s, "id").(string))
			}
			u = links["next"]
		}
		if len(ids) != 98 {
			t.Errorf("walked %d statuses, want 98", len(ids))
		}
		for i := 1; i < len(ids); i++ {
			if !mastodonLess(ids[i], ids[i-1]) {
				t.Fatalf("not newest first at %d", i)
			}
		}
		// min_id pages forward: the 5 statuses just above, newest first.
		_, hdr, v := getJSON(t, "GET", api+"/timelines/tag/ChrissyTeigen?limit=5&min_id="+ids[50], nil, "")
		page := v.([]any)
		if len(page) != 5 || at(t, page[4], "id") != ids[49] || at(t, page[0], "id") != ids[45] {
			t.Errorf("min_id page = %v…, want ids[45..49]", at(t, page[0], "id"))
		}
		if !strings.Contains(hdr.Get("Link"), "min_id="+ids[45]) {
			t.Errorf("prev link %q does not carry min_id of the newest", hdr.Get("Link"))
		}
		if code, _, v := getJSON(t, "GET", api+"/timelines/tag/nosuchtag", nil, ""); code != 404 || at(t, v, "error") != "Record not found" {
			t.Errorf("unknown tag: %d %v", code, v)
		}
	})

	t.Run("status shape", func(t *testing.T) {
		id := native("kaja@other.example")
		code, _, v := getJSON(t, "GET", api+"/statuses/"+id, nil, "")
		if code != 200 {
			t.Fatal(code)
		}
		s := v.(map[string]any)
		if s["uri"] != "https://other.example/users/kaja/statuses/"+id || s["url"] != "https://other.example/@kaja/"+id ||
			at(t, s, "account", "acct") != "kaja@other.example" || s["language"] != "de" || s["reblog"] != nil {
			t.Errorf("status = %v", s)
		}
		if _, ok := s["in_reply_to_id"].(string); !ok {
			t.Errorf("in_reply_to_id = %#v, want a string", s["in_reply_to_id"])
		}
		if c := s["content"].(string); c != "<p>Der Verlust trifft auch uns in Hamburg &amp; Bremen.<br />Viel Kraft.</p>" {
			t.Errorf("content = %q", c)
		}
		_, _, v = getJSON(t, "GET", api+"/statuses/"+native("linker"), nil, "")
		if c := at(t, v, "content").(string); !strings.Contains(c, `<span class="invisible">https://</span><span class="ellipsis">www.example.com/2020/10/01/chr</span><span class="invisible">`) {
			t.Errorf("link content = %q", c)
		}
		_, _, v = getJSON(t, "GET", api+"/statuses/"+native("calm_voice"), nil, "")
		if at(t, v, "in_reply_to_id") != nil || at(t, v, "in_reply_to_account_id") == nil {
			t.Errorf("reply to a deleted status: in_reply_to_id %v, account %v; want null and kept", at(t, v, "in_reply_to_id"), at(t, v, "in_reply_to_account_id"))
		}
		if code, _, v := getJSON(t, "GET", api+"/statuses/"+native("regretful"), nil, ""); code != 404 || at(t, v, "error") != "Record not found" {
			t.Errorf("deleted status: %d %v", code, v)
		}
	})

	t.Run("context limits", func(t *testing.T) {
		root := native("newsdesk")
		_, _, v := getJSON(t, "GET", api+"/statuses/"+root+"/context", nil, "")
		if n := len(at(t, v, "descendants").([]any)); n != 60 {
			t.Errorf("anonymous context: %d descendants, want 60", n)
		}
		_, _, v = getJSON(t, "GET", api+"/statuses/"+root+"/context", http.Header{"Authorization": {"Bearer user"}}, "")
		if n := len(at(t, v, "descendants").([]any)); n != 68 {
			t.Errorf("user context: %d descendants, want 68", n)
		}
		if code, _, _ := getJSON(t, "GET", api+"/statuses/"+root+"/context", http.Header{"Authorization": {"Bearer " + MastodonRejectedToken}}, ""); code != 401 {
			t.Errorf("refused token: %d, want 401", code)
		}
		var deepest string
		for _, it := range items {
			if it.Text == "Reply 25 in a long conversation." {
				deepest = it.Native
			}
		}
		_, _, v = getJSON(t, "GET", api+"/statuses/"+deepest+"/context", nil, "")
		anc := at(t, v, "ancestors").([]any)
		if len(anc) != 26 || at(t, anc[0], "id") != root || at(t, anc[0], "in_reply_to_id") != nil {
			t.Errorf("ancestors: %d from %v, want 26 from the root", len(anc), at(t, anc[0], "id"))
		}
	})
}

func TestMastodonText(t *testing.T) {
	tests := []struct{ in, plain string }{
		{"a\n\nb\nc", "a\n\nb\nc"},
		{"  spaced   out \n\n\n x ", "spaced out\n\nx"},
		{"cc @kaja@other.example and @local", "cc @kaja and @local"},
		{"mail a@b.example #tag x#y", "mail a@b.example #tag x#y"},
	}
	for _, tt := range tests {
		if got := mastodonPlain(tt.in); got != tt.plain {
			t.Errorf("mastodonPlain(%q) = %q, want %q", tt.in, got, tt.plain)
		}
	}
	if h := mastodonHTML("1 < 2 & it's \"ok\""); h != "<p>1 &lt; 2 &amp; it&#39;s &quot;ok&quot;</p>" {
		t.Errorf("escaping: %q", h)
	}
	d := NewDataset(mastodonFixture()...)
	for _, it := range d.Items(reaction.Mastodon) {
		r := mastodonExpect(d, it)
		if it.Deleted != (r.ID == "") {
			t.Errorf("%s: deleted %v but expect id %q", it.Native, it.Deleted, r.ID)
		}
		if r.ID != "" && (!strings.Contains(r.Author, "@") || r.RootID == "") {
			t.Errorf("%s: author %q root %q", it.Native, r.Author, r.RootID)
		}
	}
	if u, err := url.Parse(MastodonURI(Item{Native: "1", Author: "a"})); err != nil || u.Host != MastodonDomain {
		t.Errorf("uri host %v", u)
	}
}
