package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
)

// Published is when the seed story broke: Chrissy Teigen and John Legend's
// post about the loss of their son Jack (evening of 30 September 2020, US
// time). Every generated time is an offset from it, never from the clock.
var Published = time.Date(2020, 9, 30, 23, 0, 0, 0, time.UTC)

// The story's window: from an hour before the post to two weeks and a
// half-day after it (the Billboard Music Awards of 14 October, US time, are
// the last bump of the demo data).
var (
	WindowFrom = Published.Add(-time.Hour)
	WindowTo   = Published.Add(14*24*time.Hour + 13*time.Hour)
)

// Hours after the post of the events the texts refer to: Zelda Williams
// answering the critics (1 October, US afternoon) and John Legend's
// performance at the Billboard Music Awards (14 October, 8 p.m. US Eastern).
const (
	zeldaHour  = 21.0
	awardsHour = 337.0
)

// DefaultSeed is the seed of "reactions demo" without --seed.
const DefaultSeed = 1

// Options tune Generate. The zero value generates the demo data set.
type Options struct {
	// Scale multiplies the number of reactions of every platform (thread
	// roots are fixed). Default 1: about 4,600 items.
	Scale float64
	// Platforms restricts the platforms generated. Default: all seven.
	Platforms []reaction.Platform
}

// Generate returns the demo data set for seed: the same seed always gives
// identical items (math/rand/v2's PCG, no clock). Items carry the stance
// the generator intended in Item.Intended, which replicas never serve.
func Generate(seed int64, opts Options) *replica.Dataset {
	return replica.NewDataset(Items(seed, opts)...)
}

// Items returns the items of Generate, ordered by CreatedAt (then platform
// and native id): the order in which --follow replays them.
func Items(seed int64, opts Options) []replica.Item {
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	platforms := opts.Platforms
	if len(platforms) == 0 {
		platforms = reaction.Platforms
	}
	var out []replica.Item
	for _, p := range reaction.Platforms {
		if !slices.Contains(platforms, p) {
			continue
		}
		// One stream per platform, so that restricting the platforms does
		// not change the items of the others.
		r := rand.New(rand.NewPCG(uint64(seed), platformSalt(p)))
		out = append(out, newPlatformGen(p, r, opts.Scale).run()...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		if a.Platform != b.Platform {
			return a.Platform < b.Platform
		}
		return a.Native < b.Native
	})
	return out
}

func platformSalt(p reaction.Platform) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(p); i++ {
		h ^= uint64(p[i])
		h *= 1099511628211
	}
	return h
}

// budget is the number of reactions per platform at scale 1.
var budget = map[reaction.Platform]int{
	reaction.Reddit:     1400,
	reaction.HackerNews: 220,
	reaction.Mastodon:   650,
	reaction.Bluesky:    650,
	reaction.Discourse:  380,
	reaction.Lemmy:      420,
	reaction.Web:        480,
}

// foreign is the share of non-English reactions per platform.
var foreign = map[reaction.Platform]float64{
	reaction.Reddit: 0.03, reaction.HackerNews: 0, reaction.Mastodon: 0.18, reaction.Bluesky: 0.12,
	reaction.Discourse: 0.05, reaction.Lemmy: 0.15, reaction.Web: 0.10,
}

// celebs is how many well-known accounts comment on each platform.
var celebs = map[reaction.Platform]int{reaction.Mastodon: 4, reaction.Bluesky: 8, reaction.Web: 2}

// StoryHashtag is the hashtag Mastodon reactions posted on their own carry
// (the demo story follows its timeline).
const StoryHashtag = "#ChrissyTeigen"

// mastodonConvCap bounds a Mastodon conversation's replies: an anonymous
// client sees at most 60 descendants in one context.
const mastodonConvCap = 50

// maxDepth bounds reply chains (Bluesky's getPostThread default depth is 6).
const maxDepth = 6

// node is one item under construction.
type node struct {
	t       time.Time
	kind    kind
	lang    string
	root    int // index of the thread's root node
	parent  int // index of the node answered; -1 for a root
	depth   int
	author  string
	text    string
	likes   int64
	deleted bool
	tags    []string
	native  string
	page    bool // a web page: the thread, not an item
	// conv is the index of the conversation's first status (the root, or
	// on Mastodon a standalone status); standalone marks a Mastodon status
	// posted on its own, with the story's hashtag, rather than as a reply.
	conv       int
	standalone bool
}

