package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/jetstream"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Live posts (--follow) come from Jetstream, the JSON stream of every
// record of the network (docs/platforms.md, "Bluesky"), asked for posts
// only (wantedCollections=app.bsky.feed.post).
const (
	// StreamOverlap is how far before its saved position a restarted
	// stream resumes: events in between come again and are counted as
	// duplicates, so that none is lost to a position saved a little late.
	StreamOverlap = 5 * time.Second
	// streamSaveEvery is how often the stream's position is saved (it is
	// committed once what was emitted before it is acknowledged).
	streamSaveEvery = 5 * time.Second
	// maxStreamRoots bounds the threads the stream itself starts
	// tracking (posts that link to the story or match its terms).
	maxStreamRoots = 10_000
	// maxKept bounds the memory of emitted posts kept to mark their
	// deletion with their place in the thread.
	maxKept = 100_000

	postCollection = "app.bsky.feed.post"
	stateCursor    = "jetstream/cursor" // time_us of the last event handled
	stateRoots     = "jetstream/roots"  // roots the stream started tracking
)

// Stream follows Bluesky live through Jetstream (see source.Streamer). It
// keeps the posts that reply into a tracked thread (a thread the source
// names, found from the story's URLs, of a search hit, or started by a
// post the stream kept), quote a tracked thread's root post, link to one
// of the story's URLs when the source discovers (a link card or link
// facet, matched on the normalised URL), or match one of the source's
// search terms. Each
// becomes the reaction the thread walk would make of it (likes and replies
// are 0: a new post has none yet). The deletion of a collected post is
// emitted as a deleted reaction.
func (a *Adapter) Stream(ctx context.Context, env *source.Env, since time.Time) error {
	c, err := newCrawl(env)
	if err != nil {
		return err
	}
	var dict []byte
	if p := env.Source.JetstreamDictionary; p != "" {
		if dict, err = os.ReadFile(p); err != nil {
			return fmt.Errorf("bluesky: jetstream_dictionary: %w", err)
		}
	}
	s := newStream(ctx, c)
	replay := time.Duration(env.Source.JetstreamReplay)
	if replay <= 0 {
		replay = story.DefaultJetstreamReplay
	}
	s.replay = replay
	start := since.Add(-StreamOverlap).UnixMicro()
	if v, err := strconv.ParseInt(env.State.Get(stateCursor), 10, 64); err == nil && v > 0 {
		start = v - StreamOverlap.Microseconds()
		s.resumeFrom(v)
	} else {
		// Saved at once, so that a crawl killed before its first save
		// resumes here rather than from its own start.
		s.last = start
		s.save()
	}
	env.Log.Info("bluesky: following Jetstream", "url", env.Source.JetstreamURL, "from", time.UnixMicro(start).UTC().Format(time.RFC3339),
		"tracked_threads", len(s.roots), "search_terms", len(s.queries), "compressed", dict != nil)
	cfg := jetstream.Config{
		URL: env.Source.JetstreamURL, Collections: []string{postCollection}, Dictionary: dict,
		UserAgent: env.UserAgent, Log: env.Log,
	}
	err = jetstream.Subscribe(ctx, cfg, start, s)
	s.save()
	if errors.Is(err, jetstream.ErrConfig) {
		return fmt.Errorf("bluesky: %w", err)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("bluesky: stream: %w", err)
	}
	return nil
}

// stream is one Stream call: the Handler of the subscription.
type stream struct {
	c      *crawl
	env    *source.Env
	replay time.Duration

	roots   map[string]bool // at:// URIs (DID authority) of tracked threads
	own     []string        // roots the stream added, in order (saved)
	queries []query
	// found are the threads found from the story's URLs, nil when the
	// source does not discover (story.Source.Discovers): then links to
	// the story alone do not make a post kept.
	found *source.Discoveries
	kept  map[string]keptPost

	last    int64 // time_us of the last event handled
	saved   time.Time
	resumed int64 // the position a (re)connection resumed from, until its first event
}

// keptPost is what a deletion needs of an emitted post.
type keptPost struct {
	parent, root, relation string
	created                time.Time
}

