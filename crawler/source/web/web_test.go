package web_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	_ "github.com/reactions-research/reactions/crawler/source/web"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// webThreads returns the distinct threads of the web items of d, in order.
func webThreads(d *replica.Dataset) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range d.Items(reaction.Web) {
		if !seen[it.Thread] {
			seen[it.Thread] = true
			out = append(out, it.Thread)
		}
	}
	return out
}

// compareWithExpect checks that got holds exactly one reaction per item of
// d, equal to the replica's Expect (authors pseudonymised), and nothing else.
func compareWithExpect(t *testing.T, base string, d *replica.Dataset, got []reaction.Reaction) {
	t.Helper()
	authors := newAuthors(t)
	byID := map[string]reaction.Reaction{}
	for _, r := range got {
		if _, dup := byID[r.ID]; dup {
			t.Errorf("reaction %s emitted twice", r.ID)
		}
		byID[r.ID] = r
		if err := withStory(r).Validate(); err != nil {
			t.Errorf("reaction %s is invalid: %v", r.ID, err)
		}
	}
	want := map[string]bool{}
	for _, it := range d.Items(reaction.Web) {
		exp := replica.WebExpect(base, d, it)
		exp.Author = authors.Author(reaction.Web, exp.Author)
		want[exp.ID] = true
		g, ok := byID[exp.ID]
		if !ok {
			t.Errorf("missing %s (item %s)", exp.ID, it.Native)
			continue
		}
		if diff := diffReaction(exp, g); diff != "" {
			t.Errorf("reaction %s differs from Expect:\n%s", exp.ID, diff)
		}
	}
	for id := range byID {
		if !want[id] {
			t.Errorf("unexpected reaction %s", id)
		}
	}
}

func withStory(r reaction.Reaction) *reaction.Reaction {
	r.Story = "test-story"
	return &r
}

// diffReaction lists the crawler-filled fields that differ.
func diffReaction(want, got reaction.Reaction) string {
	var b strings.Builder
	f := func(name string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			fmt.Fprintf(&b, "  %s: want %q, got %q\n", name, fmt.Sprint(w), fmt.Sprint(g))
		}
	}
	f("platform", want.Platform, got.Platform)
	f("parent_id", want.ParentID, got.ParentID)
	f("root_id", want.RootID, got.RootID)
	f("url", want.URL, got.URL)
	f("created_at", want.CreatedAt.UTC().Format(time.RFC3339), got.CreatedAt.UTC().Format(time.RFC3339))
	f("author", want.Author, got.Author)
	f("text", want.Text, got.Text)
	f("lang", want.Lang, got.Lang)
	f("likes", want.Likes, got.Likes)
	f("replies", want.Replies, got.Replies)
	f("deleted", want.Deleted, got.Deleted)
	return b.String()
}

// replicaSource is the story source Expect assumes: the adapter's defaults
// (WordPress markup, a.next pagination) plus JSON-LD.
func replicaSource(base string, paths ...string) *story.Source {
	src := &story.Source{Platform: reaction.Web, JSONLD: true}
	for _, p := range paths {
		src.Pages = append(src.Pages, base+p)
	}
	return src
}

// TestReplicaCrawl crawls every fixture page of the web replica over real
// HTTP and compares each reaction with the replica's Expect: ids, parents,
// timestamps, text, deletion; nothing missing or duplicated across pages.
// The robots.txt-disallowed page must never be requested, the Disqus page
// must be reported as JavaScript-only, and the undated comments counted.
func TestReplicaCrawl(t *testing.T) {
	d := replica.NewDataset(replica.Platforms()[reaction.Web].Fixture()...)
	srv := replica.New(d, replica.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var paths []string
	for _, th := range webThreads(d) {
		paths = append(paths, "/web/"+th+"/")
	}
	paths = append(paths, "/web/private/2020/10/01/draft/", "/web/js/disqus/")
	res := collect(t, testFetcher{}, replicaSource(ts.URL, paths...))
	if res.err != nil {
		t.Fatalf("Collect: %v", res.err)
	}
	compareWithExpect(t, ts.URL, d, res.reactions)

	if got, want := res.stats.kinds(), "js_only=1 no_time=2 robots=1"; got != want {
		t.Errorf("error kinds = %q, want %q", got, want)
	}
	if js := res.stats.errs["js_only"]; len(js) == 1 && !strings.Contains(js[0].Error(), "comments on this page are loaded by JavaScript (Disqus): not crawlable without a browser or the vendor's API") {
		t.Errorf("js_only message = %q", js[0])
	}
	if r := res.stats.errs["robots"]; len(r) != 1 || !errors.Is(r[0], colly.ErrRobotsTxtBlocked) {
		t.Errorf("robots errors = %v, want one robots.txt refusal", r)
	}
	if len(res.stats.blocked) != 0 {
		t.Errorf("blocked = %v, want none", res.stats.blocked)
	}
	// Pages parsed: every thread once, the WordPress article's page 2, the
	// Disqus page; not the private one.
	if want := len(webThreads(d)) + 1 + 1; res.stats.pages != want {
		t.Errorf("pages = %d, want %d", res.stats.pages, want)
	}
	robots := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.Path, "/web/private/") {
			t.Errorf("disallowed page requested: %s %s", r.Method, r.Path)
		}
		if r.Path == "/robots.txt" {
			robots++
		}
		if r.Status != http.StatusOK {
			t.Errorf("request %s?%s answered %d", r.Path, r.Query, r.Status)
		}
	}
	if robots != 1 {
		t.Errorf("robots.txt fetched %d times, want once", robots)
	}
}