type platformGen struct {
	p     reaction.Platform
	r     *rand.Rand
	w     *writer
	scale float64
	nodes []*node
	roots []int
	// aff is each root's affinity to a stance group (see group).
	aff     [][3]float64
	authors []string
	// convSize counts the replies in each conversation (by conv index).
	convSize map[int]int
}

func newPlatformGen(p reaction.Platform, r *rand.Rand, scale float64) *platformGen {
	return &platformGen{p: p, r: r, w: newWriter(r), scale: scale, convSize: map[int]int{}}
}

// role is the part of the story a reaction belongs to.
type role uint8

const (
	roleSupportWave role = iota // the wave of support right after the post
	roleNewsEarly               // news sharing and questions in the first hours
	roleCritWave                // the criticism of posting publicly, day 1-3
	roleDefender                // defenders answering the critics, day 2-4
	roleCritReply               // critics answering the defenders
	roleTail                    // the long tail, mixed
	roleMisc                    // spam, chatter, opinions on something else
	roleAwards                  // the Billboard Music Awards, 14 October
)

var roleShare = []struct {
	role  role
	share float64
}{
	{roleSupportWave, 0.36}, {roleNewsEarly, 0.07}, {roleCritWave, 0.17}, {roleDefender, 0.13},
	{roleCritReply, 0.03}, {roleTail, 0.19}, {roleMisc, 0.03}, {roleAwards, 0.02},
}

// run generates the platform's items.
func (g *platformGen) run() []replica.Item {
	r := g.r
	for _, rt := range roots[g.p] {
		n := &node{t: rootTime(rt.at), kind: kindRoot, lang: "en", parent: -1,
			author: rt.author, text: rt.text, likes: rt.likes, tags: rt.tags, native: rt.native, page: g.p == reaction.Web}
		if rt.lang != "" {
			n.lang = rt.lang
		}
		n.root, n.conv = len(g.nodes), len(g.nodes)
		g.roots = append(g.roots, len(g.nodes))
		g.aff = append(g.aff, rt.aff)
		g.nodes = append(g.nodes, n)
	}
	total := int(math.Round(float64(budget[g.p]) * g.scale))
	g.authors = authorPool(g.p, r, max(20, total*3/4))

	// Draw every reaction's role and time first, then place them in time
	// order, so that a reply always finds its parent already placed.
	type draft struct {
		role role
		t    time.Time
		lang string
	}
	var drafts []draft
	for _, rs := range roleShare {
		n := int(math.Round(rs.share * float64(total)))
		for i := 0; i < n; i++ {
			lang := g.language()
			drafts = append(drafts, draft{rs.role, g.when(rs.role, lang), lang})
		}
	}
	sort.SliceStable(drafts, func(i, j int) bool { return drafts[i].t.Before(drafts[j].t) })
	for _, d := range drafts {
		g.place(d.role, d.t, d.lang)
	}
	for i := 0; i < celebs[g.p]; i++ {
		g.placeCeleb(i)
	}
	g.assignNatives()
	return g.items()
}

// language picks a reaction's language: mostly English, else Spanish,
// Portuguese, French or German.
func (g *platformGen) language() string {
	if !chance(g.r, foreign[g.p]) {
		return "en"
	}
	x := g.r.Float64()
	switch {
	case x < 0.35:
		return "es"
	case x < 0.60:
		return "pt"
	case x < 0.85:
		return "fr"
	}
	return "de"
}

// utcOffset is the offset, in hours, of where a language's reactions are
// written from (US Eastern for English, in October 2020 on summer time).
func utcOffset(lang string) float64 {
	switch lang {
	case "es":
		return -5
	case "pt":
		return -3
	case "fr", "de":
		return 2
	}
	return -4
}

// activity is the daily rhythm: the relative chance that someone posts at
// t, lowest around 3 a.m. local time and highest mid-afternoon.
func activity(t time.Time, lang string) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60 + utcOffset(lang)
	return 0.15 + 0.85*(0.5+0.5*math.Cos(2*math.Pi*(h-15)/24))
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// when draws a reaction time for a role, shaped by the daily rhythm.
func (g *platformGen) when(ro role, lang string) time.Time {
	r := g.r
	end := WindowTo.Sub(Published).Hours() - 0.5
	var h float64
	for try := 0; try < 60; try++ {
		switch ro {
		case roleSupportWave:
			h = math.Exp(math.Log(5) + 1.0*r.NormFloat64())
		case roleNewsEarly:
			h = math.Exp(math.Log(3) + 1.1*r.NormFloat64())
		case roleCritWave:
			if chance(r, 0.12) {
				h = math.Exp(math.Log(8) + 0.8*r.NormFloat64())
			} else {
				h = 36 + 13*r.NormFloat64()
			}
		case roleDefender, roleCritReply:
			h = 62 + 16*r.NormFloat64()
		case roleTail:
			h = 30 + r.ExpFloat64()*80
		case roleMisc:
			h = r.Float64() * 240
		case roleAwards:
			h = awardsHour + math.Exp(math.Log(2)+0.8*r.NormFloat64())
		}
		h = min(max(h, 0.05), end)
		if chance(r, activity(Published.Add(hours(h)), lang)) {
			break
		}
	}
	// Whole milliseconds, like the platforms' clocks.
	return Published.Add(hours(h)).Truncate(time.Millisecond)
}

