package crawler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// The article, and how people shared it: with tracking parameters, over
// http without www or slash, as its AMP edition, and as written.
const article = "https://www.example-news.com/2020/09/30/teigen-loss/"

var shared = []string{
	"https://www.example-news.com/2020/09/30/teigen-loss/?utm_source=twitter&utm_medium=social",
	"http://example-news.com/2020/09/30/teigen-loss",
	"https://example-news.com/2020/09/30/teigen-loss/amp/",
	"https://www.example-news.com/2020/09/30/teigen-loss",
}

// Another article on the same site, whose threads must not be found.
const otherArticle = "https://www.example-news.com/2020/09/30/other-story/"

// discoveryData holds, per platform, threads linking to every spelling of
// the article and one linking to another article, each with replies (and
// on Bluesky a quote post of each root).
func discoveryData() *replica.Dataset {
	t0 := time.Date(2020, 10, 1, 3, 0, 0, 0, time.UTC)
	d := replica.NewDataset()
	links := append(append([]string(nil), shared...), otherArticle)
	for i, link := range links {
		at := t0.Add(time.Duration(i) * time.Hour)
		reply := func(p reaction.Platform, native, thread, parent string, k int, text string) replica.Item {
			return replica.Item{Platform: p, Native: native, Thread: thread, Parent: parent, Author: fmt.Sprintf("reader%d", k),
				CreatedAt: at.Add(time.Duration(k+1) * 7 * time.Minute), Text: text, Lang: "en", Likes: int64(k)}
		}
		// Hacker News: a link story (title only) and two comments.
		hn := fmt.Sprint(31000001 + i*10)
		d.Add(replica.Item{Platform: reaction.HackerNews, Native: hn, Author: "poster", CreatedAt: at, Likes: 40,
			Text: fmt.Sprintf("Chrissy Teigen and John Legend share their loss (%d)", i), Link: link},
			reply(reaction.HackerNews, fmt.Sprint(31000002+i*10), hn, hn, 0, "So sorry for them."),
			reply(reaction.HackerNews, fmt.Sprint(31000003+i*10), hn, fmt.Sprint(31000002+i*10), 1, "Agreed."))
		// Reddit: a link post and two comments.
		rd := fmt.Sprintf("dsc%03d", i)
		d.Add(replica.Item{Platform: reaction.Reddit, Native: rd, Author: "poster", CreatedAt: at, Likes: 120,
			Text: fmt.Sprintf("Chrissy Teigen and John Legend share their loss (%d)", i), Link: link},
			reply(reaction.Reddit, fmt.Sprintf("cm%03da", i), rd, rd, 0, "Heartbreaking."),
			reply(reaction.Reddit, fmt.Sprintf("cm%03db", i), rd, fmt.Sprintf("cm%03da", i), 1, "Should have stayed private."))
		// Lemmy: a link post and two comments.
		lm := fmt.Sprint(7100001 + i*10)
		d.Add(replica.Item{Platform: reaction.Lemmy, Native: lm, Author: "poster", CreatedAt: at, Likes: 15,
			Text: fmt.Sprintf("Chrissy Teigen and John Legend share their loss (%d)", i), Link: link},
			reply(reaction.Lemmy, fmt.Sprint(7100002+i*10), lm, lm, 0, "Thinking of them."),
			reply(reaction.Lemmy, fmt.Sprint(7100003+i*10), lm, fmt.Sprint(7100002+i*10), 1, "Same."))
		// Mastodon: a status with the link card (the link trends) and two replies.
		ms := fmt.Sprint(112590000000000100 + i*10)
		d.Add(replica.Item{Platform: reaction.Mastodon, Native: ms, Author: "desk@news.example", CreatedAt: at, Likes: 9,
			Text: "Chrissy Teigen and John Legend share their loss " + link, Link: link, Tags: []string{"replica:trending"}},
			reply(reaction.Mastodon, fmt.Sprint(112590000000000101+i*10), ms, ms, 0, "Sending love."),
			reply(reaction.Mastodon, fmt.Sprint(112590000000000102+i*10), ms, fmt.Sprint(112590000000000101+i*10), 1, "Yes."))
		// Bluesky: a post with the link card, two replies and a quote post.
		root := replica.BlueskyTID(at, 1)
		r1, r2, q := replica.BlueskyTID(at.Add(time.Minute), 2), replica.BlueskyTID(at.Add(2*time.Minute), 3), replica.BlueskyTID(at.Add(3*time.Minute), 4)
		d.Add(replica.Item{Platform: reaction.Bluesky, Native: root, Author: fmt.Sprintf("desk%d.example.com", i), CreatedAt: at, Lang: "en",
			Likes: 30, Text: "Chrissy Teigen and John Legend share their loss", Link: link},
			replica.Item{Platform: reaction.Bluesky, Native: r1, Thread: root, Parent: root, Author: "fan.bsky.social",
				CreatedAt: at.Add(time.Minute), Lang: "en", Text: "So sad."},
			replica.Item{Platform: reaction.Bluesky, Native: r2, Thread: root, Parent: r1, Author: "critic.bsky.social",
				CreatedAt: at.Add(2 * time.Minute), Lang: "en", Text: "Why post it?"},
			replica.Item{Platform: reaction.Bluesky, Native: q, Quotes: root, Author: "quoter.bsky.social",
				CreatedAt: at.Add(3 * time.Minute), Lang: "en", Text: "This is the saddest thing I've read today."})
	}
	return d
}

