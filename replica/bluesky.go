package replica

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Bluesky items (AT Protocol AppView XRPC; docs/platforms.md, "Bluesky"):
//
//   - Native is the post's record key (a TID, see BlueskyTID), or a whole
//     at:// URI. Author is a handle ("alice.example.com") or a DID; the
//     replica derives the other one deterministically.
//   - Thread and Parent are Natives. Deleted items are served as
//     notFoundPost in threads (a deleted root makes the whole thread
//     NotFound) and are absent from search; the tag "replica:blocked"
//     serves an item as blockedPost (and hides it from search). Neither
//     union member carries replies, so what lies below them is reachable
//     only through search.
//   - Tags other than "replica:…" are the search terms an item is found by
//     (searchPosts matches q against them, case-insensitively).
//   - record.createdAt is CreatedAt and indexedAt 1.337 s later; the tag
//     "replica:no-created-at" leaves createdAt out of the record and
//     "replica:future-created-at" dates it three days ahead (a wrong
//     client clock): a correct crawler then uses indexedAt.
//
// getPostThread answers at most BlueskyMaxDepth levels of replies whatever
// depth is asked (as the AppView trims very large threads): deeper replies
// must be fetched by asking for the sub-thread. searchPosts needs a session
// (com.atproto.server.createSession, any identifier with an app password
// shaped "xxxx-xxxx-xxxx-xxxx"); anonymous search answers 403, as the
// public AppView has since January 2025.

// BlueskyMaxDepth is the deepest level of replies one getPostThread answer
// holds.
const BlueskyMaxDepth = 10

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.Bluesky,
		Prefix:  "/bluesky/",
		Handler: bskyHandler,
		Expect:  bskyExpect,
		Fixture: bskyFixture,
	})
}

const bskyTIDAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// BlueskyTID returns the record key (TID) a client creating a record at t
// with clock id clock writes: 53 bits of microseconds since the Unix epoch
// and 10 bits of clock id, in base32-sortable, 13 characters.
func BlueskyTID(t time.Time, clock uint) string {
	v := uint64(t.UnixMicro())<<10 | uint64(clock&0x3ff)
	b := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		b[i] = bskyTIDAlphabet[v&31]
		v >>= 5
	}
	return string(b)
}

// bskyTIDTime decodes a TID record key; false when rkey is not a TID or
// names an implausible time (before 2000 or from 2100 on: a sanity bound,
// as clients write the TID from their own clock).
func bskyTIDTime(rkey string) (time.Time, bool) {
	if len(rkey) != 13 || strings.IndexByte(bskyTIDAlphabet[:16], rkey[0]) < 0 {
		return time.Time{}, false
	}
	var v uint64
	for i := 0; i < 13; i++ {
		k := strings.IndexByte(bskyTIDAlphabet, rkey[i])
		if k < 0 {
			return time.Time{}, false
		}
		v = v<<5 | uint64(k)
	}
	t := time.UnixMicro(int64(v >> 10)).UTC()
	if t.Year() < 2000 || t.Year() >= 2100 {
		return time.Time{}, false
	}
	return t, true
}

var bskyB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// bskyDIDs memoizes derived DIDs (a data set has far fewer authors than
// posts, and every request derives them).
var bskyDIDs sync.Map

func bskyDID(author string) string {
	if strings.HasPrefix(author, "did:") {
		return author
	}
	if v, ok := bskyDIDs.Load(author); ok {
		return v.(string)
	}
	h := sha256.Sum256([]byte(strings.ToLower(author)))
	did := "did:plc:" + bskyB32.EncodeToString(h[:])[:24]
	bskyDIDs.Store(author, did)
	return did
}

// bskyExpectCache keeps the index of the last data set Expect was asked
// about, so that Expected over n items costs O(n) per item for a signature
// instead of rebuilding the index each time.
var bskyExpectCache struct {
	sync.Mutex
	d   *Dataset
	sig uint64
	x   *bskyIndex
}

