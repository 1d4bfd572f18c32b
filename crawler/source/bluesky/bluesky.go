// Package bluesky collects Bluesky posts through the AT Protocol AppView:
// whole reply threads (getPostThread, public; sub-threads an AppView cut
// are asked for by their own URI) and search results (searchPosts, which
// needs a session at a PDS since January 2025), whose root posts' threads
// are crawled too. The first post of a thread the story names is its
// thread starter; a post found by search is a reaction. Deleted posts take
// their time from their TID record key. The endpoints, credentials,
// limits and mapping are in docs/platforms.md, "Bluesky".
package bluesky

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/idset"
	"github.com/reactions-research/reactions/reaction"
)

func init() {
	source.Register(reaction.Bluesky, func() source.Adapter { return &Adapter{} })
}

// Limits of one run.
const (
	// ThreadDepth is the depth asked of getPostThread (the lexicon's maximum).
	ThreadDepth = 1000
	// SearchLimit is the page size of searchPosts (the lexicon's maximum).
	SearchLimit = 100
	// MaxSearchPages bounds one query's paging per run.
	MaxSearchPages = 200
	// MaxHitThreads bounds the threads of search hits crawled per run.
	MaxHitThreads = 50
	// MaxRequeries bounds the sub-thread requests of one thread per run.
	MaxRequeries = 100
	// searchOverlap is how far before the newest hit of the last run a
	// later run pages back (posts are indexed a little out of order).
	searchOverlap = 10 * time.Minute
	// rememberedHitThreads is how many hit threads State remembers.
	rememberedHitThreads = 100
)

// DefaultPDS is where sessions are made when a source sets no pds_url.
const DefaultPDS = "https://bsky.social"

// The environment variables from which the command takes the account of
// source.Credentials, named in messages.
const (
	HandleEnv   = "BLUESKY_HANDLE"
	PasswordEnv = "BLUESKY_APP_PASSWORD"
)

// errNoCredentials is the honest sentence for a researcher without an account.
//
//lint:ignore ST1005 the sentence starts with the platform's name, as researchers read it in the summary
var errNoCredentials = fmt.Errorf("Bluesky search needs %s and %s since January 2025 (%w)", HandleEnv, PasswordEnv, source.ErrBlocked)

// Adapter collects Bluesky threads and searches. The zero value is ready.
type Adapter struct{}

type ref struct {
	URI string `json:"uri"`
}

