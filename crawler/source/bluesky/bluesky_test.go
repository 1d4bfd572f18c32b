package bluesky_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/bluesky"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// storyID is the id of the story the harness runs.
const storyID = "teigen-legend-loss"

const query = "chrissy teigen"

// account is a Bluesky account the replica accepts, for search.
var account = source.Credentials{BlueskyHandle: "researcher.example.org", BlueskyAppPassword: "abcd-efgh-ijkl-mnop"}

// expected maps Expect over items (all of d's when none are given), with
// the threads src names flagged as thread starters (src may be nil).
func expected(t *testing.T, d *replica.Dataset, src *story.Source, authors *reaction.Pseudonymizer, items ...replica.Item) map[string]reaction.Reaction {
	t.Helper()
	p := replica.Platforms()[reaction.Bluesky]
	if len(items) == 0 {
		items = d.Items(reaction.Bluesky)
	}
	want := map[string]reaction.Reaction{}
	for _, it := range items {
		r := p.Expect(d, it)
		if r.ID == "" {
			continue
		}
		if _, dup := want[r.ID]; dup {
			t.Fatalf("fixture: duplicate expected id %s", r.ID)
		}
		if r.Author != "" {
			r.Author = authors.Author(reaction.Bluesky, r.Author)
		}
		want[r.ID] = r
	}
	return sourcetest.MarkStarters(want, d, src)
}

// roots returns the thread URIs of every root of d; the first in handle
// form, to be resolved.
func roots(d *replica.Dataset) []string {
	var out []string
	for _, it := range d.Items(reaction.Bluesky) {
		if it.Parent == "" {
			out = append(out, replica.BlueskyURI(it))
		}
	}
	out[0] = "at://" + strings.ToLower(d.Items(reaction.Bluesky)[0].Author) + out[0][strings.Index(out[0], "/app.bsky"):]
	return out
}

func count(s *replica.Server, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}

func TestCrawlReplica(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	s := replica.New(d, replica.Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/bluesky"
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: base, PDSURL: base,
		Threads: roots(d), Search: []string{query}})
	h.Credentials = account

	got, st := h.MustRun(&bluesky.Adapter{})
	sourcetest.Compare(t, got, expected(t, d, h.Source, h.Authors))
	if k := st.Kinds(); k["not_found"] != 1 || k["deleted_unknown_time"] != 1 || len(k) != 2 {
		t.Errorf("error kinds = %v, want not_found (the deleted root) and deleted_unknown_time, once each: %v", k, st.Errors())
	}
	if len(st.Blocks()) != 0 {
		t.Errorf("blocked: %v", st.Blocks())
	}
	if n := count(s, "searchPosts"); n != 3 { // 231 hits: 100 + 100 + 31
		t.Errorf("%d search pages, want 3", n)
	}
	if n := count(s, "getPostThread"); n <= len(roots(d)) {
		t.Errorf("%d getPostThread requests: the chain deeper than %d was not asked for again", n, replica.BlueskyMaxDepth)
	}
	if n := count(s, "resolveHandle"); n != 1 {
		t.Errorf("%d resolveHandle requests, want 1", n)
	}

	t.Run("unchanged second run emits nothing", func(t *testing.T) {
		again, _ := h.MustRun(&bluesky.Adapter{})
		for _, r := range again {
			t.Errorf("emitted again: %s", r.ID)
		}
		if n := count(s, "createSession"); n != 1 {
			t.Errorf("%d createSession requests, want 1 (the session is cached)", n)
		}
	})

	t.Run("new and newly deleted only", func(t *testing.T) {
		all := d.Items(reaction.Bluesky)
		root, chainEnd := all[0], all[0]
		for _, it := range all {
			if it.Text == "Depth 15." {
				chainEnd = it
			}
		}
		at := time.Date(2020, 10, 5, 9, 0, 0, 0, time.UTC)
		added := []replica.Item{
			{Platform: reaction.Bluesky, Native: replica.BlueskyTID(at, 900), Thread: root.Native, Parent: root.Native,
				Author: "newcomer.bsky.social", CreatedAt: at, Text: "Late, but: much love.", Lang: "en"},
			{Platform: reaction.Bluesky, Native: replica.BlueskyTID(at.Add(time.Minute), 901), Thread: root.Native, Parent: chainEnd.Native,
				Author: "deepest.bsky.social", CreatedAt: at.Add(time.Minute), Text: "Depth 16.", Lang: "en"},
			{Platform: reaction.Bluesky, Native: replica.BlueskyTID(at.Add(2*time.Minute), 902),
				Author: "columnist.example.com", CreatedAt: at.Add(2 * time.Minute), Text: "Chrissy Teigen, a week on", Lang: "en",
				Tags: []string{query}},
		}
		gone := all[3] // a reply to the root
		gone.Deleted = true
		d.Add(added...)
		d.Add(gone)
		again, _ := h.MustRun(&bluesky.Adapter{})
		sourcetest.Compare(t, again, expected(t, d, h.Source, h.Authors, append(added, gone)...))
	})
}

