package network_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/dashboard/network"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

func link(r reaction.Reaction) *store.Link {
	return &store.Link{ID: r.ID, Platform: r.Platform, ParentID: r.ParentID, RootID: r.RootID, Relation: r.Relation, IsRoot: r.IsRoot,
		CreatedAt: r.CreatedAt, Author: r.Author, Deleted: r.Deleted, Stance: r.Stance}
}

func build(rs []reaction.Reaction) *network.Network {
	b := network.NewBuilder(fixture.ThreadsStart, fixture.ThreadsEnd)
	for _, r := range rs {
		b.Add(link(r))
	}
	return b.Network()
}

func TestThreadFixtureNetwork(t *testing.T) {
	n := build(fixture.Threads())
	var edges []string
	for _, e := range n.Edges {
		edges = append(edges, fmt.Sprintf("%s>%s:%d/%d/%d/%d:%s", e.Source[len(e.Source)-2:], e.Target[len(e.Target)-2:],
			e.Replies, e.Support, e.Criticism, e.Neutral, e.Dominant))
	}
	// Ann a1, Ben b2, Cat c3, Dan d4, Olga f0; Hal 1a, Ivy 1b, Jon 2c.
	want := "a1>b2:1/1/0/0:support a1>f0:1/1/0/0:support b2>a1:1/0/1/0:criticism b2>c3:2/0/2/0:criticism " +
		"c3>b2:1/1/0/0:support c3>d4:3/1/0/2:neutral d4>c3:2/0/2/0:criticism d4>f0:1/0/1/0:criticism " +
		"1b>2c:2/2/0/0:support 1b>1a:1/1/0/0:support 2c>1b:1/0/1/0:criticism 2c>1a:1/0/1/0:criticism"
	if got := strings.Join(edges, " "); got != want {
		t.Errorf("edges\n got %s\nwant %s", got, want)
	}
	var nodes []string
	for _, v := range n.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s:%d/%d/%d:%s:%d:%d>%d", v.ID[len(v.ID)-2:], v.Support, v.Criticism, v.Neutral, v.Dominant,
			v.ThreadStarters, v.RepliesSent, v.RepliesReceived))
	}
	wantNodes := "a1:2/0/0:support:0:2>1 b2:0/4/0:criticism:0:3>2 c3:2/0/2:mixed:0:4>4 d4:0/3/0:criticism:0:3>3 " +
		"e5:0/0/3:neutral:0:0>0 f0:0/0/0:none:1:0>2 1b:3/0/0:support:0:3>1 2c:0/2/0:criticism:0:2>2 1a:0/0/0:none:1:0>2"
	if got := strings.Join(nodes, " "); got != wantNodes {
		t.Errorf("nodes\n got %s\nwant %s", got, wantNodes)
	}
	s := n.Summary
	if s.Nodes != 9 || s.Edges != 12 || s.Replies != 17 || s.Reactions != 23 {
		t.Errorf("summary %+v", s)
	}
	if s.Reciprocity == nil || fmt.Sprintf("%.4f", *s.Reciprocity) != "0.6667" {
		t.Errorf("reciprocity %v, want 8/12", s.Reciprocity)
	}
	if s.CriticismToSupport != 2 || s.SupportToCriticism != 3 || *s.CriticismToSupportShare != 2.0/12 || *s.SupportToCriticismShare != 3.0/12 {
		t.Errorf("signed edges %+v", s)
	}
	if s.Apart != (network.Apart{DeletedReactions: 1, NoAuthor: 1, ParentNotStored: 1, ParentDeleted: 1, ParentNoAuthor: 1, SelfReplies: 1}) {
		t.Errorf("counted apart %+v", s.Apart)
	}
	// Every reaction in range is on an edge, top-level, or counted apart.
	a := s.Apart
	if s.Replies+s.TopLevel+a.DeletedReactions+a.NoAuthor+a.ParentNotStored+a.ParentDeleted+a.ParentNoAuthor+a.SelfReplies+a.Quotes != s.Reactions {
		t.Errorf("the reactions do not add up: %+v", s)
	}
}