func bskyCachedIndex(d *Dataset) *bskyIndex {
	items := d.Items(reaction.Bluesky)
	sig := structureSig(items)
	bskyExpectCache.Lock()
	defer bskyExpectCache.Unlock()
	if bskyExpectCache.d == d && bskyExpectCache.sig == sig && bskyExpectCache.x != nil {
		return bskyExpectCache.x
	}
	x := bskyIndexOf(d)
	bskyExpectCache.d, bskyExpectCache.sig, bskyExpectCache.x = d, sig, x
	return x
}

// structureSig hashes what threading depends on: ids, parents, authors,
// deletion and tags.
func structureSig(items []Item) uint64 {
	h := fnv.New64a()
	for _, it := range items {
		for _, s := range []string{it.Native, it.Thread, it.Parent, it.Author} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		if it.Deleted {
			h.Write([]byte{1})
		}
		for _, t := range it.Tags {
			h.Write([]byte(t))
			h.Write([]byte{0})
		}
		h.Write([]byte{2})
	}
	return h.Sum64()
}

func bskyHandleOf(author string) string {
	if strings.HasPrefix(author, "did:") {
		return "user-" + author[len(author)-6:] + ".bsky.social"
	}
	return strings.ToLower(author)
}

// BlueskyURI returns the at:// URI of a Bluesky item.
func BlueskyURI(it Item) string {
	if strings.HasPrefix(it.Native, "at://") {
		return it.Native
	}
	return "at://" + bskyDID(it.Author) + "/app.bsky.feed.post/" + it.Native
}

func bskyRkey(uri string) string { return uri[strings.LastIndexByte(uri, '/')+1:] }

func bskyAuthority(uri string) string {
	rest := strings.TrimPrefix(uri, "at://")
	a, _, _ := strings.Cut(rest, "/")
	return a
}

func bskyCID(s string) string {
	h := sha256.Sum256([]byte(s))
	return "bafyrei" + bskyB32.EncodeToString(h[:])[:52]
}

func bskyHasTag(it Item, tag string) bool {
	for _, t := range it.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func bskyBlocked(it Item) bool { return bskyHasTag(it, "replica:blocked") }

func bskyIndexedAt(it Item) time.Time { return it.CreatedAt.Add(1337 * time.Millisecond) }

func bskyTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// bskyIndex is the data set's Bluesky items with their URIs and children.
type bskyIndex struct {
	items    []Item
	byURI    map[string]Item
	byNative map[string]Item
	children map[string][]Item // parent native -> replies in CreatedAt order
	quotes   map[string][]Item // quoted native -> quote posts, newest first
}

func bskyIndexOf(d *Dataset) *bskyIndex {
	x := &bskyIndex{items: d.Items(reaction.Bluesky), byURI: map[string]Item{}, byNative: map[string]Item{}, children: map[string][]Item{},
		quotes: map[string][]Item{}}
	for _, it := range x.items {
		if it.Quotes != "" && !it.Deleted && !bskyBlocked(it) {
			x.quotes[it.Quotes] = append(x.quotes[it.Quotes], it)
		}
		x.byURI[BlueskyURI(it)] = it
		x.byNative[it.Native] = it
		if it.Parent != "" {
			x.children[it.Parent] = append(x.children[it.Parent], it)
		}
	}
	for _, cs := range x.children {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].CreatedAt.Before(cs[j].CreatedAt) })
	}
	for _, qs := range x.quotes {
		sort.SliceStable(qs, func(i, j int) bool { return qs[i].CreatedAt.After(qs[j].CreatedAt) })
	}
	return x
}

func (x *bskyIndex) replyCount(it Item) int {
	n := 0
	for _, c := range x.children[it.Native] {
		if !c.Deleted {
			n++
		}
	}
	return n
}

var bskyURLRe = regexp.MustCompile(`https?://[^\s]+|#[\pL\pN_]+`)

