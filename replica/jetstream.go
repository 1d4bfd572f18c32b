package replica

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/klauspost/compress/zstd"

	"github.com/reactions-research/reactions/reaction"
)

// Bluesky's Jetstream (docs/platforms.md, "Bluesky"), served at
// /bluesky/subscribe over a websocket:
//
//   - Every event is one text message of JSON, {did, time_us, kind, …}:
//     commits ({rev, operation, collection, rkey, cid, record}; deletes
//     carry no record nor cid), identity and account events.
//   - time_us is when the replica published the event (Unix microseconds,
//     strictly increasing), not when the post says it was written.
//   - wantedCollections (repeatable, NSIDs or prefixes such as
//     "app.bsky.*") filters commits; identity and account events go to
//     every subscriber, as on Jetstream.
//   - cursor replays from the first event at or after it, but no further
//     back than the replay window (Options.JetstreamReplay, 36 hours by
//     default): an older cursor starts at the oldest event kept. No
//     cursor, or one in the future, is the live tail.
//   - compress=true (or the header Socket-Encoding: zstd) sends binary
//     messages, each compressed alone with the dictionary in
//     Options.JetstreamDictionary; without one the replica refuses (400),
//     since a client cannot read them.
//
// Tests and the demo script the stream with the Jetstream's methods.

// DefaultJetstreamReplay is how far back the replica's Jetstream replays
// when Options.JetstreamReplay is zero: about what Bluesky's public
// instances keep.
const DefaultJetstreamReplay = 36 * time.Hour

// jsEvent is one published event.
type jsEvent struct {
	timeUS     int64
	collection string // "" for identity and account events
	body       []byte
}

// Jetstream is the replica's event log of Bluesky's Jetstream. Its
// methods publish events at the server's clock; subscribers connected to
// /bluesky/subscribe receive them at once.
type Jetstream struct {
	s *Server

	mu     sync.Mutex
	events []jsEvent // time_us order
	last   int64
	wake   chan struct{} // closed when an event is published
	conns  map[*websocket.Conn]struct{}
}

func newJetstream(s *Server) *Jetstream {
	return &Jetstream{s: s, wake: make(chan struct{}), conns: map[*websocket.Conn]struct{}{}}
}

// Jetstream returns the server's Jetstream.
func (s *Server) Jetstream() *Jetstream { return s.jetstream }

// Create adds items to the data set (the AppView serves them too) and
// publishes a create event for each, in order; a Deleted item is
// published as created, then deleted.
func (j *Jetstream) Create(items ...Item) {
	j.s.Data.Add(items...)
	x := bskyIndexOf(j.s.Data)
	for _, it := range items {
		j.publishPost(x, it)
		if it.Deleted {
			j.publishDelete(it)
		}
	}
}

// Chatter publishes create events for posts of the rest of the network:
// the stream sends them, the data set does not hold them (no search or
// thread finds them). Their Parent, Thread and Quotes may be at:// URIs.
func (j *Jetstream) Chatter(items ...Item) {
	x := bskyIndexOf(j.s.Data)
	for _, it := range items {
		j.publishPost(x, it)
	}
}

// Delete marks items deleted in the data set and publishes their delete
// events.
func (j *Jetstream) Delete(items ...Item) {
	for _, it := range items {
		it.Deleted = true
		j.s.Data.Add(it)
		j.publishDelete(it)
	}
}

// Identity publishes an identity event: author's handle changed.
func (j *Jetstream) Identity(author string) {
	did := bskyDID(author)
	j.publish("", func(us int64) any {
		return map[string]any{"did": did, "time_us": us, "kind": "identity",
			"identity": map[string]any{"did": did, "handle": bskyHandleOf(author), "seq": us / 1000, "time": bskyTime(time.UnixMicro(us))}}
	})
}

