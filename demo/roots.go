package demo

import (
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
)

// rootSpec is one thread of the demo data set: a news post (or, on the web,
// an article page) that reactions answer. Roots are fixed, whatever the
// seed, so that the demo story can name them.
type rootSpec struct {
	native string
	at     float64 // hours after Published
	author string
	text   string
	likes  int64
	tags   []string
	lang   string
	// aff weights how likely a reaction of each stance group (support,
	// criticism, neutral) joins this thread.
	aff [3]float64
}

var (
	affNews    = [3]float64{1.0, 0.6, 1.0}
	affSupport = [3]float64{1.6, 0.15, 0.5}
	affDebate  = [3]float64{0.6, 2.2, 0.5}
)

// The thread roots per platform. Natives follow each platform's id scheme
// at the root's time (see assignNatives).
var roots = map[reaction.Platform][]rootSpec{
	reaction.Reddit: {
		{native: "j2q8vx", at: 0.3, author: "popculture_digest", likes: 48210, aff: affNews,
			text: "Chrissy Teigen and John Legend share the loss of their baby son Jack",
			tags: []string{"r/popculturechat", "chrissy teigen"}},
		{native: "j2qj3k", at: 1.2, author: "wire-reporter-2020", likes: 31870, aff: affNews,
			text: "Chrissy Teigen and John Legend lose baby after pregnancy complications",
			tags: []string{"r/news", "chrissy teigen"}},
		{native: "j2s04m", at: 6, author: "bumps_mod_team", likes: 2210, aff: affSupport,
			text: "Chrissy Teigen shared her loss tonight\n\nFor anyone who wants to talk about the news, this thread is the place. Support resources for pregnancy and infant loss are linked in the sidebar.",
			tags: []string{"r/BabyBumps", "chrissy teigen"}},
		{native: "j38kz1", at: 27, author: "Honest-Kettle-2291", likes: 12530, aff: affDebate,
			text: "Chrissy Teigen's hospital photos spark debate over sharing grief online",
			tags: []string{"r/entertainment", "chrissy teigen"}},
	},
	reaction.HackerNews: {
		{native: "24651630", at: 1.6, author: "dnewsome", likes: 212, aff: affNews,
			text: "Chrissy Teigen and John Legend share pregnancy loss publicly"},
		{native: "24660917", at: 28, author: "pgrant", likes: 164, aff: affDebate,
			text: "Why people share pregnancy loss on social media, and why it draws backlash"},
	},
	reaction.Mastodon: {
		{native: mastodonID(rootTime(0.5), 4101), at: 0.5, author: "newsdesk@mastodon.social", likes: 640, aff: affNews,
			text: "Chrissy Teigen and John Legend announce the loss of their baby son Jack https://news.example.com/entertainment/teigen-legend-jack #ChrissyTeigen #JohnLegend",
			tags: []string{"chrissyteigen", "johnlegend"}},
		{native: mastodonID(rootTime(26), 977), at: 26, author: "culturewire@mas.to", likes: 210, aff: affDebate,
			text: "Chrissy Teigen's photos of her loss divide social media https://celebwire.example.org/2020/10/teigen-photos-debate #ChrissyTeigen",
			tags: []string{"chrissyteigen"}},
	},
	reaction.Bluesky: {
		{native: replica.BlueskyTID(rootTime(0.7), 311), at: 0.7, author: "did:plc:n3wsd3sk5qz2mvk7hx4ya6rt", likes: 1830, aff: affNews,
			text: "Chrissy Teigen and John Legend say they have lost their baby son, Jack, after pregnancy complications."},
		{native: replica.BlueskyTID(rootTime(22), 95), at: 22, author: "did:plc:cu1tur3w1r3b6k2sjd7mq4xe", likes: 920, aff: affDebate,
			text: "Zelda Williams hits back at critics of Chrissy Teigen's hospital photos."},
	},
	reaction.Discourse: {
		{native: "61313", at: 0.9, author: "forum_news", likes: 41, aff: affNews, tags: []string{"topic:5231"},
			text: "Chrissy Teigen and John Legend lose baby son Jack\n\nThe news broke tonight: https://news.example.com/entertainment/teigen-legend-jack\n\nThread for discussing it. Please remember the forum guidelines."},
		{native: "61675", at: 25, author: "mod_helen", likes: 18, aff: affDebate, tags: []string{"topic:5240"},
			text: "Sharing photos of a pregnancy loss: the Teigen discussion\n\nSplitting this off from the news thread, since the replies there turned into a debate about the photos."},
	},
	reaction.Lemmy: {
		{native: "1831046", at: 1.1, author: "newsbot", likes: 388, aff: affNews,
			text: "Chrissy Teigen and John Legend announce the loss of their baby son\n\nhttps://news.example.com/entertainment/teigen-legend-jack"},
		{native: "1835512", at: 26, author: "quiet_meadow@lemmy.world", likes: 142, aff: affDebate,
			text: "Teigen's hospital photos and the debate about grieving in public\n\nhttps://dailypop.example.net/teigen-photos-debate"},
	},
	reaction.Web: {
		// Article pages: the page is the thread, its comments the items.
		{native: "2020/10/01/chrissy-teigen-john-legend-lose-son-jack", at: 1.5, aff: affNews},
		{native: "2020/10/02/opinion-grief-in-public", at: 28, aff: affDebate},
	},
}

// rootTime is the time of a root posted h hours after the story, to the
// second.
func rootTime(h float64) time.Time { return Published.Add(hours(h)).Round(time.Second) }

// Roots returns the native ids of the demo's thread roots on platform p
// (web: the article pages' paths under /web/), in the order of the story's
// sources.
func Roots(p reaction.Platform) []string {
	var out []string
	for _, r := range roots[p] {
		out = append(out, r.native)
	}
	return out
}