// record renders it as its app.bsky.feed.post record (what Jetstream
// sends), with the embed's view for the AppView's postView (nil when none).
// Parent, Thread and Quotes may be Natives of the data set or whole at://
// URIs (posts the data set does not hold, as on the live stream).
func (x *bskyIndex) record(it Item) (map[string]any, any) {
	record := map[string]any{"$type": "app.bsky.feed.post", "text": it.Text}
	switch {
	case bskyHasTag(it, "replica:no-created-at"):
	case bskyHasTag(it, "replica:future-created-at"):
		record["createdAt"] = bskyTime(it.CreatedAt.Add(72 * time.Hour))
	default:
		record["createdAt"] = bskyTime(it.CreatedAt)
	}
	if it.Lang != "" {
		record["langs"] = []string{it.Lang}
	}
	var facets []map[string]any
	for _, m := range bskyURLRe.FindAllStringIndex(it.Text, -1) {
		s := it.Text[m[0]:m[1]]
		feature := map[string]any{"$type": "app.bsky.richtext.facet#link", "uri": s}
		if strings.HasPrefix(s, "#") {
			feature = map[string]any{"$type": "app.bsky.richtext.facet#tag", "tag": s[1:]}
		}
		facets = append(facets, map[string]any{"index": map[string]any{"byteStart": m[0], "byteEnd": m[1]},
			"features": []any{feature}})
	}
	if facets != nil {
		record["facets"] = facets
	}
	if it.Parent != "" {
		ref := func(native string) map[string]any {
			u := native
			if p, ok := x.byNative[native]; ok {
				u = BlueskyURI(p)
			}
			return map[string]any{"uri": u, "cid": bskyCID(u)}
		}
		root := it.Thread
		if root == "" {
			root = it.Parent
		}
		record["reply"] = map[string]any{"root": ref(root), "parent": ref(it.Parent)}
	}
	var embedView any
	q, ok := x.byNative[it.Quotes]
	quoted := ""
	switch {
	case ok:
		quoted = BlueskyURI(q)
	case strings.HasPrefix(it.Quotes, "at://"):
		quoted = it.Quotes
		q = Item{Native: quoted, Author: bskyAuthority(quoted)}
	}
	switch {
	case it.Link != "":
		ext := map[string]any{"uri": it.Link, "title": "Chrissy Teigen and John Legend share the loss of their son", "description": ""}
		record["embed"] = map[string]any{"$type": "app.bsky.embed.external", "external": ext}
		embedView = map[string]any{"$type": "app.bsky.embed.external#view", "external": ext}
	case quoted != "":
		strong := map[string]any{"uri": quoted, "cid": bskyCID(quoted)}
		view := map[string]any{
			"$type": "app.bsky.embed.record#viewRecord", "uri": quoted, "cid": bskyCID(quoted),
			"author":    map[string]any{"did": bskyDID(q.Author), "handle": bskyHandleOf(q.Author)},
			"value":     map[string]any{"$type": "app.bsky.feed.post", "text": q.Text, "createdAt": bskyTime(q.CreatedAt)},
			"indexedAt": bskyTime(bskyIndexedAt(q))}
		if bskyHasTag(it, "replica:quote-with-media") {
			img := map[string]any{"alt": "", "image": map[string]any{"$type": "blob", "ref": map[string]any{"$link": bskyCID(quoted + "/image")},
				"mimeType": "image/jpeg", "size": 48213}}
			record["embed"] = map[string]any{"$type": "app.bsky.embed.recordWithMedia",
				"record": map[string]any{"$type": "app.bsky.embed.record", "record": strong},
				"media":  map[string]any{"$type": "app.bsky.embed.images", "images": []any{img}}}
			embedView = map[string]any{"$type": "app.bsky.embed.recordWithMedia#view",
				"record": map[string]any{"$type": "app.bsky.embed.record#view", "record": view},
				"media":  map[string]any{"$type": "app.bsky.embed.images#view", "images": []any{}}}
			break
		}
		record["embed"] = map[string]any{"$type": "app.bsky.embed.record", "record": strong}
		embedView = map[string]any{"$type": "app.bsky.embed.record#view", "record": view}
	}
	return record, embedView
}

