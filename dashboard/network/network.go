// Package network builds a story's signed reply network from what is
// stored: who answered whom (parent ids and pseudonymous authors), signed by
// the stance of each reply toward the story's subject.
//
// Nodes are authors: every author of a counted reaction in the range, and
// every author answered by one (thread starters' authors included: people
// reply to them). Edges go from the replier to the author replied to,
// weighted by the number of replies and carrying their stance counts. What
// cannot be an edge is counted apart in the Summary, never dropped
// silently: deleted reactions, reactions without an author, replies whose
// parent is not stored, is deleted or has no author, replies to oneself,
// and quote posts (Bluesky), which answer an author before another
// audience: they become edges only when asked for (Request.Quotes).
package network

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// Dominant values besides the three stances.
const (
	// Mixed is the dominant stance of a tie between the most frequent
	// stances.
	Mixed = "mixed"
	// None is the dominant stance of an author with no counted reaction
	// (one who is only answered, e.g. the author of a thread starter).
	None = "none"
)

// Counts are reactions by stance.
type Counts struct {
	Support   int64 `json:"support"`
	Criticism int64 `json:"criticism"`
	Neutral   int64 `json:"neutral"`
}

func (c *Counts) add(st reaction.Stance) {
	switch st {
	case reaction.Support:
		c.Support++
	case reaction.Criticism:
		c.Criticism++
	default:
		c.Neutral++
	}
}

// Total is the sum of the three.
func (c Counts) Total() int64 { return c.Support + c.Criticism + c.Neutral }

// Dominant is the most frequent stance, Mixed on a tie between the most
// frequent, None when all are 0.
func (c Counts) Dominant() string {
	best, name, tie := int64(0), None, false
	for _, x := range []struct {
		n    int64
		name reaction.Stance
	}{{c.Support, reaction.Support}, {c.Criticism, reaction.Criticism}, {c.Neutral, reaction.Neutral}} {
		switch {
		case x.n > best:
			best, name, tie = x.n, string(x.name), false
		case x.n == best && x.n > 0:
			tie = true
		}
	}
	if tie {
		return Mixed
	}
	return name
}

// Node is one author.
type Node struct {
	// ID is the author's pseudonym; when the same author string occurs on
	// two platforms (possible only with kept handles, since pseudonyms are
	// keyed by platform), it is prefixed "platform:" on both.
	ID       string            `json:"id"`
	Author   string            `json:"author"`
	Platform reaction.Platform `json:"platform"`
	// Counts are the author's reactions in the range by stance (thread
	// starters not included), and Reactions their sum.
	Counts
	Reactions int64  `json:"reactions"`
	Dominant  string `json:"dominant"`
	// ThreadStarters counts the author's thread starters (is_root) that
	// were posted in the range or answered in it.
	ThreadStarters int64 `json:"thread_starters"`
	// RepliesSent and RepliesReceived are the weights of the author's
	// edges out and in.
	RepliesSent     int64 `json:"replies_sent"`
	RepliesReceived int64 `json:"replies_received"`
}

// Edge is the replies of one author to another.
type Edge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	// Replies is the number of replies (the edge weight); Counts split
	// them by the replier's stance.
	Replies int64 `json:"replies"`
	Counts
	Dominant string `json:"dominant"`
}

// Apart counts what is neither a node's reaction nor an edge.
type Apart struct {
	// DeletedReactions are reactions in the range now deleted on the
	// platform (their author is usually gone with them).
	DeletedReactions int64 `json:"deleted_reactions"`
	// NoAuthor are reactions in the range, not deleted, without a pseudonym.
	NoAuthor int64 `json:"no_author"`
	// ParentNotStored are replies whose parent was never collected.
	ParentNotStored int64 `json:"parent_not_stored"`
	// ParentDeleted are replies to a reaction now deleted.
	ParentDeleted int64 `json:"parent_deleted"`
	// ParentNoAuthor are replies to a reaction without a pseudonym.
	ParentNoAuthor int64 `json:"parent_no_author"`
	// SelfReplies are replies to one's own reaction: counted in the
	// author's reactions, not an edge (no self-loops).
	SelfReplies int64 `json:"self_replies"`
	// Quotes are quote posts, when they are not edges (Request.Quotes).
	Quotes int64 `json:"quotes"`
}

