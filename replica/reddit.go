package replica

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Reddit items (docs/platforms.md, "Reddit"):
//
//   - A root item (Thread == "") is a post (t3). The first line of its Text is
//     the title, the rest (after the blank line) the selftext; a post without
//     selftext is a link post. Natives are base36 ids without prefix.
//   - A comment (t1) has Thread = the post's Native and Parent = the post's
//     Native (top level) or another comment's Native.
//   - Deleted items are served as deleted by their author ("[deleted]" body
//     and author); with the tag "replica:removed" as removed by moderators
//     ("[removed]"). A deleted comment without visible replies is not served
//     at all, as on Reddit. Expect returns a zero Reaction for it.
//   - Tags steer the rest: "replica:account-deleted" (author "[deleted]",
//     text kept), "replica:edited" (edited 10 minutes after creation),
//     "r/<name>" (subreddit, default r/news); any other tag is a search term
//     that finds the post through /search.json (exact, case-insensitive).
//
// Routes under /reddit/: POST api/v1/access_token (app-only OAuth), and the
// API twice: under oauth/ (oauth.reddit.com: needs "Authorization: bearer
// <token>", 401 otherwise) and directly (www.reddit.com's anonymous .json).
// The API serves comments/<id>, comments/<id>/<slug>/<comment>,
// api/morechildren, api/info and search, with or without ".json", and honours
// raw_json=1 exactly like Reddit: without it, "&", "<" and ">" are escaped in
// every text field (so body_html is escaped twice).
//
// The token endpoint accepts any non-empty client id with any non-empty
// secret other than RedditRejectedSecret.

// RedditRejectedSecret is the one client secret the replica's token endpoint
// refuses (HTTP 401), so that tests can prove what a wrong secret does.
const RedditRejectedSecret = "wrong-secret"

// RedditWebOrigin is the origin Expect and the adapter join permalinks with:
// a Reaction's URL is the human page on www.reddit.com, never an API URL.
const RedditWebOrigin = "https://www.reddit.com"

// Limits of the replica, close to Reddit's own.
const (
	redditMaxDepth      = 10  // comment levels in one thread response
	redditDefaultLimit  = 200 // comments in one thread response
	redditMaxLimit      = 500
	redditMoreBudget    = 100 // things in one morechildren response
	redditMaxMoreIDs    = 100 // ids one morechildren call may ask for
	redditListingCap    = 1000
	redditRateWindow    = 10 * time.Minute
	redditRatePerWindow = 1000 // 100 queries per minute, averaged over 10 minutes
)

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.Reddit,
		Prefix:  "/reddit/",
		Handler: redditHandler,
		Expect:  redditExpect,
		Fixture: redditFixture,
	})
}

