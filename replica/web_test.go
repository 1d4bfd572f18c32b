package replica

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

func webServer(t *testing.T) (*httptest.Server, *Dataset) {
	t.Helper()
	d := NewDataset(webFixture()...)
	ts := httptest.NewServer(New(d, Options{}))
	t.Cleanup(ts.Close)
	return ts, d
}

func fetch(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestWebPages checks each page kind the web replica serves.
func TestWebPages(t *testing.T) {
	ts, _ := webServer(t)
	const wp = "/web/2020/10/01/chrissy-teigen-john-legend-loss/"
	tests := []struct {
		name, path string
		wantCode   int
		want       []string // substrings of the body
		notWant    []string
	}{
		{"wordpress page 1", wp, 200, []string{
			`<ol class="comment-list">`, `<li id="comment-245501" class="comment even thread-even depth-1 parent">`,
			`<article id="div-comment-245501" class="comment-body">`, `<b class="fn">`, `<ol class="children">`,
			`<time datetime="2020-09-30T20:12:40-07:00">September 30, 2020 at 8:12 pm</time>`,
			`<div class="comment-content"><p>Heartbreaking. Sending love to Chrissy &amp; John.</p>`,
			`<a class="next page-numbers" href="` + ts.URL + wp + `?cpage=2#comments">Next</a>`,
			`Use &amp;amp; in HTML`, `This comment was removed by a moderator.`,
		}, []string{`comment-245511`, `class="prev page-numbers"`}},
		{"wordpress page 2", wp + "?cpage=2", 200, []string{`comment-245511`, `class="prev page-numbers"`}, []string{`comment-245501"`, `class="next page-numbers"`}},
		{"pretty comment page", strings.TrimSuffix(wp, "/") + "/comment-page-2/", 200, []string{`comment-245511`}, nil},
		{"page out of range", wp + "?cpage=3", 404, nil, nil},
		{"bad cpage", wp + "?cpage=x", 400, nil, nil},
		{"unknown article", "/web/2020/10/01/nothing-here/", 404, nil, nil},
		{"br-only paragraphs", "/web/world/2020/10/01/teigen-legend-reacciones/", 200, []string{`Mucho ánimo a la familia.<br>`, `<br>`}, []string{`<p>Qué`}},
		{"human dates", "/web/human/2020/10/02/legend-statement/", 200, []string{`<time>October 2, 2020 at 2:37 pm</time>`, `<time>2 hours ago</time>`, `comment-900001`}, []string{`datetime=`}},
		{"forum json-ld", "/web/forum/t/chrissy-teigen-and-john-legend-lose-baby/5512/", 200, []string{`<script type="application/ld+json">`, `"DiscussionForumPosting"`, `"creativeWorkStatus": "Deleted"`}, nil},
		{"graph json-ld", "/web/graph/2020/10/03/teigen-essay/", 200, []string{`"@graph"`, `"NewsArticle"`, `+02:00`}, nil},
		{"private", "/web/private/2020/10/01/draft/", 200, []string{`disallowed by robots.txt`}, nil},
		{"disqus", "/web/js/disqus/", 200, []string{`<div id="disqus_thread"></div>`, `embed.js`}, []string{`comment-list`}},
		{"unknown vendor", "/web/js/nope/", 404, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := fetch(t, ts.URL+tc.path)
			if code != tc.wantCode {
				t.Fatalf("GET %s = %d, want %d", tc.path, code, tc.wantCode)
			}
			if code == 200 && !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type = %q", hdr.Get("Content-Type"))
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body has %q", w)
				}
			}
		})
	}
}

// TestWebJSONLDIsValid: every JSON-LD block the replica serves is JSON.
func TestWebJSONLDIsValid(t *testing.T) {
	ts, d := webServer(t)
	re := regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	seen := map[string]bool{}
	for _, it := range d.Items(reaction.Web) {
		if seen[it.Thread] {
			continue
		}
		seen[it.Thread] = true
		_, _, body := fetch(t, ts.URL+"/web/"+it.Thread+"/")
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			var v any
			if err := json.Unmarshal([]byte(strings.ReplaceAll(m[1], `<\/`, `</`)), &v); err != nil {
				t.Errorf("%s: JSON-LD is not JSON: %v", it.Thread, err)
			}
		}
	}
}

// TestWebExpect checks Expect's ground truth: valid reactions with unique
// ids, threads that hang together, permalinks on the right comment page.
func TestWebExpect(t *testing.T) {
	d := NewDataset(webFixture()...)
	ids := map[string]bool{}
	var all []reaction.Reaction
	for _, it := range d.Items(reaction.Web) {
		r := WebExpect(WebExpectBase, d, it)
		r.Story = "s"
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", it.Native, err)
		}
		if ids[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		ids[r.ID] = true
		all = append(all, r)
	}
	for _, r := range all {
		if r.ParentID != "" && r.ParentID != r.RootID && !ids[r.ParentID] {
			t.Errorf("%s answers %s, which is not in the data set", r.ID, r.ParentID)
		}
		if r.Deleted && (r.Text != "" || r.Author != "") {
			t.Errorf("%s is deleted but keeps text or author", r.ID)
		}
	}
	const page = WebExpectBase + "/web/2020/10/01/chrissy-teigen-john-legend-loss/"
	for native, want := range map[string]string{
		"comment-245503": page + "#comment-245503",         // reply on page 1
		"comment-245510": page + "?cpage=2#comment-245510", // reply to the 6th thread: page 2
	} {
		it, _ := d.Get(reaction.Web, native)
		if got := WebExpect(WebExpectBase, d, it).URL; got != want {
			t.Errorf("URL of %s = %q, want %q", native, got, want)
		}
	}
	if r := Expected(d); len(r) != len(d.Items(reaction.Web)) {
		t.Errorf("Expected gives %d reactions for %d items", len(r), len(d.Items(reaction.Web)))
	}
}