type record struct {
	Type      string   `json:"$type"`
	Text      string   `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Reply     *struct {
		Root   ref `json:"root"`
		Parent ref `json:"parent"`
	} `json:"reply"`
	// Embed is a link card (app.bsky.embed.external) or a quoted post
	// (app.bsky.embed.record, or recordWithMedia's record).
	Embed  *embed  `json:"embed"`
	Facets []facet `json:"facets"`
}

type embed struct {
	Type     string `json:"$type"`
	External *struct {
		URI string `json:"uri"`
	} `json:"external"`
	// Record is the quoted post of app.bsky.embed.record, or the
	// {record: …} wrapper of app.bsky.embed.recordWithMedia.
	Record *struct {
		URI    string `json:"uri"`
		Record *ref   `json:"record"`
	} `json:"record"`
	// Media is recordWithMedia's media: images, a video, or a link card.
	Media *struct {
		External *struct {
			URI string `json:"uri"`
		} `json:"external"`
	} `json:"media"`
}

// links returns the URLs a post links to: its link card (also beside a
// quoted post) and its link facets.
func (r *record) links() []string {
	var out []string
	if e := r.Embed; e != nil {
		if e.External != nil && e.External.URI != "" {
			out = append(out, e.External.URI)
		}
		if e.Media != nil && e.Media.External != nil && e.Media.External.URI != "" {
			out = append(out, e.Media.External.URI)
		}
	}
	for _, f := range r.Facets {
		for _, ft := range f.Features {
			if ft.URI != "" {
				out = append(out, ft.URI)
			}
		}
	}
	return out
}

// quoted returns the at:// URI of the post e quotes, or "".
func (e *embed) quoted() string {
	if e == nil || e.Record == nil {
		return ""
	}
	if e.Record.Record != nil {
		return e.Record.Record.URI
	}
	return e.Record.URI
}

type facet struct {
	Features []struct {
		Type string `json:"$type"`
		URI  string `json:"uri"`
		Tag  string `json:"tag"`
	} `json:"features"`
}

type postView struct {
	URI    string `json:"uri"`
	Author struct {
		DID    string `json:"did"`
		Handle string `json:"handle"`
	} `json:"author"`
	Record     record `json:"record"`
	ReplyCount int64  `json:"replyCount"`
	LikeCount  int64  `json:"likeCount"`
	IndexedAt  string `json:"indexedAt"`
}

// threadNode is one member of the thread union.
type threadNode struct {
	Type     string            `json:"$type"`
	URI      string            `json:"uri"`
	NotFound bool              `json:"notFound"`
	Blocked  bool              `json:"blocked"`
	Post     *postView         `json:"post"`
	Replies  []json.RawMessage `json:"replies"`
}

func (n *threadNode) kind() string {
	switch {
	case strings.HasSuffix(n.Type, "#threadViewPost") || (n.Type == "" && n.Post != nil):
		return "post"
	case strings.HasSuffix(n.Type, "#notFoundPost") || (n.Type == "" && n.NotFound):
		return "notFound"
	case strings.HasSuffix(n.Type, "#blockedPost") || (n.Type == "" && n.Blocked):
		return "blocked"
	}
	return "unknown"
}

// Collect runs the source's searches, then its threads, then the threads
// of search hits.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	c, err := newCrawl(env)
	if err != nil {
		return err
	}
	for _, t := range env.Source.Threads {
		if m := atURIRe.FindStringSubmatch(strings.TrimSpace(t)); m != nil {
			c.named[strings.ToLower(m[1])+"/"+m[2]] = true
		}
	}
	if d, on := source.LoadDiscoveries(env); on {
		c.found = d
	}
	if len(env.Source.Search) > 0 || c.found != nil {
		if err := c.searches(ctx); err != nil {
			return err
		}
	}
	if c.found != nil {
		c.found.Save()
		// Threads found from the URLs are followed on every run.
		c.hitURIs = append(c.hitURIs, c.found.Natives()...)
	}
	listed := map[string]bool{}
	for _, t := range env.Source.Threads {
		if err := ctx.Err(); err != nil {
			return err
		}
		uri, err := c.resolve(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			env.Stats.Error(c.kind(err), fmt.Errorf("bluesky: thread %q: %w", t, err))
			continue
		}
		listed[uri] = true
		if err := c.thread(ctx, uri, true); err != nil {
			return err
		}
	}
	if err := c.hitThreads(ctx, listed); err != nil {
		return err
	}
	if err := c.quotes(ctx, listed); err != nil {
		return err
	}
	if c.searchBlocked != nil && len(env.Source.Threads) == 0 {
		return c.searchBlocked // search was all there was to do
	}
	return nil
}

type crawl struct {
	env  *source.Env
	base string
	pds  string
	seen map[string]bool // URIs emitted (or known) this run
	// named holds the threads the source names, as "authority/rkey" (the
	// authority a DID or a lower-case handle): search leaves their first
	// posts to the thread walk, which flags them as thread starters.
	named   map[string]bool
	dids    map[string]string
	hitURIs []string // roots with replies found by search this run
	// found are the threads found from the story's URLs (nil when the
	// source does not discover).
	found *source.Discoveries
	// roots are the threads crawled this run, whose quotes are collected.
	roots []string
	// searchBlocked is why search was refused, if it was.
	searchBlocked error
	// counts for the log
	blocked, unknownType int
}

func newCrawl(env *source.Env) (*crawl, error) {
	check := func(name, v string) (string, error) {
		v = strings.TrimRight(v, "/")
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "", fmt.Errorf("bluesky: %s %q is not an http(s) URL", name, v)
		}
		return v, nil
	}
	base, err := check("base_url", env.Source.BaseURL)
	if err != nil {
		return nil, err
	}
	pds := env.Source.PDSURL
	if pds == "" {
		pds = DefaultPDS
	}
	if pds, err = check("pds_url", pds); err != nil {
		return nil, err
	}
	return &crawl{env: env, base: base, pds: pds, seen: map[string]bool{}, named: map[string]bool{}, dids: map[string]string{}}, nil
}

var atURIRe = regexp.MustCompile(`^at://([^/\s]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]{1,512})$`)

// resolve turns a thread's at:// URI into one whose authority is a DID.
func (c *crawl) resolve(ctx context.Context, s string) (string, error) {
	m := atURIRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", &inputError{fmt.Sprintf("%q is not an at:// URI of a post", s)}
	}
	if strings.HasPrefix(m[1], "did:") {
		return m[0], nil
	}
	handle := strings.ToLower(m[1])
	did, ok := c.dids[handle]
	if !ok {
		var res struct {
			DID string `json:"did"`
		}
		if err := c.getJSON(ctx, c.base+"/xrpc/com.atproto.identity.resolveHandle?handle="+url.QueryEscape(handle), nil, &res); err != nil {
			var he *source.HTTPError
			if errors.As(err, &he) && he.Status == 400 {
				// InvalidRequest "Unable to resolve handle": no such account.
				return "", fmt.Errorf("the handle in the URI does not resolve to an account: %w (%w)", source.ErrNotFound, err)
			}
			return "", fmt.Errorf("resolve handle: %w", err)
		}
		if !strings.HasPrefix(res.DID, "did:") {
			return "", &source.ParseError{URL: "resolveHandle", Err: errors.New("no did in the answer")}
		}
		did = res.DID
		c.dids[handle] = did
	}
	return "at://" + did + "/app.bsky.feed.post/" + m[2], nil
}