// group is a stance group for thread affinity: 0 support, 1 criticism,
// 2 neutral.
func group(k kind) int {
	switch k.stance() {
	case reaction.Support:
		return 0
	case reaction.Criticism:
		return 1
	}
	return 2
}

// pickKind draws the kind of text for a role.
func (g *platformGen) pickKind(ro role) kind {
	r := g.r
	x := r.Float64()
	switch ro {
	case roleSupportWave, roleAwards:
		if ro == roleAwards && x < 0.2 {
			return kindNews
		}
		switch {
		case x < 0.70:
			return kindSupport
		case x < 0.82:
			return kindSupportPersonal
		case x < 0.94:
			return kindSupportShort
		case x < 0.97:
			return kindQuestion
		}
		return kindDefence
	case roleNewsEarly:
		switch {
		case x < 0.65:
			return kindNews
		case x < 0.9:
			return kindQuestion
		}
		return kindChatter
	case roleCritWave:
		switch {
		case x < 0.33:
			return kindCritPrivacy
		case x < 0.58:
			return kindCritPolite
		case x < 0.80:
			return kindCritSarcasm
		}
		return kindCritMotive
	case roleDefender:
		if x < 0.3 {
			return kindDefence
		}
		return kindDefenceReply
	case roleCritReply:
		return kindCritReply
	case roleTail:
		switch {
		case x < 0.30:
			return kindSupport
		case x < 0.37:
			return kindSupportPersonal
		case x < 0.45:
			return kindDefence
		case x < 0.52:
			return kindCritPrivacy
		case x < 0.58:
			return kindCritPolite
		case x < 0.62:
			return kindCritSarcasm
		case x < 0.65:
			return kindCritMotive
		case x < 0.75:
			return kindNews
		case x < 0.85:
			return kindQuestion
		case x < 0.92:
			return kindOther
		}
		return kindChatter
	}
	// roleMisc
	switch {
	case x < 0.4:
		return kindSpam
	case x < 0.7:
		return kindOther
	}
	return kindChatter
}

// place adds one reaction of role ro at time t.
func (g *platformGen) place(ro role, t time.Time, lang string) {
	r := g.r
	k := g.pickKind(ro)
	parent := -1
	switch k {
	case kindDefenceReply:
		parent = g.pickParent(t, func(n *node) bool { return n.kind.stance() == reaction.Criticism && n.kind != kindRoot })
		if parent < 0 {
			k = kindDefence
		}
	case kindCritReply:
		parent = g.pickParent(t, func(n *node) bool { return n.kind == kindDefenceReply || n.kind == kindDefence })
		if parent < 0 {
			k = kindCritPrivacy
		}
	}
	if parent < 0 {
		root := g.pickRoot(t, group(k))
		if root < 0 {
			return // nothing to answer yet: the reaction never happened
		}
		parent = root
		replyP := 0.3
		if g.p == reaction.HackerNews {
			replyP = 0.45
		}
		if k != kindNews && k != kindSpam && chance(r, replyP) {
			if p := g.pickReplyParent(root, t, k); p >= 0 {
				parent = p
				if g.nodes[p].kind == kindQuestion && lang == "en" && chance(r, 0.5) {
					k = kindAnswer
				}
			}
		}
	}
	pn := g.nodes[parent]
	if !t.After(pn.t) {
		t = pn.t.Add(time.Duration(1+r.IntN(40)) * time.Minute).Add(time.Duration(r.IntN(60000)) * time.Millisecond)
	}
	if t.After(WindowTo.Add(-time.Minute)) {
		return
	}
	n := &node{t: t, kind: k, lang: lang, parent: parent, root: pn.root, depth: pn.depth + 1, conv: pn.conv}
	if pn.kind == kindRoot {
		n.depth = 1
	}
	spec := textSpec{kind: k, lang: lang, platform: g.p, h: t.Sub(Published).Hours()}
	// On Mastodon most people post on their own with the hashtag rather
	// than answer a news account; and a conversation an anonymous client
	// can read whole stays under the 60 descendants a context shows.
	if g.p == reaction.Mastodon && pn.kind == kindRoot && (g.convSize[pn.conv] >= mastodonConvCap || chance(r, 0.75)) {
		n.standalone, n.conv, n.depth = true, len(g.nodes), 0
		spec.hashtag = StoryHashtag
	} else {
		g.convSize[n.conv]++
	}
	n.author = g.author()
	if (k == kindDefenceReply || k == kindCritReply) && g.mentions() && chance(r, 0.6) {
		spec.mention = pick(r, mentionNames)
	}
	n.text = g.w.write(spec)
	n.likes = g.likes(k)
	delP := 0.012
	if k.stance() == reaction.Criticism {
		delP = 0.05
	}
	n.deleted = chance(r, delP)
	g.nodes = append(g.nodes, n)
}

