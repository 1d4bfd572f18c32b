package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// insertRows writes reactions straight into the reactions table with the
// given sign and version (the materialized views fill the other tables).
func insertRows(t testing.TB, s *store.Store, rs []reaction.Reaction, sign int8, version uint64) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Conn().PrepareBatch(ctx, `INSERT INTO reactions (story, platform, id, parent_id, root_id, is_root, url,
created_at, first_seen, author, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		var del, root uint8
		if r.Deleted {
			del = 1
		}
		if r.IsRoot {
			root = 1
		}
		if err := b.Append(r.Story, string(r.Platform), r.ID, r.ParentID, r.RootID, root, r.URL, r.CreatedAt, r.FirstSeen,
			r.Author, r.Text, r.Lang, r.Likes, r.Replies, del, string(r.Stance), r.StanceScore, r.Classifier,
			uint64(0), version, sign); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}

func mk(story string, p reaction.Platform, n int, at time.Time, st reaction.Stance) reaction.Reaction {
	id := reaction.MakeID(p, fmt.Sprint(n))
	return reaction.Reaction{Story: story, Platform: p, ID: id, RootID: id, URL: "https://example.org/" + id,
		CreatedAt: at, FirstSeen: at, Text: "text " + id, Stance: st, StanceScore: 0.75, Classifier: "test-1"}
}

var t0 = time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)

func TestSeriesCounts(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	rs := []reaction.Reaction{
		mk("s1", reaction.Reddit, 1, t0.Add(10*time.Second), reaction.Support),
		mk("s1", reaction.Reddit, 2, t0.Add(50*time.Minute), reaction.Criticism),
		mk("s1", reaction.Mastodon, 3, t0.Add(70*time.Minute), reaction.Support),
		mk("s1", reaction.Mastodon, 4, t0.Add(23*time.Hour+30*time.Minute), reaction.Neutral),
		mk("s2", reaction.Mastodon, 5, t0.Add(time.Minute), reaction.Neutral), // another story
	}
	insertRows(t, s, rs, 1, 1)
	// Reaction 2 changes its stance: a cancel row and a new state.
	changed := rs[1]
	insertRows(t, s, []reaction.Reaction{changed}, -1, 1)
	changed.Stance = reaction.Support
	insertRows(t, s, []reaction.Reaction{changed}, 1, 2)

	cases := []struct {
		name string
		q    store.SeriesQuery
		want []store.SeriesCount
	}{
		{"hours", store.SeriesQuery{Story: "s1", From: t0, To: t0.Add(24 * time.Hour), Step: 3600, ByPlatform: true}, []store.SeriesCount{
			{Key: t0.Unix() / 3600, Platform: reaction.Reddit, Support: 2},
			{Key: t0.Unix()/3600 + 1, Platform: reaction.Mastodon, Support: 1},
			{Key: t0.Unix()/3600 + 23, Platform: reaction.Mastodon, Neutral: 1},
		}},
		{"platform filter", store.SeriesQuery{Story: "s1", From: t0, To: t0.Add(24 * time.Hour), Step: 86400, Platform: reaction.Mastodon, ByPlatform: true}, []store.SeriesCount{
			{Key: t0.Unix() / 86400, Platform: reaction.Mastodon, Support: 1, Neutral: 1},
		}},
		// +1h shift (a local day): 23:30 UTC falls on the next local day.
		{"shifted days", store.SeriesQuery{Story: "s1", From: t0, To: t0.Add(24 * time.Hour), Step: 86400,
			Shifts: []store.ShiftSpan{{Seconds: 3600}}, ByPlatform: true}, []store.SeriesCount{
			{Key: t0.Unix() / 86400, Platform: reaction.Mastodon, Support: 1},
			{Key: t0.Unix() / 86400, Platform: reaction.Reddit, Support: 2},
			{Key: t0.Unix()/86400 + 1, Platform: reaction.Mastodon, Neutral: 1},
		}},
		// A shift change at 01:00: +0 before, +3h after.
		{"piecewise shift", store.SeriesQuery{Story: "s1", From: t0, To: t0.Add(24 * time.Hour), Step: 3 * 3600,
			Shifts: []store.ShiftSpan{{Until: t0.Add(time.Hour), Seconds: 0}, {Seconds: 3 * 3600}}}, []store.SeriesCount{
			{Key: t0.Unix() / (3 * 3600), Support: 2},
			{Key: t0.Unix()/(3*3600) + 1, Support: 1},
			{Key: t0.Unix()/(3*3600) + 8, Neutral: 1},
		}},
		{"range excludes", store.SeriesQuery{Story: "s1", From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour), Step: 60, ByPlatform: true}, []store.SeriesCount{
			{Key: t0.Add(70*time.Minute).Unix() / 60, Platform: reaction.Mastodon, Support: 1},
		}},
		{"injection is a value", store.SeriesQuery{Story: "s1", From: t0, To: t0.Add(time.Hour), Step: 60,
			Platform: reaction.Platform("reddit' OR 1=1 --")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.SeriesCounts(ctx, c.q)
			if c.name == "injection is a value" {
				if err == nil {
					t.Fatal("want an error for an unknown platform")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}

	first, last, err := s.Extent(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(t0) || !last.Equal(t0.Add(23*time.Hour+30*time.Minute)) {
		t.Errorf("extent %v %v", first, last)
	}
	if f, l, err := s.Extent(ctx, "nothing"); err != nil || !f.IsZero() || !l.IsZero() {
		t.Errorf("extent of an empty story: %v %v %v", f, l, err)
	}
	pe, err := s.PlatformExtents(ctx, "s1")
	if err != nil || len(pe) != 2 || pe[0].Platform != reaction.Mastodon || !pe[0].First.Equal(t0.Add(70*time.Minute)) {
		t.Errorf("platform extents %v %v", pe, err)
	}
}

func TestSeriesQueryValidation(t *testing.T) {
	s := chtest.New(t)
	for _, q := range []store.SeriesQuery{
		{Story: "Bad Story", From: t0, To: t0.Add(time.Hour), Step: 60},
		{Story: "s", From: t0, To: t0, Step: 60},
		{Story: "s", From: t0, To: t0.Add(time.Hour), Step: 90},
		{Story: "s", From: t0, To: t0.Add(time.Hour), Step: 0},
	} {
		if _, err := s.SeriesCounts(context.Background(), q); err == nil {
			t.Errorf("%+v: want an error", q)
		}
	}
}