func TestSearchHitThreads(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	base := srv.URL + "/bluesky"
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: base, PDSURL: base, Search: []string{query}})
	h.Credentials = account
	got, _ := h.MustRun(&bluesky.Adapter{})

	// The hits, and the threads of the hits that are roots with replies.
	items := d.Items(reaction.Bluesky)
	hitRoot := map[string]bool{}
	var want []replica.Item
	for _, it := range items {
		for _, tag := range it.Tags {
			if strings.EqualFold(tag, query) && !it.Deleted && !strings.Contains(strings.Join(it.Tags, " "), "replica:blocked") {
				want = append(want, it)
				if it.Parent == "" {
					hitRoot[it.Native] = true
				}
			}
		}
	}
	for _, it := range items {
		if hitRoot[it.Thread] && !hasTag(it, query) {
			want = append(want, it)
		}
	}
	sourcetest.Compare(t, got, expected(t, d, h.Source, h.Authors, want...))
}

func hasTag(it replica.Item, q string) bool {
	for _, t := range it.Tags {
		if strings.EqualFold(t, q) {
			return true
		}
	}
	return false
}

func TestSearchRefused(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	s := replica.New(d, replica.Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/bluesky"

	// The replica refuses anonymous search as the public AppView does.
	resp, err := http.Get(base + "/xrpc/app.bsky.feed.searchPosts?q=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous searchPosts: HTTP %d, want 403", resp.StatusCode)
	}

	cases := []struct {
		name, handle, password, want string
	}{
		{"no credentials", "", "", "needs BLUESKY_HANDLE and BLUESKY_APP_PASSWORD since January 2025"},
		{"wrong password", "researcher.example.org", "not-an-app-password", "refused the account"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetRequests()
			root := d.Items(reaction.Bluesky)[0]
			h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: base, PDSURL: base,
				Threads: []string{replica.BlueskyURI(root)}, Search: []string{query, "jack"}})
			h.Credentials = source.Credentials{BlueskyHandle: tc.handle, BlueskyAppPassword: tc.password}
			got, st := h.MustRun(&bluesky.Adapter{})
			if len(st.Blocks()) != 1 || st.Blocks()[0] != "search" && !strings.Contains(st.Blocks()[0], "search") {
				t.Errorf("blocked = %v, want search once", st.Blocks())
			}
			if n := count(s, "searchPosts"); n != 0 {
				t.Errorf("%d searchPosts requests without a session", n)
			}
			var threadItems []replica.Item
			for _, it := range d.Items(reaction.Bluesky) {
				if it.Native == root.Native || it.Thread == root.Native {
					threadItems = append(threadItems, it)
				}
			}
			want := expected(t, d, h.Source, h.Authors, threadItems...)
			for id, r := range want { // only what the thread reaches
				if r.Text == "Answering a post that is gone now" {
					delete(want, id)
				}
			}
			sourcetest.Compare(t, got, want)
			if len(got) < 50 {
				t.Errorf("only %d reactions from the thread", len(got))
			}
		})
	}
}

// TestRateLimited crawls a thread through 429 answers with Retry-After.
func TestRateLimited(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	s := replica.New(d, replica.Options{RateLimitEvery: 2, RetryAfter: time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	base := srv.URL + "/bluesky"
	root := d.Items(reaction.Bluesky)[0]
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: base, PDSURL: base,
		Threads: []string{replica.BlueskyURI(root)}})
	got, st := h.MustRun(&bluesky.Adapter{})
	var items []replica.Item
	for _, it := range d.Items(reaction.Bluesky) {
		if (it.Native == root.Native || it.Thread == root.Native) && it.Text != "Answering a post that is gone now" {
			items = append(items, it)
		}
	}
	sourcetest.Compare(t, got, expected(t, d, h.Source, h.Authors, items...))
	if k := st.Kinds(); k["deleted_unknown_time"] != 1 || len(k) != 1 {
		t.Errorf("error kinds = %v", k)
	}
	limited := 0
	for _, r := range s.Requests() {
		if r.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("no request was rate limited: the test proves nothing")
	}
}