// placeCeleb adds the i-th well-known account's condolence, in the first
// hours after the post, on the most visible thread.
func (g *platformGen) placeCeleb(i int) {
	r := g.r
	t := Published.Add(hours(0.4 + r.Float64()*9)).Truncate(time.Millisecond)
	root := g.pickRoot(t, 0)
	if root < 0 {
		return
	}
	if !t.After(g.nodes[root].t) {
		t = g.nodes[root].t.Add(time.Duration(5+r.IntN(50)) * time.Minute)
	}
	n := &node{t: t, kind: kindCeleb, lang: "en", parent: root, root: root, depth: 1, conv: root,
		author: celebHandle(g.p, i), likes: int64(math.Exp(math.Log(12000) + 0.7*r.NormFloat64()))}
	spec := textSpec{kind: kindCeleb, lang: "en", platform: g.p}
	if g.p == reaction.Mastodon {
		n.standalone, n.conv, n.depth = true, len(g.nodes), 0
		spec.hashtag = StoryHashtag
	} else {
		g.convSize[root]++
	}
	n.text = g.w.write(spec)
	g.nodes = append(g.nodes, n)
}

// mentions reports whether replies on the platform address people with @.
func (g *platformGen) mentions() bool {
	return g.p != reaction.Reddit && g.p != reaction.HackerNews
}

// pickRoot picks the thread a reaction of stance group grp joins: roots
// already posted, weighted by their affinity and by how recent they are.
func (g *platformGen) pickRoot(t time.Time, grp int) int {
	var ws []float64
	var ids []int
	for i, ri := range g.roots {
		rt := g.nodes[ri]
		if !rt.t.Before(t.Add(-2 * time.Minute)) {
			continue
		}
		age := t.Sub(rt.t).Hours()
		ws = append(ws, g.aff[i][grp]/(1+age/72))
		ids = append(ids, ri)
	}
	if len(ids) == 0 {
		return -1
	}
	return ids[weighted(g.r, ws)]
}

