package discourse_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/discourse"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// storyID is the id of the story the harness runs.
const storyID = "teigen-legend-loss"

// expected returns what a correct crawl of d yields, keyed by id, authors
// pseudonymised and URLs for the replica at base.
func expected(t *testing.T, d *replica.Dataset, authors *reaction.Pseudonymizer, base string) map[string]reaction.Reaction {
	t.Helper()
	p := replica.Platforms()[reaction.Discourse]
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items(reaction.Discourse) {
		r := p.Expect(d, it)
		if r.ID == "" {
			continue
		}
		if _, dup := want[r.ID]; dup {
			t.Fatalf("fixture: duplicate expected id %s", r.ID)
		}
		r.Author = authors.Author(reaction.Discourse, r.Author)
		r.URL = strings.Replace(r.URL, replica.DiscourseExpectBase, base, 1)
		want[r.ID] = r
	}
	return want
}

func TestCrawlReplica(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Discourse)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	base := srv.URL + "/discourse"
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Discourse, BaseURL: base,
		Topics: []string{"5512", "5600", "999999"}})

	got, st := h.MustRun(&discourse.Adapter{})
	want := expected(t, d, h.Authors, base)
	sourcetest.Compare(t, got, want)
	if len(got) < 40 {
		t.Errorf("only %d reactions from a 47-post topic", len(got))
	}
	if k := st.Kinds(); k["not_found"] != 1 || len(k) != 1 {
		t.Errorf("error kinds = %v, want one not_found (topic 999999)", k)
	}
	if len(st.Blocks()) != 1 || !strings.Contains(st.Blocks()[0], "5600") {
		t.Errorf("blocked = %v, want the private topic 5600", st.Blocks())
	}
	// Stream paging: the posts past the first 20 come in batches of at most 20.
	batches := 0
	for _, u := range h.Fetch.URLs() {
		if strings.Contains(u, "/posts.json?") {
			batches++
			pu, _ := url.Parse(strings.TrimPrefix(u, "GET "))
			if n := len(pu.Query()["post_ids[]"]); n == 0 || n > discourse.BatchSize {
				t.Errorf("%s asks for %d posts", u, n)
			}
		}
	}
	if batches != 2 { // 46 visible posts: 20 embedded, then 20 + 6
		t.Errorf("%d posts.json requests, want 2", batches)
	}

	t.Run("unchanged second run emits nothing", func(t *testing.T) {
		h.Fetch.ResetURLs()
		again, st := h.MustRun(&discourse.Adapter{})
		if len(again) != 0 {
			t.Errorf("second run emitted %d reactions, e.g. %s", len(again), again[0].ID)
		}
		for _, u := range h.Fetch.URLs() {
			if strings.Contains(u, "/posts.json") {
				t.Errorf("second run fetched %s", u)
			}
		}
		if k := st.Kinds(); k["not_found"] != 1 || len(k) != 1 {
			t.Errorf("error kinds = %v", k)
		}
	})

	t.Run("new posts only", func(t *testing.T) {
		last := time.Date(2024, 6, 11, 12, 0, 0, 0, time.UTC)
		added := []replica.Item{
			{Platform: reaction.Discourse, Native: "95001", Thread: "88120", Parent: "88120", Author: "late1",
				CreatedAt: last, Text: "Arrived late: condolences.", Likes: 1},
			// An answer to an old post (#27, not among the 20 embedded): its number is resolved
			// although that post is not fetched again.
			{Platform: reaction.Discourse, Native: "95002", Thread: "88120", Parent: "88302", Author: "late2",
				CreatedAt: last.Add(time.Minute), Text: "Replying to an old post."},
		}
		d.Add(added...)
		again, _ := h.MustRun(&discourse.Adapter{})
		all := expected(t, d, h.Authors, base)
		want := map[string]reaction.Reaction{}
		for _, it := range added {
			r := replica.Platforms()[reaction.Discourse].Expect(d, it)
			want[r.ID] = all[r.ID]
		}
		sourcetest.Compare(t, again, want)
	})
}

// TestRateLimited crawls through 429 answers with Retry-After.
func TestRateLimited(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Discourse)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{RateLimitEvery: 2, RetryAfter: time.Second}))
	defer srv.Close()
	base := srv.URL + "/discourse"
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Discourse, BaseURL: base, Topics: []string{"5512"}})
	got, st := h.MustRun(&discourse.Adapter{})
	sourcetest.Compare(t, got, expected(t, d, h.Authors, base))
	if len(st.Errors()) != 0 {
		t.Errorf("errors: %v", st.Errors())
	}
}

// TestGolden crawls recorded payloads of tricky shapes (a staff view with
// deleted_at, like_count instead of actions_summary, missing created_at,
// quotes and entities) and compares the reactions with golden files.
func TestGolden(t *testing.T) {
	cases := []struct {
		name  string
		topic string
		kinds map[string]int
	}{
		{"staff_view", "7001", map[string]int{"parse": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				name := strings.NewReplacer("/", "_", "?", "_").Replace(strings.TrimPrefix(r.URL.Path, "/"))
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					http.Error(w, `{"errors":["The requested URL or resource could not be found."],"error_type":"not_found"}`, 404)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			p, _ := reaction.NewPseudonymizer(nil, true)
			h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Discourse, BaseURL: srv.URL, Topics: []string{tc.topic}})
			h.Authors = p
			h.AsEmitted = true // the golden file holds what the adapter emitted
			got, st := h.MustRun(&discourse.Adapter{})
			for i := range got {
				got[i].URL = strings.Replace(got[i].URL, srv.URL, "https://forum.example.org", 1)
				got[i].ID = strings.Replace(got[i].ID, "127.0.0.1", "forum.example.org", 1)
				got[i].ParentID = strings.Replace(got[i].ParentID, "127.0.0.1", "forum.example.org", 1)
				got[i].RootID = strings.Replace(got[i].RootID, "127.0.0.1", "forum.example.org", 1)
				got[i].Author = strings.Replace(got[i].Author, "127.0.0.1", "forum.example.org", 1)
			}
			b, _ := json.MarshalIndent(got, "", "  ")
			b = append(b, '\n')
			golden.Check(t, filepath.Join(dir, "want.json"), b)
			if k := st.Kinds(); !mapsEqual(k, tc.kinds) {
				t.Errorf("error kinds = %v, want %v", k, tc.kinds)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

var _ source.Adapter = (*discourse.Adapter)(nil)

// TestBadInput: a bad base URL stops the source with an error naming it; a
// bad topic id is recorded and the good topics around it are crawled.
func TestBadInput(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Discourse)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	env := &source.Env{Source: &story.Source{Platform: reaction.Discourse, BaseURL: "forum.example.org"}}
	if err := (&discourse.Adapter{}).Collect(t.Context(), env); err == nil || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("Collect with a base_url without scheme: %v", err)
	}
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Discourse, BaseURL: srv.URL + "/discourse", Topics: []string{"slug-only", "5512"}})
	got, st := h.MustRun(&discourse.Adapter{})
	if k := st.Kinds(); k["bad_input"] != 1 || len(k) != 1 {
		t.Errorf("error kinds = %v, want one bad_input", k)
	}
	if len(got) < 40 {
		t.Errorf("%d reactions: the good topic was not crawled", len(got))
	}
}