// threadRun is one thread's crawl.
type threadRun struct {
	root string
	// named is set for a thread the source names: its first post is the
	// thread starter (is_root), and starter is set until it was emitted as
	// one (a state written before is_root existed re-emits it once).
	named, starter bool
	emitted        map[uint64]bool
	deleted        map[uint64]bool
	queued         map[string]bool
	queue          []string
	requests       int
	count          int
}

func (c *crawl) thread(ctx context.Context, uri string, named bool) error {
	env := c.env
	key := "thread/" + uri
	tr := &threadRun{root: uri, named: named, starter: named && env.State.Get(key+"/starter") == "",
		emitted: idset.Decode[uint64](env.State.Get(key + "/emitted")),
		deleted: idset.Decode[uint64](env.State.Get(key + "/deleted")), queued: map[string]bool{uri: true}, queue: []string{uri}}
	for len(tr.queue) > 0 {
		q := tr.queue[0]
		tr.queue = tr.queue[1:]
		if tr.requests > MaxRequeries {
			env.Stats.Error("truncated", fmt.Errorf("bluesky: thread %s: more than %d sub-threads to ask for, %d left", uri, MaxRequeries, len(tr.queue)+1))
			break
		}
		tr.requests++
		u := fmt.Sprintf("%s/xrpc/app.bsky.feed.getPostThread?uri=%s&depth=%d&parentHeight=0", c.base, url.QueryEscape(q), ThreadDepth)
		var res struct {
			Thread json.RawMessage `json:"thread"`
		}
		if err := c.getJSON(ctx, u, nil, &res); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			what := "thread " + q
			if q != uri {
				what = "sub-thread " + q + " of " + uri
			}
			c.record(what, err)
			continue
		}
		env.Stats.Page()
		if err := c.walk(ctx, tr, res.Thread, "", "", q); err != nil {
			return err
		}
	}
	c.roots = append(c.roots, uri)
	env.State.Set(key+"/emitted", idset.Encode(tr.emitted))
	env.State.Set(key+"/deleted", idset.Encode(tr.deleted))
	if named && !tr.starter {
		env.State.Set(key+"/starter", "1")
	}
	env.Log.Info("bluesky thread read", "posts", tr.count, "requests", tr.requests, "blocked_so_far", c.blocked, "unknown_types_so_far", c.unknownType)
	return nil
}

// walk emits the posts of one thread answer, depth first.
func (c *crawl) walk(ctx context.Context, tr *threadRun, raw json.RawMessage, parentID, rootID, asked string) error {
	var n threadNode
	if err := json.Unmarshal(raw, &n); err != nil {
		c.env.Stats.Error("parse", fmt.Errorf("bluesky: thread %s: %w", tr.root, err))
		return nil
	}
	switch n.kind() {
	case "post":
		p := n.Post
		r, ok := c.reaction(p, parentID, rootID)
		if !ok {
			return nil
		}
		// The top of the answer for the thread itself (not a sub-thread).
		r.IsRoot = tr.named && parentID == "" && asked == tr.root
		tr.count++
		if err := c.emitThreadPost(tr, r); err != nil {
			return err
		}
		// A post with replies but no replies array was cut at depth.
		if n.Replies == nil && p.ReplyCount > 0 && p.URI != asked && !tr.queued[p.URI] {
			tr.queued[p.URI] = true
			tr.queue = append(tr.queue, p.URI)
		}
		for _, child := range n.Replies {
			if err := c.walk(ctx, tr, child, r.ID, r.RootID, asked); err != nil {
				return err
			}
		}
	case "notFound":
		if parentID == "" {
			return nil // the top of an answer is never notFoundPost (NotFound is an error)
		}
		rkey := n.URI[strings.LastIndexByte(n.URI, '/')+1:]
		t, ok := tidTime(rkey)
		if !ok {
			if !c.seen[n.URI] {
				c.seen[n.URI] = true
				c.env.Stats.Error("deleted_unknown_time", fmt.Errorf("bluesky: deleted post %s: record key is not a TID, its time is unknown", n.URI))
			}
			return nil
		}
		tr.count++
		return c.emitThreadPost(tr, reaction.Reaction{
			Platform: reaction.Bluesky, ID: reaction.MakeID(reaction.Bluesky, n.URI), ParentID: parentID, RootID: rootID,
			URL: permalink(n.URI), CreatedAt: t, Deleted: true,
		})
	case "blocked":
		c.blocked++
	default:
		c.unknownType++
		c.env.Log.Debug("bluesky thread member of unknown type skipped", "type", n.Type)
	}
	return nil
}