// pickParent picks an earlier reaction matching ok (recent ones first),
// not too deep, for a reply at t.
func (g *platformGen) pickParent(t time.Time, ok func(*node) bool) int {
	var cand []int
	for i := len(g.nodes) - 1; i >= 0 && len(cand) < 60; i-- {
		n := g.nodes[i]
		// Bluesky serves a deleted post as notFoundPost, without its
		// replies, and Mastodon cuts a conversation at a deleted status: a
		// thread crawl could not reach replies to them.
		goneCuts := g.p == reaction.Bluesky || g.p == reaction.Mastodon
		if n.kind != kindRoot && n.t.Before(t) && n.depth < maxDepth && !(n.deleted && goneCuts) &&
			!(g.p == reaction.Mastodon && g.convSize[n.conv] >= mastodonConvCap) && ok(n) {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return -1
	}
	// Prefer recent critics: a defender answers what is in front of them.
	return cand[int(float64(len(cand))*math.Pow(g.r.Float64(), 1.8))]
}

// pickReplyParent picks an earlier reaction in root's thread that a
// reaction of kind k would answer: one of the same stance or a neutral one.
func (g *platformGen) pickReplyParent(root int, t time.Time, k kind) int {
	grp := group(k)
	return g.pickParent(t, func(n *node) bool {
		if n.root != root || n.kind == kindSpam {
			return false
		}
		ng := group(n.kind)
		return ng == grp || ng == 2 && grp != 1
	})
}

func weighted(r *rand.Rand, ws []float64) int {
	var sum float64
	for _, w := range ws {
		sum += w
	}
	x := r.Float64() * sum
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// author picks an author: a few people post many times, most once.
func (g *platformGen) author() string {
	return g.authors[int(float64(len(g.authors))*math.Pow(g.r.Float64(), 1.6))]
}

// likes draws a like count: heavy-tailed, support liked more, criticism
// sometimes voted below zero on Reddit, no public comment points on HN.
func (g *platformGen) likes(k kind) int64 {
	r := g.r
	if g.p == reaction.HackerNews {
		return 0
	}
	mu := 0.6
	if k.stance() == reaction.Support {
		mu = 1.2
	}
	v := int64(math.Floor(math.Exp(mu + 1.3*r.NormFloat64())))
	if g.p == reaction.Reddit && k.stance() == reaction.Criticism && chance(r, 0.4) {
		v = -int64(r.IntN(25))
	}
	return v
}

// assignNatives gives every reaction a native id in its platform's format,
// increasing with time as the platforms' ids do.
func (g *platformGen) assignNatives() {
	order := make([]int, 0, len(g.nodes))
	for i, n := range g.nodes {
		if n.kind != kindRoot {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return g.nodes[order[a]].t.Before(g.nodes[order[b]].t) })
	used := map[string]bool{}
	for _, ri := range g.roots {
		used[g.nodes[ri].native] = true
	}
	var last int64
	for _, i := range order {
		n := g.nodes[i]
		secs := n.t.Sub(Published).Seconds()
		var native string
		for {
			switch g.p {
			case reaction.Reddit:
				// Comments were created at about 60 a second site-wide.
				v := max(redditCommentBase+int64(secs*60)+g.r.Int64N(50), last+1)
				last = v
				native = strconv.FormatInt(v, 36)
			case reaction.HackerNews:
				v := max(hnBase+int64(secs*0.03)+g.r.Int64N(3), last+1)
				last = v
				native = strconv.FormatInt(v, 10)
			case reaction.Mastodon:
				native = mastodonID(n.t, g.r.Uint64N(1<<16))
			case reaction.Bluesky:
				native = replica.BlueskyTID(n.t, uint(g.r.UintN(1024)))
			case reaction.Discourse:
				v := max(discoursePostBase+int64(secs/240)+g.r.Int64N(4), last+1)
				last = v
				native = strconv.FormatInt(v, 10)
			case reaction.Lemmy:
				v := max(lemmyCommentBase+int64(secs*0.4)+g.r.Int64N(5), last+1)
				last = v
				native = strconv.FormatInt(v, 10)
			case reaction.Web:
				v := max(webCommentBase+int64(secs/30)+g.r.Int64N(3), last+1)
				last = v
				native = "comment-" + strconv.FormatInt(v, 10)
			}
			if !used[native] {
				break
			}
			last++
		}
		used[native] = true
		n.native = native
	}
}

// Bases of the generated native ids (chosen not to collide with the
// replicas' fixtures, which tests serve together with demo data).
var (
	redditCommentBase       = mustParse36("g7a0000")
	hnBase            int64 = 24_652_000
	discoursePostBase int64 = 61_300
	lemmyCommentBase  int64 = 10_240_000
	webCommentBase    int64 = 512_000
)

func mustParse36(s string) int64 {
	v, err := strconv.ParseInt(s, 36, 64)
	if err != nil {
		panic(err)
	}
	return v
}

// mastodonID is a Mastodon snowflake id: milliseconds since the epoch
// shifted left 16 bits, plus a sequence (Mastodon's timestamp_id).
func mastodonID(t time.Time, seq uint64) string {
	return strconv.FormatUint(uint64(t.UnixMilli())<<16|seq&0xffff, 10)
}

// items turns the nodes into replica items.
func (g *platformGen) items() []replica.Item {
	out := make([]replica.Item, 0, len(g.nodes))
	for _, n := range g.nodes {
		if n.page {
			continue
		}
		it := replica.Item{
			Platform: g.p, Native: n.native, Author: n.author, Text: n.text, CreatedAt: n.t,
			Deleted: n.deleted, Lang: n.lang, Likes: n.likes, Tags: slices.Clone(n.tags), Intended: n.kind.stance(),
		}
		if n.kind != kindRoot && !n.standalone {
			it.Thread = g.nodes[n.conv].native
			switch par := g.nodes[n.parent]; {
			case g.p == reaction.Web && par.page:
				it.Parent = ""
			default:
				it.Parent = par.native
			}
		}
		if g.p == reaction.Mastodon && n.kind != kindRoot {
			it.Tags = mastodonTags(n.text)
		}
		out = append(out, it)
	}
	return out
}

// mastodonTags are the hashtags a status is found by: those in its text.
func mastodonTags(text string) []string {
	var tags []string
	for _, f := range strings.Fields(text) {
		if t, ok := strings.CutPrefix(f, "#"); ok && t != "" {
			t = strings.TrimRight(t, ".,!?")
			if !slices.Contains(tags, strings.ToLower(t)) {
				tags = append(tags, strings.ToLower(t))
			}
		}
	}
	return tags
}

// authorPool makes n plausible handles in the platform's shape. They are
// made up; the crawler pseudonymises them anyway.
func authorPool(p reaction.Platform, r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		a := handle(p, r)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

var (
	handleAdj  = []string{"quiet", "sunny", "blue", "tired", "lucky", "misty", "brave", "salty", "gentle", "wild", "rusty", "cosmic", "velvet", "little", "purple", "honest", "sleepy", "amber", "silver", "coastal"}
	handleNoun = []string{"lantern", "otter", "maple", "sparrow", "kettle", "falcon", "pebble", "harbor", "meadow", "comet", "biscuit", "willow", "badger", "fern", "raven", "tulip", "moose", "orchid", "cedar", "pixel"}
	firstNames = []string{"Jenny", "Mark", "Alicia", "Tom", "Priya", "Dana", "Luis", "Keisha", "Robert", "Mei", "Sam", "Olivia", "Grace", "Hector", "Nina", "Carol", "Derek", "Fatima", "Ben", "Rachel", "Ines", "Paulo", "Claire", "Jonas"}
	instances  = []string{"mastodon.social", "mas.to", "hachyderm.io", "mstdn.social", "kolektiva.social", "mastodon.online"}
)

func handle(p reaction.Platform, r *rand.Rand) string {
	adj, noun := pick(r, handleAdj), pick(r, handleNoun)
	switch p {
	case reaction.Reddit:
		switch r.IntN(3) {
		case 0:
			return fmt.Sprintf("%s-%s-%d", upperFirst(adj), upperFirst(noun), 1000+r.IntN(9000))
		case 1:
			return fmt.Sprintf("%s_%s%d", adj, noun, r.IntN(100))
		}
		return fmt.Sprintf("throwaway%s%d", noun, r.IntN(10000))
	case reaction.HackerNews:
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%s%s", strings.ToLower(pick(r, firstNames))[:1+r.IntN(3)], noun)
		}
		return fmt.Sprintf("%s_%s", adj, noun)
	case reaction.Mastodon:
		if r.IntN(3) == 0 {
			return fmt.Sprintf("%s%s", adj, noun)
		}
		return fmt.Sprintf("%s%s@%s", adj, noun, pick(r, instances))
	case reaction.Bluesky:
		if r.IntN(4) == 0 {
			return fmt.Sprintf("%s-%s.%s", adj, noun, pick(r, []string{"com", "net", "blog"}))
		}
		return fmt.Sprintf("%s%s%d.bsky.social", adj, noun, r.IntN(100))
	case reaction.Discourse:
		return fmt.Sprintf("%s_%s", strings.ToLower(pick(r, firstNames)), noun)
	case reaction.Lemmy:
		if r.IntN(3) == 0 {
			return fmt.Sprintf("%s_%s@lemmy.world", adj, noun)
		}
		return fmt.Sprintf("%s_%s", adj, noun)
	}
	// web: the name a commenter types.
	if r.IntN(2) == 0 {
		return fmt.Sprintf("%s %c.", pick(r, firstNames), 'A'+rune(r.IntN(26)))
	}
	return fmt.Sprintf("%s%s%d", adj, noun, r.IntN(100))
}

// celebHandle is the i-th well-known account of a platform: fictional, the
// demo never impersonates a real person.
func celebHandle(p reaction.Platform, i int) string {
	names := []string{"stellamarsh", "thejordanreyes", "officialkaylalane", "mirandacole", "danieloshea", "ninavega", "therealtomasz", "lilybrookes"}
	n := names[i%len(names)]
	switch p {
	case reaction.Bluesky:
		return n + ".bsky.social"
	case reaction.Mastodon:
		return n + "@mastodon.social"
	case reaction.Web:
		return upperFirst(n)
	}
	return n
}
