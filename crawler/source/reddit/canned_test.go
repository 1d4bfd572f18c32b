package reddit

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// cannedReddit serves the payloads in testdata (the shapes Reddit
// sends with raw_json=1, see docs/platforms.md). With fallback set, the
// sub-thread request gets the whole thread, as Reddit answers for a
// comment that no longer exists.
func cannedReddit(t *testing.T, fallback bool) *httptest.Server {
	t.Helper()
	file := func(w http.ResponseWriter, name string) {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Error(err)
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write(b)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"access_token": "tok", "token_type": "bearer", "expires_in": 86400, "scope": "*"}`))
	})
	mux.HandleFunc("GET /api/comments/1ce9f0a.json", func(w http.ResponseWriter, r *http.Request) { file(w, "thread_1ce9f0a.json") })
	mux.HandleFunc("GET /api/comments/1ce9f0a/_/l1x9a01.json", func(w http.ResponseWriter, r *http.Request) {
		if fallback {
			file(w, "thread_1ce9f0a.json")
			return
		}
		file(w, "subthread_l1x9a01.json")
	})
	mux.HandleFunc("GET /api/api/morechildren.json", func(w http.ResponseWriter, r *http.Request) {
		switch c := r.URL.Query().Get("children"); {
		case strings.HasPrefix(c, "l1xa0c3"):
			file(w, "morechildren_l1xa0c3.json")
		case strings.HasPrefix(c, "l1xa3bb"):
			file(w, "morechildren_l1xa3bb.json")
		default:
			w.Write([]byte(`{"json": {"errors": [], "data": {"things": []}}}`))
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestCannedPayloads(t *testing.T) {
	tests := []struct {
		name       string
		fallback   bool
		wantIDs    []string
		wantErrors int
	}{
		{"complete", false, []string{"t3_1ce9f0a", "t1_l1x9a01", "t1_l1x9b77", "t1_l1x9c12", "t1_l1xa0c3", "t1_l1xa2aa", "t1_l1xa3bb"}, 0},
		{"sub-thread falls back to the thread", true, []string{"t3_1ce9f0a", "t1_l1x9a01", "t1_l1x9b77", "t1_l1xa0c3", "t1_l1xa2aa", "t1_l1xa3bb"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := cannedReddit(t, tt.fallback)
			h := sourcetest.New(t, storyID, story.Source{Platform: reaction.Reddit, BaseURL: ts.URL + "/api", TokenURL: ts.URL + "/token", Threads: []string{"1ce9f0a"}})
			h.Credentials = source.Credentials{RedditClientID: "a", RedditClientSecret: "b"}
			res := h.Run(&Adapter{}, fixtureNow)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(res.Stats.Errors()) != tt.wantErrors {
				t.Errorf("errors %v, want %d", res.Stats.Errors(), tt.wantErrors)
			}
			got := map[string]reaction.Reaction{}
			var ids []string
			for _, r := range res.Emitted {
				got[strings.TrimPrefix(r.ID, "reddit:")] = r
				ids = append(ids, strings.TrimPrefix(r.ID, "reddit:"))
			}
			for id, r := range got {
				if r.IsRoot != strings.HasPrefix(id, "t3_") {
					t.Errorf("%s: is_root %v", id, r.IsRoot)
				}
			}
			if strings.Join(ids, " ") != strings.Join(tt.wantIDs, " ") {
				t.Fatalf("emitted %v, want %v", ids, tt.wantIDs)
			}
			c := got["t1_l1x9a01"]
			if c.Text != `Supply chains > everything else this week & "more".` || c.ParentID != "reddit:t3_1ce9f0a" ||
				c.RootID != "reddit:t3_1ce9f0a" || c.CreatedAt.Unix() != 1718000600 || c.Likes != 311 ||
				c.URL != "https://www.reddit.com/r/worldnews/comments/1ce9f0a/port_strike_enters_third_day/l1x9a01/" {
				t.Errorf("l1x9a01 = %+v", c)
			}
			// Its score was -4: a score is signed, even on a deleted comment.
			if d := got["t1_l1x9b77"]; !d.Deleted || d.Text != "" || d.Author != "" || d.Likes != -4 {
				t.Errorf("deleted l1x9b77 = %+v", d)
			}
			if d := got["t1_l1xa3bb"]; !d.Deleted || d.ParentID != "reddit:t1_l1xa2aa" {
				t.Errorf("removed l1xa3bb = %+v", d)
			}
			if p := got["t3_1ce9f0a"]; p.Text != "Port strike enters third day" || p.Replies != 412 || p.RootID != p.ID || p.ParentID != "" || !p.IsRoot {
				t.Errorf("post = %+v", p)
			}
		})
	}
}