func (x *bskyIndex) postView(it Item) map[string]any {
	uri := BlueskyURI(it)
	record, embedView := x.record(it)
	did := bskyDID(it.Author)
	view := map[string]any{
		"uri": uri, "cid": bskyCID(uri),
		"author": map[string]any{"did": did, "handle": bskyHandleOf(it.Author), "displayName": "",
			"avatar": "https://cdn.bsky.app/img/avatar/plain/" + did + "/bafkreiabc@jpeg", "labels": []any{},
			"createdAt": "2023-05-01T10:00:00.000Z"},
		"record":     record,
		"replyCount": x.replyCount(it), "repostCount": it.Likes / 3, "likeCount": it.Likes, "quoteCount": len(x.quotes[it.Native]),
		"indexedAt": bskyTime(bskyIndexedAt(it)), "labels": []any{},
	}
	if embedView != nil {
		view["embed"] = embedView
	}
	return view
}

// node renders it as a thread union member with depth levels of replies.
func (x *bskyIndex) node(it Item, depth int) map[string]any {
	uri := BlueskyURI(it)
	switch {
	case it.Deleted:
		return map[string]any{"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": true}
	case bskyBlocked(it):
		return map[string]any{"$type": "app.bsky.feed.defs#blockedPost", "uri": uri, "blocked": true,
			"author": map[string]any{"did": bskyDID(it.Author), "viewer": map[string]any{"blockedBy": false, "blocking": "at://did:plc:viewer/app.bsky.graph.block/3kabc"}}}
	}
	n := map[string]any{"$type": "app.bsky.feed.defs#threadViewPost", "post": x.postView(it)}
	if depth > 0 {
		replies := []any{}
		for _, c := range x.children[it.Native] {
			replies = append(replies, x.node(c, depth-1))
		}
		n["replies"] = replies
	}
	return n
}

func bskyHandler(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/bluesky/subscribe":
			s.jetstream.serve(w, r)
		case "/bluesky/xrpc/app.bsky.feed.getPostThread":
			x := bskyIndexOf(s.Data)
			uri := q.Get("uri")
			if auth := bskyAuthority(uri); auth != "" && !strings.HasPrefix(auth, "did:") {
				for _, it := range x.items {
					if bskyHandleOf(it.Author) == strings.ToLower(auth) {
						uri = "at://" + bskyDID(it.Author) + strings.TrimPrefix(uri, "at://"+auth)
						break
					}
				}
			}
			depth, err := bskyIntParam(q.Get("depth"), 6, 0, 1000)
			if err == nil {
				_, err = bskyIntParam(q.Get("parentHeight"), 80, 0, 1000)
			}
			if err != nil || !strings.HasPrefix(uri, "at://") {
				bskyError(w, http.StatusBadRequest, "InvalidRequest", "Error: Params must have the property \"uri\"")
				return
			}
			it, ok := x.byURI[uri]
			if !ok || it.Deleted {
				bskyError(w, http.StatusBadRequest, "NotFound", "Post not found: "+uri)
				return
			}
			bskyJSON(w, map[string]any{"thread": x.node(it, min(depth, BlueskyMaxDepth))})
		case "/bluesky/xrpc/com.atproto.identity.resolveHandle":
			h := strings.ToLower(q.Get("handle"))
			for _, it := range s.Data.Items(reaction.Bluesky) {
				if bskyHandleOf(it.Author) == h {
					bskyJSON(w, map[string]any{"did": bskyDID(it.Author)})
					return
				}
			}
			bskyError(w, http.StatusBadRequest, "InvalidRequest", "Unable to resolve handle")
		case "/bluesky/xrpc/com.atproto.server.createSession":
			var body struct{ Identifier, Password string }
			if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil {
				bskyError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the property \"identifier\"")
				return
			}
			if body.Identifier == "" || !bskyAppPasswordRe.MatchString(body.Password) {
				bskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
				return
			}
			bskyJSON(w, bskySession(body.Identifier))
		case "/bluesky/xrpc/com.atproto.server.refreshSession":
			sub, ok := bskyToken(r, "com.atproto.refresh")
			if !ok {
				bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
				return
			}
			bskyJSON(w, bskySession(sub))
		case "/bluesky/xrpc/app.bsky.feed.getQuotes":
			x := bskyIndexOf(s.Data)
			it, ok := x.byURI[q.Get("uri")]
			limit, err := bskyIntParam(q.Get("limit"), 50, 1, 100)
			offset, cerr := bskyIntParam(q.Get("cursor"), 0, 0, 1<<30)
			if q.Get("uri") == "" || err != nil || cerr != nil {
				bskyError(w, http.StatusBadRequest, "InvalidRequest", "Error: Params must have the property \"uri\"")
				return
			}
			out := map[string]any{"uri": q.Get("uri"), "posts": []any{}}
			if ok {
				qs := x.quotes[it.Native]
				from := min(offset, len(qs))
				page := qs[from:min(from+limit, len(qs))]
				posts := make([]any, len(page))
				for i, p := range page {
					posts[i] = x.postView(p)
				}
				out["posts"], out["cid"] = posts, bskyCID(q.Get("uri"))
				if from+limit < len(qs) {
					out["cursor"] = strconv.Itoa(from + limit)
				}
			}
			bskyJSON(w, out)
		case "/bluesky/xrpc/app.bsky.feed.searchPosts":
			if r.Header.Get("Authorization") == "" {
				bskyError(w, http.StatusForbidden, "Forbidden", "Request forbidden by administrative rules")
				return
			}
			if _, ok := bskyToken(r, "com.atproto.access"); !ok {
				bskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
				return
			}
			bskySearch(w, s.Data, q)
		default:
			bskyError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
		}
	})
}