func newStream(ctx context.Context, c *crawl) *stream {
	env := c.env
	s := &stream{c: c, env: env, roots: map[string]bool{}, kept: map[string]keptPost{}, saved: env.Now()}
	for _, t := range env.Source.Threads {
		uri, err := c.resolve(ctx, t)
		if err != nil {
			if ctx.Err() == nil {
				env.Stats.Error(c.kind(err), fmt.Errorf("bluesky: stream: thread %q: %w", t, err))
			}
			continue
		}
		s.roots[uri] = true
	}
	if d, on := source.LoadDiscoveries(env); on {
		s.found = d
		for _, n := range d.Natives() {
			s.roots[n] = true
		}
	}
	for _, u := range strings.Fields(env.State.Get("hit_threads")) {
		s.roots[u] = true
	}
	for _, u := range strings.Fields(env.State.Get(stateRoots)) {
		if !s.roots[u] {
			s.roots[u] = true
			s.own = append(s.own, u)
		}
	}
	for _, q := range env.Source.Search {
		pq := parseQuery(q)
		if pq.unsupported != "" {
			env.Log.Warn("bluesky: a search term uses an operator the live stream cannot apply: the stream skips it, the thread walk's search still runs it",
				"search", q, "operator", pq.unsupported)
		}
		s.queries = append(s.queries, pq)
	}
	return s
}

// resumeFrom notes that a connection resumes from the position us: when
// that is older than the instance replays, the time up to the first event
// it sends is a gap.
func (s *stream) resumeFrom(us int64) { s.resumed = us }

// Event implements jetstream.Handler.
func (s *stream) Event(ev *jetstream.Event) error {
	at := ev.Time()
	if s.resumed > 0 {
		s.checkGap(at)
	}
	outcome, err := s.handle(ev, at)
	s.env.Streamed(outcome, at)
	if ev.TimeUS > s.last {
		s.last = ev.TimeUS
	}
	if now := s.env.Now(); now.Sub(s.saved) >= streamSaveEvery {
		s.save()
	}
	return err
}

// checkGap reports the time between the resumed position and the first
// event at, when the position was older than the replay window.
func (s *stream) checkGap(at time.Time) {
	from := time.UnixMicro(s.resumed).UTC()
	s.resumed = 0
	oldest := s.env.Now().Add(-s.replay)
	if !from.Before(oldest) || !at.After(from) {
		return
	}
	s.env.Gap(reaction.Gap{From: from, To: at, Reason: fmt.Sprintf(
		"the Bluesky stream resumed from a position %s old, beyond the %s Jetstream replays; the thread walk re-read the tracked threads, but other posts of this period were not streamed",
		roundHours(s.env.Now().Sub(from)), roundHours(s.replay))})
}

func roundHours(d time.Duration) string {
	if d >= time.Hour {
		return fmt.Sprintf("%.0f h", d.Hours())
	}
	return d.Round(time.Second).String()
}

// Malformed implements jetstream.Handler.
func (s *stream) Malformed(err error) {
	s.env.Streamed(source.StreamMalformed, s.env.Now())
	s.env.Stats.Error("parse", fmt.Errorf("bluesky: stream: %w", err))
}

// Disconnected implements jetstream.Handler.
func (s *stream) Disconnected(err error, wait time.Duration) {
	s.env.Stats.Error(source.ErrorKind(err), fmt.Errorf("bluesky: stream: %w (reconnecting in %s)", err, wait.Round(time.Millisecond)))
	if s.last > 0 {
		s.resumeFrom(s.last)
	}
}

// save sets the stream's position: the time_us of the last event handled.
func (s *stream) save() {
	s.saved = s.env.Now()
	if s.last > 0 {
		s.env.State.Set(stateCursor, strconv.FormatInt(s.last, 10))
	}
}

// handle files one event and returns its outcome; an error (from Emit)
// means stop.
func (s *stream) handle(ev *jetstream.Event, at time.Time) (string, error) {
	switch ev.Kind {
	case jetstream.KindIdentity, jetstream.KindAccount:
		return source.StreamIdentity, nil
	case jetstream.KindCommit:
	default:
		return source.StreamOther, nil
	}
	cm := ev.Commit
	if cm == nil || !strings.HasPrefix(ev.DID, "did:") {
		s.env.Stats.Error("parse", fmt.Errorf("bluesky: stream: a commit event without a commit or DID at %d", ev.TimeUS))
		return source.StreamMalformed, nil
	}
	if cm.Collection != postCollection {
		return source.StreamOther, nil
	}
	uri := "at://" + ev.DID + "/" + postCollection + "/" + cm.RKey
	if !atURIRe.MatchString(uri) {
		s.env.Stats.Error("parse", fmt.Errorf("bluesky: stream: %q is not the at:// URI of a post", uri))
		return source.StreamMalformed, nil
	}
	switch cm.Operation {
	case jetstream.OpCreate, jetstream.OpUpdate:
		return s.post(ev, uri, at)
	case jetstream.OpDelete:
		return s.delete(uri)
	}
	s.env.Stats.Error("parse", fmt.Errorf("bluesky: stream: commit operation %q of %s", cm.Operation, uri))
	return source.StreamMalformed, nil
}