// TestGolden crawls recorded payloads of tricky shapes: union members
// without $type and of unknown type, a record in the future, a missing
// indexedAt, a deleted reply without a TID, a search page with a cursor
// followed by an empty page.
func TestGolden(t *testing.T) {
	cases := []struct {
		name    string
		threads []string
		search  []string
		kinds   map[string]int
	}{
		{"thread_shapes", []string{"at://did:plc:golden1/app.bsky.feed.post/3l4abcdefgh22"}, nil,
			map[string]int{"deleted_unknown_time": 1, "parse": 1}},
		{"search_empty_last_page", nil, []string{"jack"}, map[string]int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				name := strings.TrimPrefix(r.URL.Path, "/xrpc/")
				if c := r.URL.Query().Get("cursor"); c != "" {
					name += "_" + c
				}
				if u := r.URL.Query().Get("uri"); u != "" {
					name += "_" + u[strings.LastIndexByte(u, '/')+1:]
				}
				b, err := os.ReadFile(filepath.Join(dir, name+".json"))
				if err != nil {
					w.WriteHeader(http.StatusBadRequest)
					w.Write([]byte(`{"error":"NotFound","message":"Post not found"}`))
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
			}))
			defer srv.Close()
			p, _ := reaction.NewPseudonymizer(nil, true)
			h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: srv.URL, PDSURL: srv.URL,
				Threads: tc.threads, Search: tc.search})
			h.Authors = p
			h.Credentials = account
			h.AsEmitted = true // the golden file holds what the adapter emitted
			got, st := h.MustRun(&bluesky.Adapter{})
			b, _ := json.MarshalIndent(got, "", "  ")
			b = append(b, '\n')
			golden.Check(t, filepath.Join(dir, "want.json"), b)
			k := st.Kinds()
			if len(k) != len(tc.kinds) {
				t.Errorf("error kinds = %v, want %v", k, tc.kinds)
			}
			for kind, n := range tc.kinds {
				if k[kind] != n {
					t.Errorf("error kinds = %v, want %v", k, tc.kinds)
				}
			}
		})
	}
}

var _ source.Adapter = (*bluesky.Adapter)(nil)

// TestBadInput: a bad base URL stops the source with an error naming it; a
// bad thread is recorded and the good ones around it are still crawled.
func TestBadInput(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	base := srv.URL + "/bluesky"
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: "ftp://example.org"})
	env := &source.Env{Source: h.Source}
	if err := (&bluesky.Adapter{}).Collect(t.Context(), env); err == nil || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("Collect with ftp base_url: %v", err)
	}
	root := d.Items(reaction.Bluesky)[0]
	h = sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: base, Threads: []string{
		"at://did:plc:x/app.bsky.feed.like/3k2abc", "at://nobody.example.net/app.bsky.feed.post/3k2abcdxyz222",
		replica.BlueskyURI(root)}})
	got, st := h.MustRun(&bluesky.Adapter{})
	if k := st.Kinds(); k["bad_input"] != 1 || k["not_found"] != 1 {
		t.Errorf("error kinds = %v, want bad_input (a like, not a post) and not_found (a handle without account)", k)
	}
	if len(got) < 50 {
		t.Errorf("%d reactions: the good thread was not crawled", len(got))
	}
}

// TestSearchOnlyWithoutCredentials: a source that only searches, without
// an account, fails with the honest sentence (there is nothing else to do).
func TestSearchOnlyWithoutCredentials(t *testing.T) {
	srv := httptest.NewServer(replica.New(replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...), replica.Options{}))
	defer srv.Close()
	st := &sourcetest.Stats{}
	env := &source.Env{Source: &story.Source{Platform: reaction.Bluesky, BaseURL: srv.URL + "/bluesky", Search: []string{query}},
		Stats: st, State: &sourcetest.State{}}
	err := (&bluesky.Adapter{}).Collect(t.Context(), env)
	if !errors.Is(err, source.ErrBlocked) || !strings.Contains(err.Error(), "BLUESKY_APP_PASSWORD since January 2025") {
		t.Errorf("Collect = %v, want the blocked search sentence", err)
	}
	if len(st.Blocks()) != 1 {
		t.Errorf("blocked = %v", st.Blocks())
	}
}

// TestExpiredTokenRenewed: when searchPosts says the access token has
// expired, the session is refreshed once and the page asked again.
func TestExpiredTokenRenewed(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Bluesky)...)
	rs := replica.New(d, replica.Options{})
	expired := 1
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])
		if strings.HasSuffix(r.URL.Path, "searchPosts") && expired > 0 {
			expired--
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"ExpiredToken","message":"Token has expired"}`))
			return
		}
		rs.ServeHTTP(w, r)
	}))
	defer srv.Close()
	base := srv.URL + "/bluesky"
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Bluesky, BaseURL: base, PDSURL: base, Search: []string{"jack-renew"}})
	h.Credentials = source.Credentials{BlueskyHandle: "renewer.example.org", BlueskyAppPassword: "abcd-efgh-ijkl-mnop"}
	_, st := h.MustRun(&bluesky.Adapter{})
	want := []string{"com.atproto.server.createSession", "app.bsky.feed.searchPosts",
		"com.atproto.server.refreshSession", "app.bsky.feed.searchPosts"}
	if strings.Join(calls, " ") != strings.Join(want, " ") {
		t.Errorf("calls = %v, want %v", calls, want)
	}
	if len(st.Errors())+len(st.Blocks()) != 0 {
		t.Errorf("errors %v, blocked %v", st.Errors(), st.Blocks())
	}
}