var bskyAppPasswordRe = regexp.MustCompile(`^[a-z0-9]{4}(-[a-z0-9]{4}){3}$`)

func bskyIntParam(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q out of range", v)
	}
	return n, nil
}

// bskySession issues tokens shaped like atproto's JWTs (the replica checks
// their scope and expiry, not a signature).
func bskySession(identifier string) map[string]any {
	tok := func(scope string, ttl time.Duration) string {
		enc := base64.RawURLEncoding
		hdr := enc.EncodeToString([]byte(`{"typ":"at+jwt","alg":"HS256"}`))
		now := time.Now().Unix()
		claims, _ := json.Marshal(map[string]any{"scope": scope, "sub": identifier, "iat": now, "exp": now + int64(ttl.Seconds())})
		return hdr + "." + enc.EncodeToString(claims) + ".c2lnbmF0dXJl"
	}
	return map[string]any{
		"did": bskyDID(identifier), "handle": bskyHandleOf(identifier), "active": true,
		"accessJwt":  tok("com.atproto.access", 2*time.Hour),
		"refreshJwt": tok("com.atproto.refresh", 90*24*time.Hour),
	}
}

func bskyToken(r *http.Request, scope string) (sub string, ok bool) {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if !found || len(parts) != 3 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Scope string `json:"scope"`
		Sub   string `json:"sub"`
		Exp   int64  `json:"exp"`
	}
	if err != nil || json.Unmarshal(b, &c) != nil || c.Scope != scope || time.Now().Unix() >= c.Exp {
		return "", false
	}
	return c.Sub, true
}