// post keeps a created or updated post that the story wants.
func (s *stream) post(ev *jetstream.Event, uri string, at time.Time) (string, error) {
	var rec record
	if err := json.Unmarshal(ev.Commit.Record, &rec); err != nil {
		s.env.Stats.Error("parse", fmt.Errorf("bluesky: stream: post %s: %w", uri, err))
		return source.StreamMalformed, nil
	}
	why, link := s.wanted(&rec)
	if why == "" {
		return source.StreamUnrelated, nil
	}
	id := reaction.MakeID(reaction.Bluesky, uri)
	if ev.Commit.Operation == jetstream.OpCreate && s.env.IsKnown(id) {
		return source.StreamDuplicate, nil
	}
	p := &postView{URI: uri, Record: rec, IndexedAt: at.Format(time.RFC3339Nano)}
	p.Author.DID = ev.DID
	r, ok := s.c.reaction(p, "", "")
	if !ok {
		return source.StreamMalformed, nil
	}
	if q := rec.Embed.quoted(); q != "" && s.roots[q] {
		asQuote(&r, q)
	}
	if len(s.kept) >= maxKept {
		clear(s.kept)
	}
	s.kept[uri] = keptPost{parent: r.ParentID, root: r.RootID, relation: r.Relation, created: r.CreatedAt}
	if why == "link" || why == "search" {
		s.track(&rec, uri, why, link)
	}
	if err := s.c.emit(r); err != nil {
		return source.StreamKept, err
	}
	return source.StreamKept, nil
}

// wanted says why the story wants a post ("reply", "quote", "link",
// "search"), or "" when it does not; link is the story URL it links to.
func (s *stream) wanted(rec *record) (why, link string) {
	if rp := rec.Reply; rp != nil && s.roots[rp.Root.URI] {
		return "reply", ""
	}
	if q := rec.Embed.quoted(); q != "" && s.roots[q] {
		return "quote", ""
	}
	if s.found != nil {
		for _, l := range rec.links() {
			if _, ok := s.found.Match(l); ok {
				return "link", l
			}
		}
	}
	if len(s.queries) > 0 {
		p := newPost(rec)
		for i := range s.queries {
			if s.queries[i].match(p) {
				return "search", ""
			}
		}
	}
	return "", ""
}

// track follows the thread of a post kept for linking to the story or
// matching its terms: replies to it (or, for a reply linking to the story,
// to its thread) are kept from now on. A link is recorded as a discovery.
func (s *stream) track(rec *record, uri, why, link string) {
	root := uri
	if rp := rec.Reply; rp != nil && rp.Root.URI != "" {
		if why != "link" {
			return // a search hit that answers another thread: that thread is not the story's
		}
		root = rp.Root.URI
	}
	if why == "link" {
		if s.found.Add(root, reaction.MakeID(reaction.Bluesky, root), reaction.ViaBlueskyStream, link) {
			s.found.Save()
		}
	}
	if s.roots[root] {
		return
	}
	s.roots[root] = true
	s.own = append(s.own, root)
	if len(s.own) > maxStreamRoots {
		delete(s.roots, s.own[0])
		s.own = s.own[1:]
	}
	s.env.State.Set(stateRoots, strings.Join(s.own, "\n"))
}

// delete emits the deletion of a collected post as a deleted reaction,
// as the thread walk does for a post gone from its thread.
func (s *stream) delete(uri string) (string, error) {
	id := reaction.MakeID(reaction.Bluesky, uri)
	if !s.env.IsKnown(id) {
		return source.StreamOther, nil
	}
	k, had := s.kept[uri]
	t, ok := tidTime(uri[strings.LastIndexByte(uri, '/')+1:])
	switch {
	case ok:
	case had:
		t = k.created
	default:
		s.env.Stats.Error("deleted_unknown_time", fmt.Errorf("bluesky: stream: deleted post %s: record key is not a TID, its time is unknown", uri))
		return source.StreamOther, nil
	}
	r := reaction.Reaction{Platform: reaction.Bluesky, ID: id, URL: permalink(uri), CreatedAt: t, Deleted: true,
		ParentID: k.parent, RootID: k.root, Relation: k.relation}
	if err := s.c.emit(r); err != nil {
		return source.StreamDeleted, err
	}
	return source.StreamDeleted, nil
}