// Summary describes a network.
type Summary struct {
	Nodes int `json:"nodes"`
	Edges int `json:"edges"`
	// Replies is the sum of the edge weights.
	Replies int64 `json:"replies"`
	// Reactions counts the reactions read in the range (thread starters
	// not included): Replies (those on edges), TopLevel, and those
	// counted apart add up to it.
	Reactions int64 `json:"reactions"`
	// TopLevel counts reactions that answer nothing: top-level posts that
	// do not start a followed thread (a post found by search). Their
	// authors are nodes.
	TopLevel int64 `json:"top_level"`
	// Reciprocity is the share of edges whose reverse edge exists
	// (networkx's overall_reciprocity); nil without edges.
	Reciprocity *float64 `json:"reciprocity"`
	// CriticismToSupport counts edges whose replies are mostly criticism
	// (Dominant) aimed at an author whose reactions are mostly support;
	// SupportToCriticism the reverse (defenders answering critics). The
	// shares are of all edges; nil without edges.
	CriticismToSupport      int      `json:"criticism_to_support"`
	SupportToCriticism      int      `json:"support_to_criticism"`
	CriticismToSupportShare *float64 `json:"criticism_to_support_share"`
	SupportToCriticismShare *float64 `json:"support_to_criticism_share"`
	// Apart is what could not be a node's reaction or an edge.
	Apart Apart `json:"counted_apart"`
}

// Network is a built network: nodes by ID, edges by source then target.
type Network struct {
	Nodes   []Node
	Edges   []Edge
	Summary Summary
}

// Request asks for one story's network.
type Request struct {
	// Story is the story id. Required.
	Story string
	// From and To bound the replies counted by created_at, [From, To);
	// zero is unbounded. Parents are looked up in the whole story.
	From, To time.Time
	// Platform keeps one platform ("" = all).
	Platform reaction.Platform
	// Quotes makes quote posts edges too, counted with the replies; by
	// default they are counted apart.
	Quotes bool
}