// Account publishes an account event: author's account became active or
// not.
func (j *Jetstream) Account(author string, active bool) {
	did := bskyDID(author)
	j.publish("", func(us int64) any {
		acc := map[string]any{"active": active, "did": did, "seq": us / 1000, "time": bskyTime(time.UnixMicro(us))}
		if !active {
			acc["status"] = "deactivated"
		}
		return map[string]any{"did": did, "time_us": us, "kind": "account", "account": acc}
	})
}

// Like publishes a like of it by author (a record of another collection
// than posts, which wantedCollections=app.bsky.feed.post filters out).
func (j *Jetstream) Like(author string, it Item) {
	did, uri := bskyDID(author), BlueskyURI(it)
	j.publish("app.bsky.feed.like", func(us int64) any {
		rkey := BlueskyTID(time.UnixMicro(us), 7)
		return map[string]any{"did": did, "time_us": us, "kind": "commit", "commit": map[string]any{
			"rev": rkey, "operation": "create", "collection": "app.bsky.feed.like", "rkey": rkey,
			"record": map[string]any{"$type": "app.bsky.feed.like", "createdAt": bskyTime(time.UnixMicro(us)),
				"subject": map[string]any{"uri": uri, "cid": bskyCID(uri)}},
			"cid": bskyCID(uri + "/like/" + did)}}
	})
}

// Published returns how many events the log holds.
func (j *Jetstream) Published() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.events)
}

// Disconnect drops every subscriber's connection without a close
// handshake, as a network failure would.
func (j *Jetstream) Disconnect() {
	j.mu.Lock()
	conns := make([]*websocket.Conn, 0, len(j.conns))
	for c := range j.conns {
		conns = append(conns, c)
	}
	j.mu.Unlock()
	for _, c := range conns {
		c.CloseNow()
	}
}

func (j *Jetstream) publishPost(x *bskyIndex, it Item) {
	uri := BlueskyURI(it)
	record, _ := x.record(it)
	did, rkey := bskyAuthority(uri), bskyRkey(uri)
	j.publish("app.bsky.feed.post", func(us int64) any {
		return map[string]any{"did": did, "time_us": us, "kind": "commit", "commit": map[string]any{
			"rev": BlueskyTID(time.UnixMicro(us), 3), "operation": "create", "collection": "app.bsky.feed.post",
			"rkey": rkey, "record": record, "cid": bskyCID(uri)}}
	})
}

