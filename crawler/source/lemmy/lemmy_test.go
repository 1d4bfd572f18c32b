package lemmy_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/lemmy"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// storyID is the id of the story the harness runs.
const storyID = "teigen-legend-loss"

func expected(t *testing.T, d *replica.Dataset, authors *reaction.Pseudonymizer, only ...replica.Item) map[string]reaction.Reaction {
	t.Helper()
	p := replica.Platforms()[reaction.Lemmy]
	items := d.Items(reaction.Lemmy)
	if len(only) > 0 {
		items = only
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
		r.Author = authors.Author(reaction.Lemmy, r.Author)
		want[r.ID] = r
	}
	return want
}

func TestCrawlReplica(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Lemmy)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Lemmy, BaseURL: srv.URL + "/lemmy",
		Posts: []string{"1820033", "1820099", "777"}})

	got, st := h.MustRun(&lemmy.Adapter{})
	sourcetest.Compare(t, got, expected(t, d, h.Authors))
	if len(got) != 132 {
		t.Errorf("%d reactions, want 132 (2 posts, 130 comments)", len(got))
	}
	if k := st.Kinds(); k["not_found"] != 1 || len(k) != 1 {
		t.Errorf("error kinds = %v, want one not_found (post 777)", k)
	}
	pages := 0
	for _, u := range h.Fetch.URLs() {
		if strings.Contains(u, "comment/list?post_id=1820033") {
			pages++
			if strings.Contains(u, "max_depth") {
				t.Errorf("paged listing with max_depth (Lemmy ignores page then): %s", u)
			}
		}
		if strings.Contains(u, "parent_id=") {
			t.Errorf("unneeded sub-tree re-query %s", u)
		}
	}
	if pages != 4 { // 130 comments: 50 + 50 + 30, then an empty page
		t.Errorf("%d listing pages, want 4", pages)
	}

	t.Run("unchanged second run emits nothing", func(t *testing.T) {
		again, _ := h.MustRun(&lemmy.Adapter{})
		if len(again) != 0 {
			t.Errorf("second run emitted %d reactions, e.g. %s", len(again), again[0].ID)
		}
	})

	t.Run("new and newly deleted only", func(t *testing.T) {
		late := time.Date(2020, 10, 3, 12, 0, 0, 0, time.UTC)
		added := []replica.Item{
			{Platform: reaction.Lemmy, Native: "9914001", Thread: "1820033", Parent: "9912003", Author: "late@other.example",
				CreatedAt: late, Text: "Late **but** sincere.", Lang: "en"},
			{Platform: reaction.Lemmy, Native: "9914002", Thread: "1820033", Parent: "9913012", Author: "later",
				CreatedAt: late.Add(time.Minute), Text: "Deepest reply, depth 14.", Lang: "de"},
		}
		gone, _ := d.Get(reaction.Lemmy, "9912030")
		gone.Deleted = true
		d.Add(added...)
		d.Add(gone)
		again, _ := h.MustRun(&lemmy.Adapter{})
		// The new comments' ancestors' counts changed too, but only new
		// and newly deleted comments are emitted.
		sourcetest.Compare(t, again, expected(t, d, h.Authors, append(added, gone)...))
	})
}

// TestRateLimited crawls through 429 answers.
func TestRateLimited(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Lemmy)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{RateLimitEvery: 3, RetryAfter: time.Second}))
	defer srv.Close()
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Lemmy, BaseURL: srv.URL + "/lemmy", Posts: []string{"1820033"}})
	got, st := h.MustRun(&lemmy.Adapter{})
	want := expected(t, d, h.Authors)
	delete(want, "lemmy:https://lemmy.example/post/1820099")
	sourcetest.Compare(t, got, want)
	if len(st.Errors()) != 0 {
		t.Errorf("errors: %v", st.Errors())
	}
}

// TestGolden crawls recorded payloads of tricky shapes and compares the
// reactions with golden files: a listing that misses a comment (found by
// the sub-tree re-query), a parent outside the listing (looked up), a
// server that ignores page, naive timestamps, an unknown language table.
func TestGolden(t *testing.T) {
	cases := []struct {
		name  string
		post  string
		kinds map[string]int
	}{
		{"requery", "500", map[string]int{"parse": 1}},
		{"ignores_page", "600", map[string]int{"loop": 1, "not_found": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				name := strings.TrimPrefix(r.URL.Path, "/api/v3/")
				for _, k := range []string{"id", "parent_id", "page"} {
					if v := q.Get(k); v != "" {
						name += "_" + k + v
					}
				}
				b, err := os.ReadFile(filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".json"))
				if err != nil {
					w.WriteHeader(http.StatusNotFound)
					w.Write([]byte(`{"error":"couldnt_find_comment"}`))
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
			}))
			defer srv.Close()
			p, _ := reaction.NewPseudonymizer(nil, true)
			h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Lemmy, BaseURL: srv.URL, Posts: []string{tc.post}})
			h.Authors = p
			h.AsEmitted = true // the golden file holds what the adapter emitted
			got, st := h.MustRun(&lemmy.Adapter{})
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

// TestBadInput: a bad base URL stops the source with an error naming it; a
// bad post id is recorded and the good posts around it are crawled.
func TestBadInput(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Lemmy)...)
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	env := &source.Env{Source: &story.Source{Platform: reaction.Lemmy, BaseURL: ""}}
	if err := (&lemmy.Adapter{}).Collect(t.Context(), env); err == nil || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("Collect without base_url: %v", err)
	}
	h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Lemmy, BaseURL: srv.URL + "/lemmy", Posts: []string{"!post", "1820033"}})
	got, st := h.MustRun(&lemmy.Adapter{})
	if k := st.Kinds(); k["bad_input"] != 1 || len(k) != 1 {
		t.Errorf("error kinds = %v, want one bad_input", k)
	}
	if len(got) != 131 {
		t.Errorf("%d reactions, want the 131 of the good post", len(got))
	}
}