func TestNetworkEdgeCases(t *testing.T) {
	at := fixture.ThreadsPublished
	mk := func(p reaction.Platform, id, parent, author string, st reaction.Stance) reaction.Reaction {
		return reaction.Reaction{Story: "s", Platform: p, ID: id, ParentID: parent, Author: author, Stance: st, CreatedAt: at}
	}
	t.Run("same handle on two platforms", func(t *testing.T) {
		n := build([]reaction.Reaction{
			mk(reaction.Reddit, "reddit:1", "", "alice", reaction.Support),
			mk(reaction.Reddit, "reddit:2", "reddit:1", "bob", reaction.Criticism),
			mk(reaction.Mastodon, "mastodon:1", "", "alice", reaction.Neutral),
		})
		var ids []string
		for _, v := range n.Nodes {
			ids = append(ids, v.ID)
		}
		if strings.Join(ids, " ") != "bob mastodon:alice reddit:alice" || n.Edges[0].Target != "reddit:alice" {
			t.Errorf("nodes %v, edges %+v", ids, n.Edges)
		}
	})
	t.Run("quotes", func(t *testing.T) {
		rs := []reaction.Reaction{
			mk(reaction.Bluesky, "bluesky:1", "", "alice", reaction.Support),
			mk(reaction.Bluesky, "bluesky:2", "bluesky:1", "bob", reaction.Criticism),
			mk(reaction.Bluesky, "bluesky:3", "bluesky:1", "carl", reaction.Criticism),
		}
		rs[2].Relation = reaction.RelationQuote
		n := build(rs)
		if len(n.Edges) != 1 || n.Summary.Apart.Quotes != 1 || n.Summary.Reactions != 3 || len(n.Nodes) != 3 {
			t.Errorf("quotes apart: %+v", n)
		}
		b := network.NewBuilder(time.Time{}, time.Time{})
		b.Quotes = true
		for _, r := range rs {
			b.Add(link(r))
		}
		if n := b.Network(); len(n.Edges) != 2 || n.Summary.Apart.Quotes != 0 || n.Edges[1].Source != "carl" {
			t.Errorf("quotes as edges: %+v", n)
		}
	})
	t.Run("no edges", func(t *testing.T) {
		n := build([]reaction.Reaction{mk(reaction.Reddit, "reddit:1", "", "alice", reaction.Support)})
		if n.Summary.Reciprocity != nil || n.Summary.Edges != 0 || n.Summary.Nodes != 1 {
			t.Errorf("summary %+v", n.Summary)
		}
	})
	t.Run("range", func(t *testing.T) {
		rs := []reaction.Reaction{
			mk(reaction.Reddit, "reddit:1", "", "alice", reaction.Support),
			mk(reaction.Reddit, "reddit:2", "reddit:1", "bob", reaction.Criticism),
		}
		rs[0].CreatedAt = at.Add(-48 * time.Hour) // before the range: still a parent
		n := build(rs)
		if len(n.Edges) != 1 || n.Summary.Reactions != 1 || n.Summary.TopLevel != 0 || n.Nodes[0].Reactions != 0 {
			t.Errorf("network %+v", n)
		}
	})
	t.Run("dominant", func(t *testing.T) {
		for _, c := range []struct {
			c    network.Counts
			want string
		}{
			{network.Counts{}, "none"}, {network.Counts{Support: 1}, "support"}, {network.Counts{Support: 1, Criticism: 1}, "mixed"},
			{network.Counts{Support: 1, Criticism: 1, Neutral: 2}, "neutral"}, {network.Counts{Criticism: 3, Neutral: 3}, "mixed"},
		} {
			if got := c.c.Dominant(); got != c.want {
				t.Errorf("%+v: %s, want %s", c.c, got, c.want)
			}
		}
	})
}