func bskySearch(w http.ResponseWriter, d *Dataset, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	query := strings.TrimSpace(get("q"))
	// A q that is a URL is a url filter (Bluesky's query parser takes
	// http(s): tokens as one).
	link := get("url")
	if strings.HasPrefix(query, "http://") || strings.HasPrefix(query, "https://") {
		link = query
	}
	limit, err := bskyIntParam(get("limit"), 25, 1, 100)
	offset, cerr := bskyIntParam(get("cursor"), 0, 0, 1<<30)
	if query == "" || err != nil || cerr != nil {
		bskyError(w, http.StatusBadRequest, "InvalidRequest", "Error: Params must have the property \"q\"")
		return
	}
	x := bskyIndexOf(d)
	var hits []Item
	for _, it := range x.items {
		if !it.Deleted && !bskyBlocked(it) && (link == "" && bskyMatches(it, query) || link != "" && bskyLinks(it, link)) {
			hits = append(hits, it)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return bskyIndexedAt(hits[i]).After(bskyIndexedAt(hits[j])) })
	from := min(offset, len(hits))
	page := hits[from:min(from+limit, len(hits))]
	posts := make([]any, len(page))
	for i, it := range page {
		posts[i] = x.postView(it)
	}
	out := map[string]any{"hitsTotal": len(hits), "posts": posts}
	if len(page) == limit { // a full page: there may be more
		out["cursor"] = strconv.Itoa(from + limit)
	}
	bskyJSON(w, out)
}

// bskyLinks reports whether it links to link (its card or a link facet),
// both sides normalised as Bluesky's search does.
func bskyLinks(it Item, link string) bool {
	want := bskyLossyURL(link)
	if it.Link != "" && bskyLossyURL(it.Link) == want {
		return true
	}
	for _, m := range bskyURLRe.FindAllString(it.Text, -1) {
		if !strings.HasPrefix(m, "#") && bskyLossyURL(m) == want {
			return true
		}
	}
	return false
}

func bskyMatches(it Item, q string) bool {
	for _, t := range it.Tags {
		if !strings.HasPrefix(t, "replica:") && strings.EqualFold(t, q) {
			return true
		}
	}
	return false
}

func bskyError(w http.ResponseWriter, status int, name, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": name, "message": msg})
}

func bskyJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// bskyExpect is what a correct crawler makes of it, given every thread root
// of the data set in threads and every search term in search (with a
// session). The zero Reaction (empty ID) means a correct crawler cannot
// emit it: blocked posts, posts below a deleted or blocked post or in a
// deleted thread that no search finds, deleted posts whose record key is
// not a TID (their time is unknown; the crawler counts them as
// "deleted_unknown_time").
func bskyExpect(d *Dataset, it Item) reaction.Reaction {
	x := bskyCachedIndex(d)
	if bskyBlocked(it) {
		return reaction.Reaction{}
	}
	// Reachable by the thread crawl of its root: every ancestor visible.
	viaThread := true
	for p, n := it, 0; p.Parent != "" && n < 10000; n++ {
		par, ok := x.byNative[p.Parent]
		if !ok || par.Deleted || bskyBlocked(par) {
			viaThread = false
			break
		}
		p = par
	}
	if it.Parent == "" && it.Deleted {
		viaThread = false // a deleted root: the whole thread is NotFound
	}
	viaSearch := !it.Deleted
	if viaSearch {
		viaSearch = false
		for _, t := range it.Tags {
			if !strings.HasPrefix(t, "replica:") {
				viaSearch = true
			}
		}
	}
	if !viaThread && !viaSearch {
		return reaction.Reaction{}
	}
	uri := BlueskyURI(it)
	did := bskyAuthority(uri)
	r := reaction.Reaction{
		Platform:  reaction.Bluesky,
		ID:        reaction.MakeID(reaction.Bluesky, uri),
		URL:       "https://bsky.app/profile/" + did + "/post/" + bskyRkey(uri),
		CreatedAt: it.CreatedAt.UTC().Truncate(time.Second),
		Author:    did,
		Text:      it.Text,
		Lang:      it.Lang,
		Likes:     it.Likes,
		Replies:   int64(x.replyCount(it)),
		Deleted:   it.Deleted,
	}
	if bskyHasTag(it, "replica:no-created-at") || bskyHasTag(it, "replica:future-created-at") {
		r.CreatedAt = bskyIndexedAt(it).UTC().Truncate(time.Second)
	}
	if it.Parent == "" {
		r.RootID = r.ID
	} else {
		ref := func(native string) string {
			if p, ok := x.byNative[native]; ok {
				return reaction.MakeID(reaction.Bluesky, BlueskyURI(p))
			}
			return ""
		}
		r.ParentID = ref(it.Parent)
		root := it.Thread
		if root == "" {
			root = it.Parent
		}
		r.RootID = ref(root)
	}
	if q, ok := x.byNative[it.Quotes]; ok && it.Parent == "" {
		// A quote post answers the post it quotes and starts its own thread.
		r.ParentID, r.Relation = reaction.MakeID(reaction.Bluesky, BlueskyURI(q)), reaction.RelationQuote
	}
	if it.Deleted {
		t, ok := bskyTIDTime(bskyRkey(uri))
		if !ok {
			return reaction.Reaction{}
		}
		r.CreatedAt = t.Truncate(time.Second)
		r.Text, r.Author, r.Lang, r.Likes, r.Replies = "", "", "", 0, 0
	}
	return r
}