// relatedRoot reports whether item it belongs to a thread that links to
// the article (a quote post: whether the post it quotes does).
func relatedRoot(d *replica.Dataset, it replica.Item) (string, bool) {
	root := it.Thread
	if root == "" {
		root = it.Native
	}
	if it.Quotes != "" {
		root = it.Quotes
	}
	r, ok := d.Get(it.Platform, root)
	return root, ok && urlnorm.Same(r.Link, article)
}

// TestDiscoveryFindsWhatNamingFinds: a story that gives only the article's
// URL finds the same threads, and collects the same reactions, as the
// story that names them, on every platform that can discover; both are
// compared with the ground truth; every spelling of the URL is found and
// the other article's threads are not.
func TestDiscoveryFindsWhatNamingFinds(t *testing.T) {
	d := discoveryData()
	srv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer srv.Close()
	platforms := []reaction.Platform{reaction.HackerNews, reaction.Reddit, reaction.Lemmy, reaction.Mastodon, reaction.Bluesky}
	base := func(p reaction.Platform) story.Source {
		src := story.Source{Platform: p, BaseURL: replica.BaseURLFor(p, srv.URL+"/"+string(p))}
		switch p {
		case reaction.Reddit:
			src.BaseURL, src.TokenURL = srv.URL+"/reddit/oauth", srv.URL+"/reddit/api/v1/access_token"
		case reaction.Bluesky:
			src.PDSURL = srv.URL + "/bluesky"
		}
		return src
	}
	named := &story.Story{ID: "named", Subject: []string{"Chrissy Teigen"}}
	found := &story.Story{ID: "found", Subject: []string{"Chrissy Teigen"}, URLs: []string{article}}
	for _, p := range platforms {
		src := base(p)
		for _, it := range d.Items(p) {
			if _, ok := relatedRoot(d, it); !ok || it.Thread != "" || it.Quotes != "" {
				continue
			}
			switch p {
			case reaction.HackerNews:
				src.Stories = append(src.Stories, it.Native)
			case reaction.Reddit:
				src.Threads = append(src.Threads, it.Native)
			case reaction.Lemmy:
				src.Posts = append(src.Posts, it.Native)
			case reaction.Mastodon:
				src.Statuses = append(src.Statuses, it.Native)
			case reaction.Bluesky:
				src.Threads = append(src.Threads, replica.BlueskyURI(it))
			}
		}
		named.Sources = append(named.Sources, src)
		found.Sources = append(found.Sources, base(p))
	}
	authors, _ := reaction.NewPseudonymizer([]byte("e2e-secret-e2e-secret-e2e-secret"), false)
	rates := map[reaction.Platform]string{}
	for _, p := range reaction.Platforms {
		rates[p] = crawler.Unlimited
	}
	crawl := func(st *story.Story) (*memSink, []reaction.CrawlRun) {
		t.Helper()
		if err := st.Validate(); err != nil {
			t.Fatal(err)
		}
		sink := newMemSink()
		cfg := crawler.Config{StateDir: t.TempDir(), Authors: authors, Rates: rates, RetryInitial: 10 * time.Millisecond,
			BatchWait: 10 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Credentials: source.Credentials{RedditClientID: "e2e-app", RedditClientSecret: "e2e-secret",
				BlueskyHandle: "e2e.example.com", BlueskyAppPassword: "abcd-efgh-ijkl-mnop"}}
		runs, err := crawler.Run(context.Background(), cfg, st, sink, crawler.Once)
		if err != nil {
			t.Fatal(err)
		}
		return sink, runs
	}
	byName, _ := crawl(named)
	byURL, runs := crawl(found)

	// Ground truth: every item of a thread that links to the article.
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items("") {
		if _, ok := relatedRoot(d, it); !ok {
			continue
		}
		r := replica.Platforms()[it.Platform].Expect(d, it)
		if r.ID == "" {
			t.Fatalf("%s %s: the ground truth has no reaction for it", it.Platform, it.Native)
		}
		r.Author = authors.Author(r.Platform, r.Author)
		want[r.ID] = r
	}
	starters := map[string]bool{}
	for i := range named.Sources {
		for _, id := range replica.NamedStarters(d, named.Sources[i]) {
			starters[id] = true
		}
	}
	check := func(name string, got map[string]reaction.Reaction, named bool) {
		t.Helper()
		perPlatform := map[reaction.Platform]int{}
		for id, w := range want {
			// A Mastodon status or Bluesky post the story names is a thread
			// starter; found from the URL it is a reaction (docs/platforms.md).
			w.IsRoot = w.IsRoot || named && starters[id]
			g, ok := got[id]
			if !ok {
				t.Errorf("%s: missing %s", name, id)
				continue
			}
			perPlatform[w.Platform]++
			if diff := diffReaction(w, g); diff != "" {
				t.Errorf("%s: %s differs from the ground truth:\n%s", name, id, diff)
			}
			if w.Relation == reaction.RelationQuote && g.Relation != reaction.RelationQuote {
				t.Errorf("%s: %s: relation %q, want quote", name, id, g.Relation)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				t.Errorf("%s: unexpected reaction %s (the other article's threads must not be found)", name, id)
			}
		}
		t.Logf("%s: %d reactions, per platform %v", name, len(got), perPlatform)
	}
	check("named", byName.stored, true)
	check("urls", byURL.stored, false)

	// Every spelling was found on every platform (one thread each), and
	// recorded with how.
	for _, r := range runs {
		via := map[string]int{}
		for _, dsc := range r.Discovered {
			via[dsc.Via]++
		}
		keys := make([]string, 0, len(via))
		for k := range via {
			keys = append(keys, fmt.Sprintf("%s %d", k, via[k]))
		}
		sort.Strings(keys)
		t.Logf("%s: %d threads found (%s); run %s: %s", r.Platform, len(r.Discovered), strings.Join(keys, ", "), r.Status, r.Message)
		if len(r.Discovered) != len(shared) {
			t.Errorf("%s: %d threads discovered, want %d (one per spelling): %+v", r.Platform, len(r.Discovered), len(shared), r.Discovered)
		}
	}
}