// emitThreadPost emits r unless it was emitted before unchanged. A named
// thread's starter is emitted even when another thread's walk emitted it
// this run (as a reply there), and once more when it was emitted before it
// was flagged.
func (c *crawl) emitThreadPost(tr *threadRun, r reaction.Reaction) error {
	uri := strings.TrimPrefix(r.ID, "bluesky:")
	h := hashURI(uri)
	known := tr.emitted[h] && (!r.Deleted || tr.deleted[h])
	tr.emitted[h] = true
	if r.Deleted {
		tr.deleted[h] = true
	}
	if r.IsRoot {
		if tr.starter || !known {
			tr.starter = false
			c.seen[uri] = true
			return c.emit(r)
		}
		return nil
	}
	if known || c.seen[uri] {
		c.seen[uri] = true
		return nil
	}
	c.seen[uri] = true
	return c.emit(r)
}

func (c *crawl) emit(r reaction.Reaction) error {
	if err := c.env.Emit(r); err != nil {
		return fmt.Errorf("bluesky: emit: %w", err)
	}
	return nil
}

// reaction maps a postView; false (recorded) when it cannot be read.
func (c *crawl) reaction(p *postView, parentID, rootID string) (reaction.Reaction, bool) {
	m := atURIRe.FindStringSubmatch(p.URI)
	if m == nil {
		c.env.Stats.Error("parse", fmt.Errorf("bluesky: post uri %q is not an at:// URI of a post", p.URI))
		return reaction.Reaction{}, false
	}
	created, err := createdAt(p)
	if err != nil {
		c.env.Stats.Error("parse", fmt.Errorf("bluesky: post %s: %w", p.URI, err))
		return reaction.Reaction{}, false
	}
	r := reaction.Reaction{
		Platform:  reaction.Bluesky,
		ID:        reaction.MakeID(reaction.Bluesky, p.URI),
		ParentID:  parentID,
		RootID:    rootID,
		URL:       permalink(p.URI),
		CreatedAt: created,
		Text:      p.Record.Text,
		Likes:     max(p.LikeCount, 0),
		Replies:   max(p.ReplyCount, 0),
	}
	if rp := p.Record.Reply; rp != nil {
		if rp.Parent.URI != "" {
			r.ParentID = reaction.MakeID(reaction.Bluesky, rp.Parent.URI)
		}
		if rp.Root.URI != "" {
			r.RootID = reaction.MakeID(reaction.Bluesky, rp.Root.URI)
		}
	}
	if r.ParentID == "" {
		r.RootID = r.ID
	}
	if r.RootID == "" {
		r.RootID = r.ParentID
	}
	if len(p.Record.Langs) > 0 {
		r.Lang = p.Record.Langs[0]
	}
	did := p.Author.DID
	if did == "" {
		did = m[1]
	}
	r.Author = c.env.Authors.Author(reaction.Bluesky, did)
	return r, true
}

