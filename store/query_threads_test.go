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

// TestThreadsAndLinks: thread statistics and reply links read the current
// states, exactly, before any merge: an edited reaction counts once with
// its new stance, a cancelled one not at all.
func TestThreadsAndLinks(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	reply := func(n int, root string, parent int, author string, st reaction.Stance) reaction.Reaction {
		r := mk("s1", reaction.Reddit, n, t0.Add(time.Duration(n)*time.Minute), st)
		r.RootID, r.Author = root, author
		if parent > 0 {
			r.ParentID = reaction.MakeID(reaction.Reddit, fmt.Sprint(parent))
		}
		return r
	}
	big, small := reaction.MakeID(reaction.Reddit, "1"), reaction.MakeID(reaction.Reddit, "10")
	root := reply(1, big, 0, "a_op", reaction.Neutral)
	root.IsRoot = true
	rs := []reaction.Reaction{root,
		reply(2, big, 1, "a_x", reaction.Support), reply(3, big, 2, "a_y", reaction.Criticism),
		reply(4, big, 3, "a_x", reaction.Support), reply(5, big, 1, "", reaction.Support),
		reply(6, big, 1, "a_z", reaction.Neutral),
		reply(11, small, 10, "a_y", reaction.Criticism), reply(12, small, 10, "a_w", reaction.Criticism),
	}
	rs[len(rs)-1].Deleted = true
	insertRows(t, s, rs, 1, 1)
	// reddit:4 is edited to criticism; reddit:6 is cancelled.
	insertRows(t, s, []reaction.Reaction{rs[3], rs[5]}, -1, 1)
	edited := rs[3]
	edited.Stance = reaction.Criticism
	insertRows(t, s, []reaction.Reaction{edited}, 1, 2)

	stat := func(ts []store.ThreadStat) string {
		var b []string
		for _, x := range ts {
			b = append(b, fmt.Sprintf("%s %s n=%d s=%d c=%d u=%d del=%d authors=%d %s..%s", x.RootID, x.Platform, x.Reactions,
				x.Support, x.Criticism, x.Neutral, x.Deleted, x.Authors, x.First.Format("15:04"), x.Last.Format("15:04")))
		}
		return strings.Join(b, "; ")
	}
	top, err := s.Threads(ctx, store.ThreadQuery{Reactions: store.ReactionQuery{Story: "s1"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stat(top), "reddit:1 reddit n=4 s=2 c=2 u=0 del=0 authors=2 00:02..00:05; reddit:10 reddit n=2 s=0 c=2 u=0 del=1 authors=2 00:11..00:12"; got != want {
		t.Errorf("by size\n got %s\nwant %s", got, want)
	}
	top, err = s.Threads(ctx, store.ThreadQuery{Reactions: store.ReactionQuery{Story: "s1"}, By: store.ByCriticismShare, MinSize: 2, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 2 || top[0].RootID != small {
		t.Errorf("by criticism share: %s", stat(top))
	}
	top, err = s.Threads(ctx, store.ThreadQuery{Reactions: store.ReactionQuery{Story: "s1"}, By: store.ByCriticismShare, MinSize: 3, Limit: 10})
	if err != nil || len(top) != 1 || top[0].RootID != big {
		t.Errorf("criticism share of threads with 3 or more: %s (%v)", stat(top), err)
	}
	if _, err := s.Threads(ctx, store.ThreadQuery{Reactions: store.ReactionQuery{Story: "s1"}}); err == nil {
		t.Error("limit 0: no error")
	}

	var links []string
	if err := s.EachLink(ctx, store.ReactionQuery{Story: "s1"}, func(l *store.Link) error {
		links = append(links, fmt.Sprintf("%s<%s:%s:%s:%v:%v", l.ID, l.ParentID, l.Author, l.Stance, l.IsRoot, l.Deleted))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "reddit:1<:a_op:neutral:true:false reddit:2<reddit:1:a_x:support:false:false reddit:3<reddit:2:a_y:criticism:false:false " +
		"reddit:4<reddit:3:a_x:criticism:false:false reddit:5<reddit:1::support:false:false " +
		"reddit:11<reddit:10:a_y:criticism:false:false reddit:12<reddit:10:a_w:criticism:false:true"
	if got := strings.Join(links, " "); got != want {
		t.Errorf("links\n got %s\nwant %s", got, want)
	}

	page, _, err := s.Reactions(ctx, store.ReactionQuery{Story: "s1", Thread: small, Limit: 10})
	if err != nil || ids(page) != "reddit:11 reddit:12" {
		t.Errorf("the reactions of thread %s: %s (%v)", small, ids(page), err)
	}
	byID, err := s.ReactionsByID(ctx, "s1", []string{big, "reddit:4", "reddit:6", "reddit:404"})
	if err != nil || len(byID) != 2 || byID["reddit:4"].Stance != reaction.Criticism || !byID[big].IsRoot {
		t.Errorf("by id: %+v (%v)", byID, err)
	}
}
