package bluesky_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

const article = "https://news.example.com/2020/10/01/teigen-legend-loss"

// live is a story followed live: one named thread on the replica, the
// article's URL and two search terms, read from the replica's Jetstream.
type live struct {
	t     *testing.T
	srv   *replica.Server
	story *story.Story
	root  replica.Item
	cfg   crawler.Config // the crawler's, as in crawler.Run
	reg   *prometheus.Registry
	clock time.Time
	n     uint
}

func newLive(t *testing.T, opts replica.Options) *live {
	yes := true
	l := &live{t: t, reg: prometheus.NewRegistry(), clock: time.Now().Add(-time.Hour).Truncate(time.Second)}
	l.root = l.item("chrissyteigen.example.com", "We are shocked and in the kind of deep pain you only hear about.")
	first := l.item("reader1.bsky.social", "Sending love.")
	first.Thread, first.Parent = l.root.Native, l.root.Native
	d := replica.NewDataset(l.root, first)
	l.srv = replica.New(d, opts)
	hs := sourcetest.StartReplica(t, l.srv)
	base := hs.URL + "/bluesky"
	l.story = &story.Story{ID: storyID, Subject: []string{"Chrissy Teigen"}, URLs: []string{article}, Poll: story.Duration(time.Hour),
		Sources: []story.Source{{Platform: reaction.Bluesky, BaseURL: base, PDSURL: base,
			JetstreamURL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/bluesky/subscribe",
			Threads:      []string{replica.BlueskyURI(l.root)}, Search: []string{"chrissy teigen", "#TeamLegend"}, Discover: &yes}}}
	if err := l.story.Validate(); err != nil {
		t.Fatal(err)
	}
	authors, err := reaction.NewPseudonymizer(sourcetest.Secret, false)
	if err != nil {
		t.Fatal(err)
	}
	l.cfg = crawler.Config{
		StateDir: t.TempDir(), Authors: authors, RetryInitial: 10 * time.Millisecond,
		Rates:      map[reaction.Platform]string{reaction.Bluesky: crawler.Unlimited},
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: l.reg, BatchWait: 20 * time.Millisecond,
	}
	return l
}

// item is a post by author, a minute after the one before.
func (l *live) item(author, text string) replica.Item {
	l.n++
	at := l.clock.Add(time.Duration(l.n) * time.Minute)
	return replica.Item{Platform: reaction.Bluesky, Native: replica.BlueskyTID(at, l.n), Author: author, Text: text, CreatedAt: at, Lang: "en"}
}

func (l *live) reply(to replica.Item, author, text string) replica.Item {
	it := l.item(author, text)
	it.Parent, it.Thread = to.Native, to.Thread
	if it.Thread == "" {
		it.Thread = to.Native
	}
	return it
}