// createdAt applies the package's rule: record.createdAt unless missing,
// unparseable or after indexedAt; then indexedAt.
func createdAt(p *postView) (time.Time, error) {
	ca, errCA := parseTime(p.Record.CreatedAt)
	ia, errIA := parseTime(p.IndexedAt)
	switch {
	case errCA == nil && (errIA != nil || !ca.After(ia)):
		return ca, nil
	case errIA == nil:
		return ia, nil
	}
	return time.Time{}, fmt.Errorf("neither createdAt %q nor indexedAt %q is a time", p.Record.CreatedAt, p.IndexedAt)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func permalink(uri string) string {
	rest := strings.TrimPrefix(uri, "at://")
	did, _, _ := strings.Cut(rest, "/")
	return "https://bsky.app/profile/" + did + "/post/" + rest[strings.LastIndexByte(rest, '/')+1:]
}

const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// tidTime decodes a TID record key (13 base32-sortable characters: 53 bits
// of microseconds since the Unix epoch, 10 bits of clock id); false when
// rkey is not a TID or its time is implausible (before 2000 or from 2100
// on: a sanity bound, as clients write the TID from their own clock).
func tidTime(rkey string) (time.Time, bool) {
	if len(rkey) != 13 || strings.IndexByte(tidAlphabet[:16], rkey[0]) < 0 {
		return time.Time{}, false
	}
	var v uint64
	for i := range 13 {
		k := strings.IndexByte(tidAlphabet, rkey[i])
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

// isNamed reports whether p starts a thread the source names.
func (c *crawl) isNamed(p *postView) bool {
	if len(c.named) == 0 {
		return false
	}
	m := atURIRe.FindStringSubmatch(p.URI)
	if m == nil {
		return false
	}
	return c.named[strings.ToLower(m[1])+"/"+m[2]] ||
		(p.Author.Handle != "" && c.named[strings.ToLower(p.Author.Handle)+"/"+m[2]])
}

// hitThreads crawls the threads of search hits, this run's and remembered.
func (c *crawl) hitThreads(ctx context.Context, listed map[string]bool) error {
	env := c.env
	remembered := strings.Fields(env.State.Get("hit_threads"))
	var all []string
	in := map[string]bool{}
	for _, u := range append(slices.Clone(c.hitURIs), remembered...) {
		if !in[u] && atURIRe.MatchString(u) {
			in[u] = true
			all = append(all, u)
		}
	}
	if len(all) > rememberedHitThreads {
		all = all[:rememberedHitThreads]
	}
	if len(c.hitURIs) > 0 {
		env.State.Set("hit_threads", strings.Join(all, "\n"))
	}
	crawled := 0
	for i, u := range all {
		if listed[u] {
			continue
		}
		if crawled == MaxHitThreads {
			left := 0
			for _, v := range all[i:] {
				if !listed[v] {
					left++
				}
			}
			env.Stats.Error("truncated", fmt.Errorf("bluesky: search hits have more threads than the %d crawled per run: the replies in the other %d were not collected: %w",
				MaxHitThreads, left, source.ErrTruncated))
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		crawled++
		if err := c.thread(ctx, u, false); err != nil {
			return err
		}
	}
	return nil
}

func (c *crawl) getJSON(ctx context.Context, u string, hdr map[string][]string, v any) error {
	resp, err := c.env.Fetch.Get(ctx, u, hdr)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return &source.ParseError{URL: u, Err: err}
	}
	return nil
}

// record files err under what: a block, or an error of its kind.
func (c *crawl) record(what string, err error) {
	err = fmt.Errorf("bluesky: %s: %w", what, err)
	if errors.Is(err, source.ErrBlocked) {
		c.env.Stats.Blocked(what, err)
		return
	}
	c.env.Stats.Error(c.kind(err), err)
}

type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

// xrpcError returns the "error" name of an XRPC error answer.
func xrpcError(err error) string {
	var he *source.HTTPError
	if !errors.As(err, &he) {
		return ""
	}
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(he.Body, &body) != nil {
		return ""
	}
	return body.Error
}

// kind maps an error to a Stats kind: Bluesky's own first (bad_input, and
// an XRPC NotFound answer, which comes as HTTP 400), then the shared ones.
func (c *crawl) kind(err error) string {
	var ie *inputError
	switch {
	case errors.As(err, &ie):
		return "bad_input"
	case xrpcError(err) == "NotFound":
		return "not_found"
	}
	return source.ErrorKind(err)
}

func hashURI(uri string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(uri))
	return h.Sum64()
}

// sessions caches one session per PDS and account for the process, since
// createSession is limited to 30 per 5 minutes and 300 per day.
var sessions = struct {
	sync.Mutex
	m map[string]*session
}{m: map[string]*session{}}

type session struct {
	access, refresh string
	expires         time.Time
}

// jwtExpiry reads the exp claim of a JWT (zero when it has none).
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Exp int64 `json:"exp"`
	}
	if err != nil || json.Unmarshal(b, &c) != nil || c.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(c.Exp, 0)
}
