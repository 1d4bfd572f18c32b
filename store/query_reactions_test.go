package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

func ids(rs []reaction.Reaction) string {
	var b []string
	for _, r := range rs {
		b = append(b, r.ID)
	}
	return strings.Join(b, " ")
}

func TestReactionsCurrentState(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	var rs []reaction.Reaction
	for i := range 10 {
		p := reaction.Reddit
		if i%2 == 1 {
			p = reaction.Mastodon
		}
		st := []reaction.Stance{reaction.Support, reaction.Criticism, reaction.Neutral}[i%3]
		rs = append(rs, mk("s1", p, i, t0.Add(time.Duration(i)*time.Minute), st))
	}
	rs = append(rs, mk("s2", reaction.Reddit, 99, t0, reaction.Support))
	insertRows(t, s, rs, 1, 1)
	// reddit:0 is edited (support -> criticism), mastodon:1 is cancelled
	// without replacement (never happens in production, but must not show).
	insertRows(t, s, []reaction.Reaction{rs[0], rs[1]}, -1, 1)
	edited := rs[0]
	edited.Stance, edited.Text, edited.Classifier = reaction.Criticism, "edited", "test-2"
	insertRows(t, s, []reaction.Reaction{edited}, 1, 2)

	page := func(q store.ReactionQuery) ([]reaction.Reaction, bool) {
		t.Helper()
		got, more, err := s.Reactions(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return got, more
	}
	got, more := page(store.ReactionQuery{Story: "s1", Limit: 100})
	if ids(got) != "reddit:0 reddit:2 mastodon:3 reddit:4 mastodon:5 reddit:6 mastodon:7 reddit:8 mastodon:9" || more {
		t.Fatalf("all: %s more=%v", ids(got), more)
	}
	if got[0].Text != "edited" || got[0].Stance != reaction.Criticism || got[0].Story != "s1" ||
		!got[0].CreatedAt.Equal(t0) || got[0].URL != "https://example.org/reddit:0" || got[0].Classifier != "test-2" {
		t.Errorf("edited state: %+v", got[0])
	}

	cases := []struct {
		name string
		q    store.ReactionQuery
		want string
	}{
		{"criticism", store.ReactionQuery{Story: "s1", Stances: []reaction.Stance{reaction.Criticism}, Limit: 100}, "reddit:0 reddit:4 mastodon:7"},
		{"support or neutral on mastodon", store.ReactionQuery{Story: "s1", Stances: []reaction.Stance{reaction.Support, reaction.Neutral},
			Platforms: []reaction.Platform{reaction.Mastodon}, Limit: 100}, "mastodon:3 mastodon:5 mastodon:9"},
		{"time range", store.ReactionQuery{Story: "s1", From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute), Limit: 100}, "reddit:2 mastodon:3 reddit:4"},
		{"after cursor", store.ReactionQuery{Story: "s1", After: &store.ReactionKey{CreatedAt: t0.Add(7 * time.Minute), ID: "mastodon:7"}, Limit: 100}, "reddit:8 mastodon:9"},
		{"injected id in cursor", store.ReactionQuery{Story: "s1", After: &store.ReactionKey{CreatedAt: t0.Add(8 * time.Minute), ID: "' OR 1=1 --"}, Limit: 100}, "reddit:8 mastodon:9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := page(c.q)
			if ids(got) != c.want {
				t.Errorf("got %s, want %s", ids(got), c.want)
			}
		})
	}

	// Paging walks everything exactly once.
	var walked []string
	q := store.ReactionQuery{Story: "s1", Limit: 4}
	for {
		got, more := page(q)
		walked = append(walked, ids(got))
		if !more {
			break
		}
		last := got[len(got)-1]
		q.After = &store.ReactionKey{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if w := strings.Join(walked, " | "); w != "reddit:0 reddit:2 mastodon:3 reddit:4 | mastodon:5 reddit:6 mastodon:7 reddit:8 | mastodon:9" {
		t.Errorf("pages: %s", w)
	}

	cnt, err := s.CountReactions(ctx, store.ReactionQuery{Story: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if cnt.Total != 9 || cnt.Classifiers["test-1"] != 8 || cnt.Classifiers["test-2"] != 1 || len(cnt.Classifiers) != 2 {
		t.Errorf("count %+v", cnt)
	}
	if _, _, err := s.Reactions(ctx, store.ReactionQuery{Story: "s1", Limit: 0}); err == nil {
		t.Error("limit 0: want an error")
	}
	if _, _, err := s.Reactions(ctx, store.ReactionQuery{Story: "s1", Stances: []reaction.Stance{"x' OR '1"}, Limit: 5}); err == nil {
		t.Error("bad stance: want an error")
	}
}

func TestEachReactionStreamsInChunks(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	var rs []reaction.Reaction
	for i := range 100 {
		rs = append(rs, mk("s1", reaction.HackerNews, i, t0.Add(time.Duration(i)*23*time.Minute), reaction.Support))
	}
	insertRows(t, s, rs, 1, 1)
	for _, c := range []struct {
		name     string
		q        store.ReactionQuery
		from, to int
	}{
		{"all", store.ReactionQuery{Story: "s1", ChunkRows: 7}, 0, 100},
		{"range", store.ReactionQuery{Story: "s1", From: t0.Add(230 * time.Minute), To: t0.Add(23 * 50 * time.Minute), ChunkRows: 7}, 10, 50},
		{"open end", store.ReactionQuery{Story: "s1", From: t0.Add(230*time.Minute + time.Second), ChunkRows: 7}, 11, 100},
		{"one chunk", store.ReactionQuery{Story: "s1"}, 0, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := s.EachReaction(ctx, c.q, func(r *reaction.Reaction) error {
				got = append(got, r.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := c.from; i < c.to; i++ {
				want = append(want, rs[i].ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %d rows %v\nwant %d rows %v", len(got), got, len(want), want)
			}
		})
	}
}