// bskyFixture: a thread of 40 replies with a reply chain 14 deep (beyond
// BlueskyMaxDepth), deleted replies with replies (one with a TID record
// key, one without), a blocked reply with a reply, a reply reachable only
// through search, entities and non-English text (es, fr, de, ja), missing
// and future createdAt; a thread whose root is deleted; 231 posts found by
// the search "chrissy teigen" (three pages of 100), some of them roots with
// replies of their own.
func bskyFixture() []Item {
	b := reaction.Bluesky
	t0 := time.Date(2020, 10, 1, 2, 14, 5, 214e6, time.UTC)
	clock := uint(0)
	tid := func(t time.Time) string { clock++; return BlueskyTID(t, clock) }
	root := Item{Platform: b, Native: tid(t0), Author: "chrissyteigen.example.com", CreatedAt: t0, Lang: "en", Likes: 5200,
		Text: "We are shocked and in the kind of deep pain you only hear about. #jack"}
	items := []Item{root}
	texts := []struct{ text, lang string }{
		{"Sending so much love to you both.", "en"},
		{"Lo siento muchísimo, Chrissy. Un abrazo enorme.", "es"},
		{"Toutes mes pensées vont vers vous. Courage à la famille.", "fr"},
		{"Es tut mir so leid. Viel Kraft für euch.", "de"},
		{"心からお悔やみ申し上げます。", "ja"},
		{"Tom & Jerry &amp; <b>not html</b> — plain text stays as typed", "en"},
		{"Sharing those photos was brave. https://example.org/essay?x=1&y=2", "en"},
		{"Why would anyone post this publicly?", ""},
	}
	var natives []string
	for i := 1; i <= 40; i++ {
		at := t0.Add(time.Duration(i) * 9 * time.Minute).Add(time.Duration(i*7) * time.Millisecond)
		tx := texts[i%len(texts)]
		it := Item{Platform: b, Native: tid(at), Thread: root.Native, Parent: root.Native,
			Author: fmt.Sprintf("reader%d.bsky.social", i%11), CreatedAt: at,
			Text: fmt.Sprintf("%s (%d)", tx.text, i), Lang: tx.lang, Likes: int64(i % 7)}
		if i%4 == 0 && len(natives) > 0 {
			it.Parent = natives[len(natives)-1]
		}
		items = append(items, it)
		natives = append(natives, it.Native)
	}
	parent := natives[0]
	for k := 1; k <= 14; k++ { // a chain 14 deep
		at := t0.Add(12*time.Hour + time.Duration(k)*time.Minute)
		it := Item{Platform: b, Native: tid(at), Thread: root.Native, Parent: parent,
			Author: fmt.Sprintf("chain%d.bsky.social", k%2), CreatedAt: at, Lang: "en",
			Text: fmt.Sprintf("Depth %d.", k+1)}
		items = append(items, it)
		parent = it.Native
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h)*time.Hour + 30*time.Second) }
	delTID := Item{Platform: b, Native: tid(at(13)), Thread: root.Native, Parent: root.Native, Author: "gone.bsky.social",
		CreatedAt: at(13), Text: "deleted later", Deleted: true}
	delOld := Item{Platform: b, Native: "3kv2abd001k2b", Thread: root.Native, Parent: root.Native, Author: "gone2.bsky.social",
		CreatedAt: at(14), Text: "deleted, record key not a TID", Deleted: true}
	blocked := Item{Platform: b, Native: tid(at(15)), Thread: root.Native, Parent: root.Native, Author: "troll.bsky.social",
		CreatedAt: at(15), Text: "blocked reply", Tags: []string{"replica:blocked", "chrissy teigen"}}
	items = append(items, delTID, delOld, blocked,
		// Below the deleted reply: unreachable by the thread, one found by search.
		Item{Platform: b, Native: tid(at(16)), Thread: root.Native, Parent: delTID.Native, Author: "orphan.bsky.social",
			CreatedAt: at(16), Text: "Answering a post that is gone now", Lang: "en", Likes: 2, Tags: []string{"chrissy teigen"}},
		Item{Platform: b, Native: tid(at(17)), Thread: root.Native, Parent: delTID.Native, Author: "orphan2.bsky.social",
			CreatedAt: at(17), Text: "Nobody will find this one", Lang: "en"},
		Item{Platform: b, Native: tid(at(18)), Thread: root.Native, Parent: blocked.Native, Author: "fan.bsky.social",
			CreatedAt: at(18), Text: "Replying to the troll", Lang: "en"},
		Item{Platform: b, Native: tid(at(19)), Thread: root.Native, Parent: root.Native, Author: "noclock.bsky.social",
			CreatedAt: at(19), Text: "A record without createdAt", Lang: "en", Tags: []string{"replica:no-created-at"}},
		Item{Platform: b, Native: tid(at(20)), Thread: root.Native, Parent: root.Native, Author: "future.bsky.social",
			CreatedAt: at(20), Text: "A clock three days ahead", Lang: "en", Tags: []string{"replica:future-created-at"}},
	)
	// A thread whose root was deleted.
	goneRoot := Item{Platform: b, Native: tid(at(2)), Author: "deleter.bsky.social", CreatedAt: at(2), Text: "gone", Deleted: true}
	items = append(items, goneRoot,
		Item{Platform: b, Native: tid(at(3)), Thread: goneRoot.Native, Parent: goneRoot.Native, Author: "late.bsky.social",
			CreatedAt: at(3), Text: "Under a deleted root", Lang: "en"})
	// 230 search hits: 12 roots with 0-3 replies each, and replies to the
	// first root spread over two days.
	var hitRoots []Item
	for i := 0; i < 12; i++ {
		t := t0.Add(time.Duration(i*4)*time.Hour + 11*time.Minute)
		r := Item{Platform: b, Native: tid(t), Author: fmt.Sprintf("news%d.example.com", i), CreatedAt: t, Lang: "en",
			Likes: int64(10 * i), Text: fmt.Sprintf("Chrissy Teigen shares loss of baby Jack, report %d", i), Tags: []string{"chrissy teigen"}}
		hitRoots = append(hitRoots, r)
		items = append(items, r)
		for k := 0; k < i%4; k++ {
			rt := t.Add(time.Duration(k+1) * 13 * time.Minute)
			items = append(items, Item{Platform: b, Native: tid(rt), Thread: r.Native, Parent: r.Native,
				Author: fmt.Sprintf("commenter%d.bsky.social", k), CreatedAt: rt, Lang: "en", Text: fmt.Sprintf("So sad (%d/%d)", i, k)})
		}
	}
	for i := 0; i < 218; i++ {
		t := t0.Add(time.Duration(i) * 13 * time.Minute).Add(time.Duration(i) * time.Second)
		tx := texts[i%len(texts)]
		items = append(items, Item{Platform: b, Native: tid(t), Thread: hitRoots[0].Native, Parent: hitRoots[0].Native,
			Author: fmt.Sprintf("voice%d.bsky.social", i%23), CreatedAt: t, Lang: tx.lang, Likes: int64(i % 5),
			Text: fmt.Sprintf("Chrissy Teigen: %s [%d]", tx.text, i), Tags: []string{"Chrissy Teigen"}})
	}
	return items
}
