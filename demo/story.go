package demo

import (
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// StoryID is the id of the demo story.
const StoryID = "demo-teigen-loss"

// DemoRate is the request rate of every demo source: the replicas run on
// loopback, so the platforms' real limits (which the crawler keeps for real
// hosts) would only make the demo slow.
const DemoRate = "1000/1s"

// Subject is who stance is about in the seed story.
var Subject = []string{"Chrissy Teigen", "John Legend", "chrissyteigen", "johnlegend"}

// Story returns the demo story for replicas served at baseURL (e.g.
// "http://127.0.0.1:9000"): one source per platform naming the demo's
// threads, as a researcher would name real ones. Bluesky is crawled by
// threads only: its search needs an account (see the source's comment in
// examples/demo.yaml), and the demo needs none.
func Story(baseURL string) *story.Story {
	base := strings.TrimRight(baseURL, "/")
	st := &story.Story{
		ID:        StoryID,
		Title:     "Chrissy Teigen and John Legend share the loss of their son Jack (demo data)",
		Subject:   append([]string(nil), Subject...),
		Published: Published,
		Window:    &story.Window{From: WindowFrom, To: WindowTo},
		Annotations: []story.Annotation{
			{At: Published.Add(hours(zeldaHour)), Label: "Zelda Williams defends Teigen against the critics"},
			{At: Published.Add(25 * time.Hour), Label: "Debate over posting the hospital photos"},
			{At: Published.Add(hours(awardsHour)), Label: "John Legend dedicates his Billboard Music Awards performance to Teigen"},
		},
		Poll: story.Duration(10 * time.Second),
		Demo: true,
	}
	for _, p := range reaction.Platforms {
		src := story.Source{Platform: p, Rate: DemoRate}
		switch p {
		case reaction.Reddit:
			src.BaseURL = base + "/reddit/oauth"
			src.TokenURL = base + "/reddit/api/v1/access_token"
			src.Threads = Roots(p)
			src.Search = []string{"chrissy teigen"}
		case reaction.HackerNews:
			src.BaseURL = base + "/hackernews/api/v1"
			src.Stories = Roots(p)
		case reaction.Mastodon:
			src.BaseURL = base + "/mastodon"
			src.Hashtags = []string{"ChrissyTeigen"}
			src.Statuses = Roots(p)
		case reaction.Bluesky:
			src.BaseURL = base + "/bluesky"
			src.PDSURL = base + "/bluesky"
			// --follow reads the replica's Jetstream.
			src.JetstreamURL = "ws" + strings.TrimPrefix(base, "http") + "/bluesky/subscribe"
			for _, r := range roots[p] {
				src.Threads = append(src.Threads, "at://"+r.author+"/app.bsky.feed.post/"+r.native)
			}
		case reaction.Discourse:
			src.BaseURL = base + "/discourse"
			for _, r := range roots[p] {
				src.Topics = append(src.Topics, discourseTopic(r))
			}
		case reaction.Lemmy:
			src.BaseURL = base + "/lemmy"
			src.Posts = Roots(p)
		case reaction.Web:
			for _, r := range roots[p] {
				src.Pages = append(src.Pages, base+"/web/"+r.native+"/")
			}
			src.JSONLD = true
		}
		st.Sources = append(st.Sources, src)
	}
	return st
}

// discourseTopic returns the topic id of a Discourse root.
func discourseTopic(r rootSpec) string {
	for _, t := range r.tags {
		if v, ok := strings.CutPrefix(t, "topic:"); ok {
			return v
		}
	}
	return r.native
}