func redditHasTag(it Item, tag string) bool {
	for _, t := range it.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func redditRemoved(it Item) bool { return it.Deleted && redditHasTag(it, "replica:removed") }

// redditSubreddit returns the post's subreddit name (without "r/").
func redditSubreddit(post Item) string {
	for _, t := range post.Tags {
		if s, ok := strings.CutPrefix(t, "r/"); ok && s != "" {
			return s
		}
	}
	return "news"
}

// redditTitle splits a post's Text into title and selftext.
func redditTitle(post Item) (title, selftext string) {
	title, selftext, _ = strings.Cut(strings.TrimLeft(post.Text, "\n"), "\n")
	return strings.TrimSpace(title), strings.Trim(selftext, "\n")
}

var (
	redditSlugRe = regexp.MustCompile(`[^\p{L}\p{N}]+`)
	redditParaRe = regexp.MustCompile(`\n\s*\n`)
)

// redditSlug is the title part of a permalink, as Reddit makes it.
func redditSlug(title string) string {
	s := strings.Trim(redditSlugRe.ReplaceAllString(strings.ToLower(title), "_"), "_")
	if r := []rune(s); len(r) > 50 {
		s = strings.TrimRight(string(r[:50]), "_")
	}
	if s == "" {
		s = "_"
	}
	return s
}

func redditPostPermalink(post Item) string {
	title, _ := redditTitle(post)
	return "/r/" + redditSubreddit(post) + "/comments/" + post.Native + "/" + redditSlug(title) + "/"
}

func redditCommentPermalink(post, c Item) string { return redditPostPermalink(post) + c.Native + "/" }

// redditFullname returns t3_/t1_ plus the native id.
func redditFullname(it Item) string {
	if it.Thread == "" {
		return "t3_" + it.Native
	}
	return "t1_" + it.Native
}

// redditThread is one post with its comments, as the replica serves it.
type redditThread struct {
	post     Item
	byID     map[string]Item
	children map[string][]Item // parent native -> comments in the served order
	visible  map[string]bool
	size     map[string]int // native -> visible comments in its subtree, itself included
	total    int            // comments of the thread, deleted ones included (num_comments)
}

// redditSorts orders sibling comments for a "sort" parameter.
func redditLess(sortBy string) func(a, b Item) bool {
	return func(a, b Item) bool {
		switch sortBy {
		case "new":
			if !a.CreatedAt.Equal(b.CreatedAt) {
				return a.CreatedAt.After(b.CreatedAt)
			}
		case "old", "qa", "live":
			if !a.CreatedAt.Equal(b.CreatedAt) {
				return a.CreatedAt.Before(b.CreatedAt)
			}
		default: // confidence, top, controversial, random: best score first
			if a.Likes != b.Likes {
				return a.Likes > b.Likes
			}
			if !a.CreatedAt.Equal(b.CreatedAt) {
				return a.CreatedAt.Before(b.CreatedAt)
			}
		}
		return a.Native < b.Native
	}
}

func redditBuildThread(d *Dataset, id, sortBy string) (*redditThread, bool) {
	post, ok := d.Get(reaction.Reddit, id)
	if !ok || post.Thread != "" {
		return nil, false
	}
	t := &redditThread{post: post, byID: map[string]Item{}, children: map[string][]Item{},
		visible: map[string]bool{}, size: map[string]int{}}
	for _, it := range d.Items(reaction.Reddit) {
		if it.Thread == id && it.Native != id {
			t.byID[it.Native] = it
			t.children[it.Parent] = append(t.children[it.Parent], it)
			t.total++
		}
	}
	less := redditLess(sortBy)
	for k := range t.children {
		kids := t.children[k]
		sort.SliceStable(kids, func(i, j int) bool { return less(kids[i], kids[j]) })
	}
	// A comment is visible unless deleted by its author with nothing visible
	// below it; size counts visible comments per subtree.
	var walk func(native string, depth int) int
	walk = func(native string, depth int) int {
		n := 0
		for _, c := range t.children[native] {
			if depth > 10000 { // a cycle in a hand-made data set
				break
			}
			n += walk(c.Native, depth+1)
		}
		if native == id {
			return n
		}
		it := t.byID[native]
		if n > 0 || !it.Deleted || redditRemoved(it) {
			t.visible[native] = true
			t.size[native] = n + 1
			return n + 1
		}
		return 0
	}
	walk(id, 0)
	for k, kids := range t.children {
		vis := kids[:0:0]
		for _, c := range kids {
			if t.visible[c.Native] {
				vis = append(vis, c)
			}
		}
		t.children[k] = vis
	}
	return t, true
}

// depthOf returns a comment's depth in the thread (0 for top level).
func (t *redditThread) depthOf(c Item) int {
	depth := 0
	for p := c.Parent; p != t.post.Native && depth < 10000; depth++ {
		up, ok := t.byID[p]
		if !ok {
			break
		}
		p = up.Parent
	}
	return depth
}

// redditRenderer turns items into Reddit JSON for one request.
type redditRenderer struct {
	raw bool // raw_json=1: no legacy escaping
}

// esc applies Reddit's legacy escaping of "&", "<" and ">" unless raw_json=1.
func (rr redditRenderer) esc(s string) string {
	if rr.raw {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// md renders Markdown source as Reddit's body_html (paragraphs only).
func (rr redditRenderer) md(src string) string {
	var b strings.Builder
	b.WriteString(`<div class="md">`)
	for _, p := range redditParaRe.Split(strings.TrimSpace(src), -1) {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br/>\n") + "</p>\n")
		}
	}
	b.WriteString("</div>")
	return rr.esc(b.String())
}

func redditAuthorFullname(author string) string {
	h := fnv.New64a()
	h.Write([]byte(author))
	return "t2_" + strconv.FormatUint(h.Sum64()%2176782336, 36) // up to 6 base36 digits
}

// redditShown returns the author and body an anonymous reader sees.
func redditShown(it Item) (author, text string, removedBy any) {
	author, text, removedBy = it.Author, it.Text, nil
	switch {
	case redditRemoved(it):
		text, removedBy = "[removed]", "moderator"
		if it.Thread != "" {
			author = "[deleted]"
		}
	case it.Deleted:
		author, text, removedBy = "[deleted]", "[deleted]", "deleted"
	case redditHasTag(it, "replica:account-deleted"):
		author = "[deleted]"
	}
	return author, text, removedBy
}

func redditEdited(it Item) any {
	if redditHasTag(it, "replica:edited") {
		return float64(it.CreatedAt.Unix() + 600)
	}
	return false
}

func redditThing(kind string, data map[string]any) map[string]any {
	return map[string]any{"kind": kind, "data": data}
}

func redditListing(children []any, after any) map[string]any {
	if children == nil {
		children = []any{}
	}
	return redditThing("Listing", map[string]any{
		"after": after, "dist": nil, "modhash": "", "geo_filter": "",
		"children": children, "before": nil,
	})
}

func (rr redditRenderer) post(t *redditThread) map[string]any {
	p := t.post
	author, _, removedBy := redditShown(p)
	title, selftext := redditTitle(p)
	sub := redditSubreddit(p)
	permalink := redditPostPermalink(p)
	data := map[string]any{
		"id": p.Native, "name": "t3_" + p.Native,
		"subreddit": sub, "subreddit_name_prefixed": "r/" + sub,
		"title": rr.esc(title), "author": author,
		"created_utc": float64(p.CreatedAt.Unix()), "created": float64(p.CreatedAt.Unix()),
		"edited": redditEdited(p), "score": p.Likes, "ups": p.Likes, "downs": 0,
		"upvote_ratio": 0.97, "num_comments": t.total, "permalink": permalink,
		"over_18": false, "locked": false, "stickied": false, "archived": false,
		"removed_by_category": removedBy, "total_awards_received": 0,
		"link_flair_text": nil, "distinguished": nil,
	}
	if author != "[deleted]" {
		data["author_fullname"] = redditAuthorFullname(author)
	}
	switch {
	case p.Deleted:
		shown := "[deleted]"
		if redditRemoved(p) {
			shown = "[removed]"
		}
		data["selftext"], data["selftext_html"] = shown, rr.md(shown)
		data["is_self"], data["url"], data["domain"] = true, RedditWebOrigin+permalink, "self."+sub
	case selftext == "":
		data["selftext"], data["selftext_html"] = "", nil
		link := redditLink(p)
		host := ""
		if u, err := url.Parse(link); err == nil {
			host = strings.TrimPrefix(u.Hostname(), "www.")
		}
		data["is_self"], data["url"], data["domain"] = false, link, host
	default:
		data["selftext"], data["selftext_html"] = rr.esc(selftext), rr.md(selftext)
		data["is_self"], data["url"], data["domain"] = true, RedditWebOrigin+permalink, "self."+sub
	}
	return redditThing("t3", data)
}

func (rr redditRenderer) comment(t *redditThread, c Item, depth int, replies any) map[string]any {
	author, body, _ := redditShown(c)
	postAuthor, _, _ := redditShown(t.post)
	parent := "t1_" + c.Parent
	if c.Parent == t.post.Native {
		parent = "t3_" + c.Parent
	}
	data := map[string]any{
		"id": c.Native, "name": "t1_" + c.Native, "link_id": "t3_" + t.post.Native,
		"parent_id": parent, "author": author, "body": rr.esc(body), "body_html": rr.md(body),
		"created_utc": float64(c.CreatedAt.Unix()), "created": float64(c.CreatedAt.Unix()),
		"edited": redditEdited(c), "score": c.Likes, "ups": c.Likes, "downs": 0,
		"score_hidden": false, "controversiality": 0, "depth": depth,
		"is_submitter": author != "[deleted]" && author == postAuthor, "stickied": false,
		"distinguished": nil, "collapsed": false, "archived": false, "gilded": 0,
		"total_awards_received": 0, "subreddit": redditSubreddit(t.post),
		"permalink": redditCommentPermalink(t.post, c), "replies": replies,
	}
	if author != "[deleted]" {
		data["author_fullname"] = redditAuthorFullname(author)
	}
	return redditThing("t1", data)
}

// moreStub is a "load more comments" stub for the remaining siblings.
func (t *redditThread) moreStub(parent string, rest []Item, depth int) map[string]any {
	ids := make([]string, len(rest))
	count := 0
	for i, c := range rest {
		ids[i] = c.Native
		count += t.size[c.Native]
	}
	return redditThing("more", map[string]any{
		"count": count, "name": "t1_" + ids[0], "id": ids[0],
		"parent_id": parent, "depth": depth, "children": ids,
	})
}

// tree renders siblings (the visible children of parentFull) as nested
// Listings, spending budget comments and cutting at maxDepth.
func (rr redditRenderer) tree(t *redditThread, parentFull string, siblings []Item, depth, maxDepth int, budget *int) []any {
	var out []any
	for i, c := range siblings {
		if *budget <= 0 {
			out = append(out, t.moreStub(parentFull, siblings[i:], depth))
			break
		}
		*budget--
		var replies any = ""
		if kids := t.children[c.Native]; len(kids) > 0 {
			if depth+1 >= maxDepth {
				replies = redditListing([]any{redditThing("more", map[string]any{
					"count": 0, "name": "t1__", "id": "_", "parent_id": "t1_" + c.Native,
					"depth": depth + 1, "children": []string{},
				})}, nil)
			} else {
				replies = redditListing(rr.tree(t, "t1_"+c.Native, kids, depth+1, maxDepth, budget), nil)
			}
		}
		out = append(out, rr.comment(t, c, depth, replies))
	}
	return out
}

// moreChildren renders the morechildren answer: the asked comments and
// their descendants in pre-order, flat, with "more" stubs where the budget
// ends.
func (rr redditRenderer) moreChildren(t *redditThread, ids []string) []any {
	var out []any
	budget := redditMoreBudget
	done := map[string]bool{}
	var rest []Item
	var visit func(c Item, depth int)
	visit = func(c Item, depth int) {
		done[c.Native] = true
		out = append(out, rr.comment(t, c, depth, ""))
		kids := t.children[c.Native]
		for i, k := range kids {
			if budget <= 0 {
				out = append(out, t.moreStub("t1_"+c.Native, kids[i:], depth+1))
				return
			}
			budget--
			visit(k, depth+1)
		}
	}
	for _, id := range ids {
		c, ok := t.byID[id]
		if !ok || !t.visible[id] || done[id] {
			continue
		}
		if budget <= 0 {
			rest = append(rest, c)
			continue
		}
		budget--
		visit(c, t.depthOf(c))
	}
	// Asked comments that did not fit come back as stubs, one per parent.
	byParent := map[string][]Item{}
	var parents []string
	for _, c := range rest {
		if _, ok := byParent[c.Parent]; !ok {
			parents = append(parents, c.Parent)
		}
		byParent[c.Parent] = append(byParent[c.Parent], c)
	}
	for _, p := range parents {
		full := "t1_" + p
		if p == t.post.Native {
			full = "t3_" + p
		}
		kids := byParent[p]
		out = append(out, t.moreStub(full, kids, t.depthOf(kids[0])))
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// redditTokens holds the access tokens the replica issued.
type redditTokens struct {
	mu     sync.Mutex
	issued map[string]time.Time // token -> expiry
	window time.Time
	used   int
}

func redditHandler(s *Server) http.Handler {
	tokens := &redditTokens{issued: map[string]time.Time{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/reddit")
		if p == "/api/v1/access_token" {
			tokens.token(w, r)
			return
		}
		if rest, ok := strings.CutPrefix(p, "/oauth/"); ok {
			if !tokens.valid(r.Header.Get("Authorization")) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="reddit", error="invalid_token"`)
				redditError(w, http.StatusUnauthorized, "Unauthorized")
				return
			}
			p = "/" + rest
		}
		tokens.rateHeaders(w)
		redditAPI(s, w, r, strings.TrimSuffix(p, ".json"))
	})
}

func (tk *redditTokens) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		redditError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" || secret == "" || secret == RedditRejectedSecret {
		redditError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		// Reddit answers a bad grant with 200 and an error field.
		redditJSON(w, http.StatusOK, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := "replica-" + hex.EncodeToString(b)
	tk.mu.Lock()
	tk.issued[tok] = time.Now().Add(24 * time.Hour)
	tk.mu.Unlock()
	redditJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": 86400, "scope": "*",
	})
}

func (tk *redditTokens) valid(authz string) bool {
	scheme, tok, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	tk.mu.Lock()
	defer tk.mu.Unlock()
	exp, ok := tk.issued[strings.TrimSpace(tok)]
	return ok && time.Now().Before(exp)
}

// rateHeaders sends Reddit's X-Ratelimit-* headers for a 10-minute window.
func (tk *redditTokens) rateHeaders(w http.ResponseWriter) {
	tk.mu.Lock()
	now := time.Now()
	if now.Sub(tk.window) >= redditRateWindow {
		tk.window, tk.used = now.Truncate(redditRateWindow), 0
	}
	tk.used++
	used, reset := tk.used, tk.window.Add(redditRateWindow).Sub(now)
	tk.mu.Unlock()
	w.Header().Set("X-Ratelimit-Used", strconv.Itoa(used))
	w.Header().Set("X-Ratelimit-Remaining", fmt.Sprintf("%.1f", float64(max(0, redditRatePerWindow-used))))
	w.Header().Set("X-Ratelimit-Reset", strconv.Itoa(int(reset.Seconds())))
}

var (
	redditCommentsRe = regexp.MustCompile(`^(?:/r/[^/]+)?/comments/([a-z0-9]+)(?:/([^/]*)(?:/([a-z0-9]+))?)?/?$`)
	redditSearchRe   = regexp.MustCompile(`^(?:/r/([^/]+))?/search/?$`)
)

func redditAPI(s *Server, w http.ResponseWriter, r *http.Request, p string) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			q = r.Form
		}
	}
	rr := redditRenderer{raw: q.Get("raw_json") == "1"}
	switch {
	case redditCommentsRe.MatchString(p):
		m := redditCommentsRe.FindStringSubmatch(p)
		redditComments(s, w, rr, m[1], m[3], q)
	case p == "/api/morechildren":
		redditMore(s, w, rr, q)
	case p == "/api/info":
		redditInfo(s, w, rr, q)
	case redditSearchRe.MatchString(p):
		redditSearch(s, w, rr, redditSearchRe.FindStringSubmatch(p)[1], q)
	default:
		redditError(w, http.StatusNotFound, "Not Found")
	}
}

func redditComments(s *Server, w http.ResponseWriter, rr redditRenderer, id, focus string, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	t, ok := redditBuildThread(s.Data, id, get("sort"))
	if !ok {
		redditError(w, http.StatusNotFound, "Not Found")
		return
	}
	limit := redditDefaultLimit
	if n, err := strconv.Atoi(get("limit")); err == nil && n > 0 {
		limit = min(n, redditMaxLimit)
	}
	maxDepth := redditMaxDepth
	if n, err := strconv.Atoi(get("depth")); err == nil && n > 0 {
		maxDepth = min(n, redditMaxDepth)
	}
	budget := limit
	var comments []any
	if c, ok := t.byID[focus]; ok && t.visible[focus] {
		// A sub-thread: the focused comment at depth 0 with its replies.
		comments = rr.tree(t, "", []Item{c}, 0, maxDepth, &budget)
	} else {
		// Also for an unknown comment id: Reddit silently serves the thread.
		comments = rr.tree(t, "t3_"+t.post.Native, t.children[t.post.Native], 0, maxDepth, &budget)
	}
	postListing := redditListing([]any{rr.post(t)}, nil)
	postListing["data"].(map[string]any)["dist"] = 1
	redditJSON(w, http.StatusOK, []any{postListing, redditListing(comments, nil)})
}

func redditMore(s *Server, w http.ResponseWriter, rr redditRenderer, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var ids []string
	for _, v := range strings.Split(get("children"), ",") {
		if v = strings.TrimSpace(v); v != "" {
			ids = append(ids, v)
		}
	}
	if len(ids) > redditMaxMoreIDs {
		redditError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	link, _ := strings.CutPrefix(get("link_id"), "t3_")
	t, ok := redditBuildThread(s.Data, link, get("sort"))
	if !ok || len(ids) == 0 {
		redditJSON(w, http.StatusOK, map[string]any{"json": map[string]any{
			"errors": []any{[]any{"NO_THING_ID", "can't find that", "link_id"}}}})
		return
	}
	redditJSON(w, http.StatusOK, map[string]any{"json": map[string]any{
		"errors": []any{}, "data": map[string]any{"things": rr.moreChildren(t, ids)},
	}})
}

// redditLink is a link post's url: its Link, else one made from the title.
func redditLink(post Item) string {
	if post.Link != "" {
		return post.Link
	}
	title, _ := redditTitle(post)
	return "https://news.example.com/" + redditSlug(title)
}

// redditInfo serves /api/info?id=t3_a,t3_b (the current state of posts)
// and /api/info?url=… (the link posts of that URL, newest first).
func redditInfo(s *Server, w http.ResponseWriter, rr redditRenderer, q map[string][]string) {
	var out []any
	if u := q["url"]; len(u) > 0 && u[0] != "" {
		key := redditURLKey(u[0])
		var hits []Item
		for _, it := range s.Data.Items(reaction.Reddit) {
			if _, self := redditTitle(it); it.Thread == "" && !it.Deleted && self == "" && redditURLKey(redditLink(it)) == key {
				hits = append(hits, it)
			}
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].CreatedAt.After(hits[j].CreatedAt) })
		for _, it := range hits {
			t, _ := redditBuildThread(s.Data, it.Native, "")
			out = append(out, rr.post(t))
		}
	}
	for _, v := range q["id"] {
		for _, full := range strings.Split(v, ",") {
			id, ok := strings.CutPrefix(strings.TrimSpace(full), "t3_")
			if !ok {
				continue
			}
			if t, ok := redditBuildThread(s.Data, id, ""); ok {
				out = append(out, rr.post(t))
			}
		}
	}
	l := redditListing(out, nil)
	l["data"].(map[string]any)["dist"] = len(out)
	redditJSON(w, http.StatusOK, l)
}

// redditSearch serves search.json: posts with the query among their tags,
// newest first, `limit` per page (max 100), `after` a fullname, and no more
// than the first 1,000 results, like every Reddit listing.
func redditSearch(s *Server, w http.ResponseWriter, rr redditRenderer, sub string, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	query := strings.ToLower(strings.TrimSpace(get("q")))
	urlQuery, byURL := strings.CutPrefix(query, "url:")
	var hits []Item
	for _, it := range s.Data.Items(reaction.Reddit) {
		if it.Thread != "" || (sub != "" && redditSubreddit(it) != sub) {
			continue
		}
		if byURL {
			if _, self := redditTitle(it); !it.Deleted && self == "" && wordsMatch(redditLink(it), urlQuery) {
				hits = append(hits, it)
			}
			continue
		}
		for _, tag := range it.Tags {
			if !strings.HasPrefix(tag, "replica:") && strings.ToLower(tag) == query {
				hits = append(hits, it)
				break
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if !hits[i].CreatedAt.Equal(hits[j].CreatedAt) {
			return hits[i].CreatedAt.After(hits[j].CreatedAt)
		}
		return hits[i].Native > hits[j].Native
	})
	if len(hits) > redditListingCap {
		hits = hits[:redditListingCap]
	}
	limit := 25
	if n, err := strconv.Atoi(get("limit")); err == nil && n > 0 {
		limit = min(n, 100)
	}
	start := 0
	if after := get("after"); after != "" {
		start = len(hits)
		for i, it := range hits {
			if "t3_"+it.Native == after {
				start = i + 1
				break
			}
		}
	}
	end := min(start+limit, len(hits))
	var children []any
	for _, it := range hits[start:end] {
		t, _ := redditBuildThread(s.Data, it.Native, "")
		children = append(children, rr.post(t))
	}
	var after any
	if end < len(hits) {
		after = "t3_" + hits[end-1].Native
	}
	l := redditListing(children, after)
	l["data"].(map[string]any)["dist"] = len(children)
	redditJSON(w, http.StatusOK, l)
}

func redditJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func redditError(w http.ResponseWriter, status int, msg string) {
	redditJSON(w, status, map[string]any{"message": msg, "error": status})
}

// redditExpect is the reaction a correct crawler makes of it: fullname ids,
// Markdown source as text (title, blank line, selftext for posts), the
// score as served (negative for a downvoted comment), posts flagged as
// thread starters, empty text for deleted and removed items, and a zero
// Reaction for a deleted comment that Reddit no longer serves.
func redditExpect(d *Dataset, it Item) reaction.Reaction {
	r := reaction.Reaction{
		Platform:  reaction.Reddit,
		ID:        reaction.MakeID(reaction.Reddit, redditFullname(it)),
		CreatedAt: it.CreatedAt.UTC().Truncate(time.Second),
		Likes:     it.Likes,
		Deleted:   it.Deleted,
	}
	author, _, _ := redditShown(it)
	if author != "[deleted]" {
		r.Author = author
	}
	if it.Thread == "" {
		r.RootID, r.IsRoot = r.ID, true
		r.URL = RedditWebOrigin + redditPostPermalink(it)
		title, selftext := redditTitle(it)
		r.Text = title
		if selftext != "" {
			r.Text += "\n\n" + selftext
		}
	} else {
		post, ok := d.Get(reaction.Reddit, it.Thread)
		if !ok {
			return reaction.Reaction{}
		}
		if it.Deleted && !redditRemoved(it) {
			t, _ := redditBuildThread(d, it.Thread, "")
			if t == nil || !t.visible[it.Native] {
				return reaction.Reaction{}
			}
		}
		r.RootID = reaction.MakeID(reaction.Reddit, "t3_"+it.Thread)
		r.ParentID = reaction.MakeID(reaction.Reddit, "t1_"+it.Parent)
		if it.Parent == it.Thread {
			r.ParentID = r.RootID
		}
		r.URL = RedditWebOrigin + redditCommentPermalink(post, it)
		r.Text = it.Text
	}
	if it.Deleted {
		r.Text = ""
	}
	return r
}

// redditFixtureBase is when the fixture's story broke (1 October 2020).
var redditFixtureBase = time.Date(2020, 10, 1, 4, 0, 0, 0, time.UTC)

// redditFixture returns the Reddit edge cases: a thread of about 800
// comments (more than one response holds, so both kinds of "more" stub
// appear, and a chain 25 deep), deleted and removed comments with and
// without replies, an account-deleted author, entities that must be decoded
// exactly once ("&amp;amp;"), Spanish, French, German, Japanese and Arabic
// text, edited items, downvoted comments (negative scores, a whole
// sub-thread of them in the chain), a removed post, a deleted post with a
// reply, a link post, and 235 posts that the search "teigen" finds over
// three pages.
func redditFixture() []Item {
	at := func(min int) time.Time { return redditFixtureBase.Add(time.Duration(min) * time.Minute) }
	var items []Item
	n := 0
	id := func() string { // base36 comment ids in creation order
		n++
		return "g" + fmt.Sprintf("%05s", strconv.FormatInt(int64(n), 36))
	}
	const post = "j2rm5q"
	items = append(items, Item{
		Platform: reaction.Reddit, Native: post, Author: "celebwatcher",
		Text: "Chrissy Teigen and John Legend share the loss of their son Jack\n\n" +
			"They posted on Instagram & asked for privacy. Fans write <3 and \"we're with you\".\n\n" +
			"(Mods: writing &amp; on purpose.)",
		CreatedAt: at(0), Likes: 5120, Tags: []string{"r/popculturechat", "chrissy teigen", "teigen", "replica:edited"},
	})
	add := func(parent, author, text, lang string, minute int, likes int64, tags ...string) string {
		native := id()
		items = append(items, Item{Platform: reaction.Reddit, Native: native, Thread: post, Parent: parent,
			Author: author, Text: text, Lang: lang, CreatedAt: at(minute), Likes: likes, Tags: tags})
		return native
	}
	del := func(parent, author string, minute int, tags ...string) string {
		native := id()
		items = append(items, Item{Platform: reaction.Reddit, Native: native, Thread: post, Parent: parent,
			Author: author, Text: "text the author deleted", CreatedAt: at(minute), Likes: 1, Deleted: true, Tags: tags})
		return native
	}
	a1 := add(post, "kind_stranger", "So sorry for their loss. ❤️", "en", 2, 300)
	a1r1 := add(a1, "lucia_m", "Lo siento mucho por su pérdida. Mucho ánimo a la familia.", "es", 3, 40)
	add(a1r1, "amelie", "Toutes mes pensées vont à la famille, c'est déchirant.", "fr", 4, 12)
	a1r2 := del(a1, "gone_user", 5)
	add(a1r2, "jonas_k", "Ich wünsche der Familie viel Kraft & Ruhe.", "de", 6, 9)
	del(a1, "gone_leaf", 7) // deleted without replies: not served
	a2 := del(post, "troll_1", 8, "replica:removed")
	add(a2, "curious_cat", "Why was this removed?\n\n> quoting: \"it's staged\" & worse", "en", 9, 3)
	del(post, "troll_2", 10, "replica:removed") // removed leaf: served as [removed]
	add(post, "former_user", "I went through the same thing in 2019. It gets easier, slowly.", "en", 11, 77, "replica:account-deleted")
	add(post, "tokyo_fan", "心からお悔やみ申し上げます。", "ja", 12, 20)
	add(post, "amal", "قلوبنا مع العائلة في هذا الوقت الصعب", "ar", 13, 15)
	add(post, "html_nerd", "HTML people: write &amp;amp; to show &amp; and 1 < 2 > 0 & <3", "en", 14, 5)
	add(post, "typo_fixer", "Edit: fixed typo. Sending love.", "en", 15, 8, "replica:edited")
	add(post, "para_writer", "First paragraph.\n\nSecond paragraph\nwith a line break.", "en", 16, 6)
	add(post, "downvoted", "This is all for attention.", "en", 17, -12)
	// A chain 25 deep: "continue this thread" at depth 10 and 20. Its
	// scores fall as the argument goes on, below zero from reply 14.
	parent := post
	for i := 0; i < 25; i++ {
		parent = add(parent, fmt.Sprintf("chain_%d", i%3), fmt.Sprintf("Reply %d in a long back-and-forth.", i+1), "en", 20+i, int64(12-i))
	}
	// One comment with 150 replies, and 300 more top-level comments with
	// a reply each: more than the 500 one response holds.
	wide := add(post, "popular", "Sending strength to Chrissy and John.", "en", 50, 250)
	for i := 0; i < 150; i++ {
		add(wide, fmt.Sprintf("fan_%03d", i), fmt.Sprintf("Agreed, strength to them (%d).", i+1), "en", 51+i, int64(i%7))
	}
	for i := 0; i < 300; i++ {
		c := add(post, fmt.Sprintf("user_%03d", i), fmt.Sprintf("Thinking of them today, comment %d.", i+1), "en", 210+i, int64(i%11))
		add(c, fmt.Sprintf("replier_%03d", i), fmt.Sprintf("Same here (%d).", i+1), "en", 520+i, int64(i%3))
	}

	// Posts: removed with replies, deleted with a reply, link post by a
	// deleted account, a Spanish self post, and filler for search paging.
	mk := func(native, author, text string, minute int, likes int64, deleted bool, tags ...string) {
		items = append(items, Item{Platform: reaction.Reddit, Native: native, Author: author, Text: text,
			CreatedAt: at(minute), Likes: likes, Deleted: deleted, Tags: append([]string{"teigen"}, tags...)})
	}
	reply := func(thread, parent, author, text string, minute int) {
		items = append(items, Item{Platform: reaction.Reddit, Native: id(), Thread: thread, Parent: parent,
			Author: author, Text: text, CreatedAt: at(minute), Likes: 2})
	}
	mk("j2sx0a", "rumour_mill", "Teigen story is fake\n\nHere is my theory...", 30, 0, true, "replica:removed")
	reply("j2sx0a", "j2sx0a", "mod_watcher", "Good call removing this.", 31)
	reply("j2sx0a", "j2sx0a", "another_one", "Unbelievable that people post this.", 32)
	mk("j2t1b2", "regretful", "I said something I regret about Teigen\n\nDeleting soon.", 40, 3, true)
	reply("j2t1b2", "j2t1b2", "kind_soul", "Thanks for owning it.", 41)
	mk("j2u3c4", "former_poster", "John Legend thanks fans for support after loss", 45, 900, false, "replica:account-deleted")
	mk("j2v9d0", "noticias_es", "Chrissy Teigen y John Legend pierden a su bebé\n\nUn mensaje muy duro & honesto.", 46, 410, false, "r/es")
	for i := 0; i < 230; i++ {
		native := "j3" + fmt.Sprintf("%04s", strconv.FormatInt(int64(i), 36))
		mk(native, fmt.Sprintf("poster_%03d", i), fmt.Sprintf("Teigen news roundup %d\n\nLinks and thoughts, part %d.", i+1, i+1), 60+i*7, int64(i), false)
		if i%40 == 0 {
			reply(native, native, "roundup_reader", fmt.Sprintf("Thanks for roundup %d.", i+1), 61+i*7)
		}
	}
	return items
}