func (j *Jetstream) publishDelete(it Item) {
	uri := BlueskyURI(it)
	did, rkey := bskyAuthority(uri), bskyRkey(uri)
	j.publish("app.bsky.feed.post", func(us int64) any {
		return map[string]any{"did": did, "time_us": us, "kind": "commit", "commit": map[string]any{
			"rev": BlueskyTID(time.UnixMicro(us), 3), "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey}}
	})
}

// publish appends an event at the server's clock (strictly after the
// last one) and wakes the subscribers.
func (j *Jetstream) publish(collection string, render func(us int64) any) {
	j.s.mu.Lock()
	now, replay := j.s.opts.Now(), j.s.opts.JetstreamReplay
	j.s.mu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	us := max(now.UnixMicro(), j.last+1)
	j.last = us
	body, err := json.Marshal(render(us))
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	j.events = append(j.events, jsEvent{timeUS: us, collection: collection, body: body})
	// Events beyond the replay window are never sent again: drop them
	// once they are a good part of the log.
	cut := now.Add(-replay).UnixMicro()
	if n := j.firstAt(cut); n > 1024 && n > len(j.events)/2 {
		j.events = append(j.events[:0:0], j.events[n:]...)
	}
	close(j.wake)
	j.wake = make(chan struct{})
}

// firstAt returns the index of the first event at or after us, with mu
// held.
func (j *Jetstream) firstAt(us int64) int {
	lo, hi := 0, len(j.events)
	for lo < hi {
		m := (lo + hi) / 2
		if j.events[m].timeUS < us {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// wants reports whether a subscription with the wantedCollections
// filter wanted receives an event of collection.
func wants(wanted []string, collection string) bool {
	if collection == "" || len(wanted) == 0 {
		return true
	}
	for _, w := range wanted {
		if w == collection || strings.HasSuffix(w, ".*") && strings.HasPrefix(collection, strings.TrimSuffix(w, "*")) {
			return true
		}
	}
	return false
}

// serve is the /bluesky/subscribe handler.
func (j *Jetstream) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	wanted := q["wantedCollections"]
	if len(wanted) > 100 {
		http.Error(w, "too many wanted collections (at most 100)", http.StatusBadRequest)
		return
	}
	for _, c := range wanted {
		if c == "" || strings.Contains(strings.TrimSuffix(c, ".*"), "*") {
			http.Error(w, "invalid wanted collection "+strconv.Quote(c), http.StatusBadRequest)
			return
		}
	}
	var cursor int64
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "invalid cursor "+strconv.Quote(v), http.StatusBadRequest)
			return
		}
		cursor = n
	}
	j.s.mu.Lock()
	now, replay, dict := j.s.opts.Now(), j.s.opts.JetstreamReplay, j.s.opts.JetstreamDictionary
	j.s.mu.Unlock()
	var enc *zstd.Encoder
	if q.Get("compress") == "true" || r.Header.Get("Socket-Encoding") == "zstd" {
		if len(dict) == 0 {
			http.Error(w, "compression needs the replica's zstd dictionary (replica.Options.JetstreamDictionary)", http.StatusBadRequest)
			return
		}
		var err error
		if enc, err = zstd.NewWriter(nil, zstd.WithEncoderDict(dict), zstd.WithEncoderConcurrency(1)); err != nil {
			http.Error(w, "bad zstd dictionary: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer enc.Close()
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept answered the client
	}
	defer conn.CloseNow()
	j.mu.Lock()
	j.conns[conn] = struct{}{}
	from := j.last + 1 // the live tail: the next event on
	if cursor > 0 && cursor <= now.UnixMicro() {
		from = max(cursor, now.Add(-replay).UnixMicro())
	}
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		delete(j.conns, conn)
		j.mu.Unlock()
	}()
	// The client sends nothing the replica reads; CloseRead answers its
	// pings and ends ctx when it goes away.
	ctx := conn.CloseRead(r.Context())
	var buf []byte
	for {
		j.mu.Lock()
		batch := append([]jsEvent(nil), j.events[j.firstAt(from):]...)
		from = j.last + 1
		wake := j.wake
		j.mu.Unlock()
		for _, ev := range batch {
			if !wants(wanted, ev.collection) {
				continue
			}
			typ, msg := websocket.MessageText, ev.body
			if enc != nil {
				buf = enc.EncodeAll(ev.body, buf[:0])
				typ, msg = websocket.MessageBinary, buf
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Write(wctx, typ, msg)
			cancel()
			if err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}

// chatterTexts are what the rest of the network posts meanwhile.
var chatterTexts = []string{
	"Coffee first, then the inbox.",
	"Anyone watching the match tonight?",
	"New blog post on sourdough starters is up.",
	"The train is late again.",
	"Finished the book, what a twist.",
	"Sunset over the harbour, no filter.",
	"Looking for a good podcast about history.",
	"Our cat has claimed the laptop.",
}

// Noise publishes n posts of the rest of the network (Chatter) dated at,
// and an identity event with every fifth: what a live stream sends
// besides the story.
func (j *Jetstream) Noise(n int, at time.Time) {
	for i := 0; i < n; i++ {
		j.mu.Lock()
		k := j.last
		j.mu.Unlock()
		author := "passerby" + strconv.FormatInt(k%97, 10) + ".bsky.social"
		j.Chatter(Item{Platform: reaction.Bluesky, Native: BlueskyTID(at, uint(k%1024)), Author: author,
			Text: chatterTexts[int(k%int64(len(chatterTexts)))], CreatedAt: at, Lang: "en"})
		if k%5 == 0 {
			j.Identity(author)
		}
	}
}
