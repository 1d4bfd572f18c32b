package source_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/discourse"
	"github.com/reactions-research/reactions/crawler/source/hackernews"
	"github.com/reactions-research/reactions/crawler/source/lemmy"
	"github.com/reactions-research/reactions/crawler/source/mastodon"
	"github.com/reactions-research/reactions/crawler/source/reddit"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// TestEveryRefusalBlocksTheSource: the adapters that file failures with
// source.Failures end a run whose every request was refused (403) as
// blocked, each refusal filed with Stats.Blocked, and no error kinds.
func TestEveryRefusalBlocksTheSource(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		adapter source.Adapter
		src     story.Source
	}{
		{&hackernews.Adapter{}, story.Source{Platform: reaction.HackerNews, BaseURL: srv.URL, Stories: []string{"1", "2"}}},
		{&mastodon.Adapter{}, story.Source{Platform: reaction.Mastodon, BaseURL: srv.URL, Statuses: []string{"1", "2"}}},
		{&reddit.Adapter{}, story.Source{Platform: reaction.Reddit, BaseURL: srv.URL, Threads: []string{"abc", "abd"}}},
		{&discourse.Adapter{}, story.Source{Platform: reaction.Discourse, BaseURL: srv.URL, Topics: []string{"1", "2"}}},
		{&lemmy.Adapter{}, story.Source{Platform: reaction.Lemmy, BaseURL: srv.URL, Posts: []string{"1", "2"}}},
	} {
		t.Run(string(tc.src.Platform), func(t *testing.T) {
			h := sourcetest.New(t, "jack", tc.src)
			res := h.Run(tc.adapter, time.Date(2020, 10, 3, 0, 0, 0, 0, time.UTC))
			if !errors.Is(res.Err, source.ErrBlocked) || !strings.HasPrefix(res.Err.Error(), string(tc.src.Platform)+": ") {
				t.Errorf("Collect = %v, want an error of %s wrapping ErrBlocked", res.Err, tc.src.Platform)
			}
			if len(res.Stats.Blocks()) == 0 || len(res.Stats.Errors()) != 0 {
				t.Errorf("blocks %v, errors %v: want refusals filed as blocks only", res.Stats.Blocks(), res.Stats.Errors())
			}
		})
	}
}