// follow runs the crawl in --follow mode until stop; started is closed
// after its first poll.
func (l *live) follow(sink crawler.Sink) (started <-chan struct{}, stop func() []reaction.CrawlRun) {
	cfg := l.cfg
	first := make(chan struct{})
	polls := 0
	cfg.OnPoll = func([]reaction.CrawlRun) {
		if polls++; polls == 1 {
			close(first)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		runs []reaction.CrawlRun
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runs, err := crawler.Run(ctx, cfg, l.story, sink, crawler.Follow)
		done <- result{runs, err}
	}()
	return first, func() []reaction.CrawlRun {
		cancel()
		select {
		case r := <-done:
			if r.err != nil {
				l.t.Fatal(r.err)
			}
			return r.runs
		case <-time.After(30 * time.Second):
			l.t.Fatal("the crawl did not stop within 30 s of its context's end")
			return nil
		}
	}
}

// waitFor waits until the sink holds n reactions.
func waitFor(t *testing.T, sink *sourcetest.Sink, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(sink.Stored()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the sink holds %d reactions, want %d", len(sink.Stored()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamEvents reads reactions_crawler_stream_events_total by outcome.
func streamEvents(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "reactions_crawler_stream_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "outcome" {
					out[lp.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// TestStreamKeepsRelated: after the first poll, the crawl follows the
// replica's Jetstream and keeps exactly the posts that answer the named
// thread, quote its root (also with media), link to the article (a card
// or a facet, with tracking parameters and www), answer a post that does,
// or match a search term or hashtag, each as the reaction the walk would
// make; a deletion of a kept post is emitted as deleted; unrelated posts,
// other collections, identity and account events are counted, not kept.
func TestStreamKeepsRelated(t *testing.T) {
	l := newLive(t, replica.Options{})
	sink := &sourcetest.Sink{}
	started, stop := l.follow(sink)
	<-started
	walked := len(sink.Stored())
	if walked != 2 {
		t.Fatalf("the first poll sent %d reactions, want the thread's 2", walked)
	}
	js := l.srv.Jetstream()

	reply := l.reply(l.root, "fan1.bsky.social", "Thinking of you.")
	deep := l.reply(reply, "fan2.bsky.social", "Same here, so sad.")
	quote := l.item("quoter.bsky.social", "Heartbreaking news.")
	quote.Quotes = l.root.Native
	quoteMedia := l.item("quoter2.bsky.social", "With a photo of flowers.")
	quoteMedia.Quotes, quoteMedia.Tags = l.root.Native, []string{"replica:quote-with-media"}
	card := l.item("newsdesk.example.com", "The couple shared the loss of their son.")
	card.Link = "https://www.news.example.com/2020/10/01/teigen-legend-loss/?utm_source=bsky&utm_medium=social"
	underCard := l.reply(card, "reader2.bsky.social", "This hurts to read.")
	facet := l.item("reader3.bsky.social", "Read this: https://news.example.com/2020/10/01/teigen-legend-loss?fbclid=AbC123")
	tag := l.item("reader4.bsky.social", "Standing with them today #TeamLegend")
	words := l.item("reader5.bsky.social", "Chrissy Teigen's openness will help others.")
	kept := []replica.Item{reply, deep, quote, quoteMedia, card, underCard, facet, tag, words}
	js.Create(kept...)

	other := l.item("stranger.bsky.social", "Unrelated thread root")
	chatter := []replica.Item{
		l.item("weather.bsky.social", "Lovely weather today."),
		l.item("twilight.bsky.social", "#TeamEdward forever"),
		l.item("names.bsky.social", "Chrissy is a lovely name."),
		l.item("otherlink.bsky.social", "https://news.example.com/2020/10/01/another-story"),
		other,
	}
	elsewhere := l.item("elsewhere.bsky.social", "Replying somewhere else")
	elsewhere.Parent, elsewhere.Thread = replica.BlueskyURI(other), replica.BlueskyURI(other)
	otherQuote := l.item("elsewhere2.bsky.social", "Quoting something else")
	otherQuote.Quotes = replica.BlueskyURI(other)
	chatter = append(chatter, elsewhere, otherQuote)
	js.Chatter(chatter...)
	js.Like("fan3.bsky.social", l.root)
	js.Identity("fan1.bsky.social")
	js.Account("fan2.bsky.social", false)
	js.Delete(deep)
	js.Delete(other) // not collected: nothing to mark

	waitFor(t, sink, walked+len(kept)+1)
	runs := stop()

	got := map[string]reaction.Reaction{}
	var order []reaction.Reaction
	for _, r := range sink.Stored()[walked:] {
		got[r.ID] = r
	}
	for _, r := range got {
		order = append(order, r)
	}
	for i, it := range kept {
		kept[i], _ = l.srv.Data.Get(reaction.Bluesky, it.Native) // deep is deleted now
	}
	want := expected(t, l.srv.Data, nil, l.cfg.Authors, kept...)
	sourcetest.Compare(t, order, want, "likes", "replies")
	if n := len(sink.Stored()) - walked; n != len(kept)+1 {
		t.Errorf("the stream sent %d reactions, want %d (and the deletion)", n, len(kept)+1)
	}
	if r := got[reaction.MakeID(reaction.Bluesky, replica.BlueskyURI(quoteMedia))]; r.Relation != reaction.RelationQuote {
		t.Errorf("the quote with media: %+v", r)
	}

	ev := streamEvents(t, l.reg)
	wantEv := map[string]float64{"kept": float64(len(kept)), "unrelated": float64(len(chatter)), "identity": 2, "deleted": 1, "other": 1, "duplicate": 0, "malformed": 0}
	for k, v := range wantEv {
		if ev[k] != v {
			t.Errorf("stream events %s = %v, want %v (all: %v)", k, ev[k], v, ev)
		}
	}
	if len(runs) != 1 || runs[0].Status != reaction.RunOK || !strings.Contains(runs[0].Message, "kept 10 reactions") {
		t.Errorf("runs %+v", runs)
	}
	var disc []string
	for _, d := range runs[0].Discovered {
		disc = append(disc, d.Via)
	}
	if fmt.Sprint(disc) != "[bluesky_stream bluesky_stream]" {
		t.Errorf("discovered %+v", runs[0].Discovered)
	}
}

// TestStreamGap: a saved position older than the replay window is
// reported as a gap, from that position to the first event the stream
// sends, in the run's record.
func TestStreamGap(t *testing.T) {
	l := newLive(t, replica.Options{JetstreamReplay: time.Hour})
	l.story.Sources[0].JetstreamReplay = story.Duration(time.Hour)
	old := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	dir := filepath.Join(l.cfg.StateDir, "crawl", storyID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]map[string]string{"bluesky": {"jetstream/cursor": fmt.Sprint(old.UnixMicro())}})
	if err := os.WriteFile(filepath.Join(dir, "cursors.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	sink := &sourcetest.Sink{}
	started, stop := l.follow(sink)
	<-started
	walked := len(sink.Stored())
	before := time.Now()
	l.srv.Jetstream().Create(l.reply(l.root, "fan1.bsky.social", "Still thinking of you."))
	waitFor(t, sink, walked+1)
	runs := stop()
	if len(runs) != 1 || len(runs[0].Gaps) != 1 {
		t.Fatalf("runs %+v", runs)
	}
	g := runs[0].Gaps[0]
	if !g.From.Equal(old) || g.To.Before(before.Add(-time.Second)) || g.To.After(time.Now()) || !strings.Contains(g.Reason, "beyond the 1 h Jetstream replays") {
		t.Errorf("gap %+v (from %s)", g, old)
	}
	if !strings.Contains(runs[0].Message, "Not covered from "+old.UTC().Format("2006-01-02T15:04Z")) {
		t.Errorf("message %q", runs[0].Message)
	}
}