// Build reads the story's reply links from st (one streaming pass over the
// story; memory grows with its reactions, about 100 bytes each) and builds
// the network of req.
func Build(ctx context.Context, st *store.Store, req Request) (*Network, error) {
	q := store.ReactionQuery{Story: req.Story}
	if req.Platform != "" {
		q.Platforms = []reaction.Platform{req.Platform}
	}
	b := NewBuilder(req.From, req.To)
	b.Quotes = req.Quotes
	if err := st.EachLink(ctx, q, func(l *store.Link) error {
		b.Add(l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("build reply network: %w", err)
	}
	return b.Network(), nil
}

// Builder collects links and builds their network.
type Builder struct {
	// Quotes makes quote posts edges (see Request.Quotes).
	Quotes   bool
	from, to time.Time
	authors  []authorKey
	authorOf map[authorKey]int32
	byID     map[string]parent // every reaction of the story
	replies  []reply           // the reactions in range
}

type authorKey struct {
	platform reaction.Platform
	author   string
}

// parent is what a reply needs of the reaction it answers.
type parent struct {
	author  int32 // index into authors, -1 when none
	deleted bool
	isRoot  bool
}

// reply is one reaction in range.
type reply struct {
	parentID string
	author   int32
	stance   reaction.Stance
	deleted  bool
	isRoot   bool
	quote    bool
	id       string
}

// NewBuilder returns a builder counting reactions created in [from, to)
// (zero bounds are open).
func NewBuilder(from, to time.Time) *Builder {
	return &Builder{from: from, to: to, authorOf: map[authorKey]int32{}, byID: map[string]parent{}}
}

func (b *Builder) author(p reaction.Platform, a string) int32 {
	if a == "" {
		return -1
	}
	k := authorKey{p, a}
	i, ok := b.authorOf[k]
	if !ok {
		i = int32(len(b.authors))
		b.authors = append(b.authors, k)
		b.authorOf[k] = i
	}
	return i
}

// Add takes one reaction of the story (any time); l may be reused after.
func (b *Builder) Add(l *store.Link) {
	a := b.author(l.Platform, l.Author)
	b.byID[l.ID] = parent{author: a, deleted: l.Deleted, isRoot: l.IsRoot}
	if !b.from.IsZero() && l.CreatedAt.Before(b.from) || !b.to.IsZero() && !l.CreatedAt.Before(b.to) {
		return
	}
	b.replies = append(b.replies, reply{parentID: l.ParentID, author: a, stance: l.Stance, deleted: l.Deleted, isRoot: l.IsRoot,
		quote: l.Relation == reaction.RelationQuote, id: l.ID})
}

type edgeKey struct{ from, to int32 }

// Network builds the network of the links added.
func (b *Builder) Network() *Network {
	type nodeAcc struct {
		counts         Counts
		starters       int64
		sent, received int64
		present        bool
	}
	nodes := make([]nodeAcc, len(b.authors))
	edges := map[edgeKey]*Counts{}
	starters := map[string]bool{} // thread starters counted
	var sum Summary
	ap := &sum.Apart
	for _, r := range b.replies {
		if r.isRoot {
			if r.author >= 0 && !r.deleted && !starters[r.id] {
				starters[r.id] = true
				nodes[r.author].starters++
				nodes[r.author].present = true
			}
			continue
		}
		sum.Reactions++
		switch {
		case r.deleted:
			ap.DeletedReactions++
			continue
		case r.author < 0:
			ap.NoAuthor++
			continue
		}
		n := &nodes[r.author]
		n.present = true
		n.counts.add(r.stance)
		if r.parentID == "" {
			sum.TopLevel++
			continue
		}
		if r.quote && !b.Quotes {
			ap.Quotes++
			continue
		}
		p, ok := b.byID[r.parentID]
		switch {
		case !ok:
			ap.ParentNotStored++
			continue
		case p.deleted:
			ap.ParentDeleted++
			continue
		case p.author < 0:
			ap.ParentNoAuthor++
			continue
		case p.author == r.author:
			ap.SelfReplies++
			continue
		}
		if p.isRoot && !starters[r.parentID] {
			starters[r.parentID] = true
			nodes[p.author].starters++
		}
		nodes[p.author].present = true
		k := edgeKey{r.author, p.author}
		e := edges[k]
		if e == nil {
			e = &Counts{}
			edges[k] = e
		}
		e.add(r.stance)
	}

	// Node ids: the author, prefixed by the platform where the same author
	// string occurs on two platforms.
	onPlatforms := map[string]int{}
	for i, k := range b.authors {
		if nodes[i].present {
			onPlatforms[k.author]++
		}
	}
	ids := make([]string, len(b.authors))
	net := &Network{}
	for i, k := range b.authors {
		if !nodes[i].present {
			continue
		}
		ids[i] = k.author
		if onPlatforms[k.author] > 1 {
			ids[i] = string(k.platform) + ":" + k.author
		}
	}
	for k, c := range edges {
		nodes[k.from].sent += c.Total()
		nodes[k.to].received += c.Total()
		net.Edges = append(net.Edges, Edge{Source: ids[k.from], Target: ids[k.to], Replies: c.Total(), Counts: *c, Dominant: c.Dominant()})
		sum.Replies += c.Total()
	}
	dominant := map[string]string{}
	for i, k := range b.authors {
		n := nodes[i]
		if !n.present {
			continue
		}
		node := Node{ID: ids[i], Author: k.author, Platform: k.platform, Counts: n.counts, Reactions: n.counts.Total(),
			Dominant: n.counts.Dominant(), ThreadStarters: n.starters, RepliesSent: n.sent, RepliesReceived: n.received}
		dominant[node.ID] = node.Dominant
		net.Nodes = append(net.Nodes, node)
	}
	slices.SortFunc(net.Nodes, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(net.Edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Target, b.Target))
	})

	sum.Nodes, sum.Edges = len(net.Nodes), len(net.Edges)
	if sum.Edges > 0 {
		mutual := 0
		for k := range edges {
			if _, ok := edges[edgeKey{k.to, k.from}]; ok {
				mutual++
			}
		}
		for _, e := range net.Edges {
			switch {
			case e.Dominant == string(reaction.Criticism) && dominant[e.Target] == string(reaction.Support):
				sum.CriticismToSupport++
			case e.Dominant == string(reaction.Support) && dominant[e.Target] == string(reaction.Criticism):
				sum.SupportToCriticism++
			}
		}
		sum.Reciprocity = share(mutual, sum.Edges)
		sum.CriticismToSupportShare = share(sum.CriticismToSupport, sum.Edges)
		sum.SupportToCriticismShare = share(sum.SupportToCriticism, sum.Edges)
	}
	net.Summary = sum
	return net
}

func share(n, of int) *float64 {
	v := float64(n) / float64(of)
	return &v
}
