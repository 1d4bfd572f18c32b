package replica

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Lemmy items (API v3, Lemmy 0.19; docs/platforms.md, "Lemmy"):
//
//   - A root item (Thread == "") is a post; its Native is the post id. Its
//     Text is the post's name (title), then, after a blank line, its body:
//     "name\n\nbody".
//   - A comment has Thread = the post's Native and Parent = the post's or a
//     comment's Native; Natives are decimal ids (posts and comments share
//     the item namespace, so their numbers must differ).
//   - Author "name" is a local user of the replica's instance
//     (LemmyInstance); "name@host" is a user of another instance, whose
//     comments carry that instance's ap_id.
//   - Deleted items are served deleted (content blanked); the tag
//     "replica:removed" serves removed-by-moderator instead, and
//     "replica:naive-time" a timestamp without zone, as before 0.19.
//
// Behaviour copied from Lemmy 0.19's comment list: without max_depth it
// pages by page/limit (limit at most 50, default 10); with max_depth it is a
// tree fetch that ignores page and limit and returns at most 300 comments,
// ordered by parent path.

// LemmyInstance is the host that the replica's ap_ids and actor ids name.
const LemmyInstance = "lemmy.example"

const lemmyTreeCap = 300

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.Lemmy,
		Prefix:  "/lemmy/",
		Handler: lemmyHandler,
		Expect:  lemmyExpect,
		Fixture: lemmyFixture,
	})
}

// lemmyLanguages is Lemmy's language table: "und" first, then ISO 639-1
// codes in alphabetical order (so that en is 37, as on real instances).
var lemmyLanguages = strings.Fields(`und aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs
ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha
he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg
th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu`)

func lemmyLanguageID(code string) int {
	for i, c := range lemmyLanguages {
		if c == code && code != "" {
			return i
		}
	}
	return 0
}

func lemmyHasTag(it Item, tag string) bool {
	for _, t := range it.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// lemmyUser returns the user's name and instance host.
func lemmyUser(author string) (name, host string) {
	if n, h, ok := strings.Cut(author, "@"); ok {
		return n, h
	}
	return author, LemmyInstance
}

// lemmyAPID is the ActivityPub id of an item: on its author's instance,
// with that instance's own id number for remote items.
func lemmyAPID(it Item) string {
	kind := "comment"
	if it.Thread == "" {
		kind = "post"
	}
	_, host := lemmyUser(it.Author)
	n := it.Native
	if host != LemmyInstance {
		v, _ := strconv.ParseInt(it.Native, 10, 64)
		n = strconv.FormatInt(v*7+13, 10)
	}
	return "https://" + host + "/" + kind + "/" + n
}

func lemmyTime(it Item) string {
	if lemmyHasTag(it, "replica:naive-time") {
		return it.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000")
	}
	return it.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// lemmyThread is one post with its comments and their paths.
type lemmyThread struct {
	post     Item
	comments []Item            // in CreatedAt order
	path     map[string]string // comment native -> "0.a.b"
	below    map[string]int    // path -> number of comments below it
}

func lemmyThreadOf(d *Dataset, post Item) *lemmyThread {
	t := &lemmyThread{post: post, path: map[string]string{}}
	byNative := map[string]Item{}
	for _, it := range d.Items(reaction.Lemmy) {
		if it.Thread == post.Native && it.Native != post.Native {
			t.comments = append(t.comments, it)
			byNative[it.Native] = it
		}
	}
	sort.SliceStable(t.comments, func(i, j int) bool { return t.comments[i].CreatedAt.Before(t.comments[j].CreatedAt) })
	var pathOf func(it Item, depth int) string
	pathOf = func(it Item, depth int) string {
		if p, ok := t.path[it.Native]; ok {
			return p
		}
		parent, ok := byNative[it.Parent]
		p := "0." + it.Native
		if ok && depth < 1000 {
			p = pathOf(parent, depth+1) + "." + it.Native
		}
		t.path[it.Native] = p
		return p
	}
	t.below = map[string]int{}
	for _, c := range t.comments {
		p := pathOf(c, 0)
		for i := len(p) - 1; i > 0; i-- {
			if p[i] == '.' {
				t.below[p[:i]]++
			}
		}
	}
	return t
}

// descendants counts the comments below path (Lemmy's child_count).
func (t *lemmyThread) descendants(path string) int { return t.below[path] }

func lemmyPost(d *Dataset, native string) (Item, bool) {
	it, ok := d.Get(reaction.Lemmy, native)
	if !ok || it.Thread != "" {
		return Item{}, false
	}
	return it, true
}

func lemmyHandler(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/lemmy/api/v3/site":
			langs := make([]map[string]any, len(lemmyLanguages))
			for i, c := range lemmyLanguages {
				name := c
				if n, ok := lemmyLanguageNames[c]; ok {
					name = n
				}
				langs[i] = map[string]any{"id": i, "code": c, "name": name}
			}
			lemmyJSON(w, http.StatusOK, map[string]any{
				"site_view": map[string]any{
					"site":       map[string]any{"id": 1, "name": "Lemmy replica", "actor_id": "https://" + LemmyInstance + "/", "published": "2023-06-01T00:00:00.000000Z"},
					"local_site": map[string]any{"id": 1, "site_id": 1, "registration_mode": "RequireApplication"},
					"counts":     map[string]any{"site_id": 1, "posts": len(s.Data.Items(reaction.Lemmy))},
				},
				"admins":               []any{},
				"version":              "0.19.5",
				"all_languages":        langs,
				"discussion_languages": []int{},
				"taglines":             []any{},
				"custom_emojis":        []any{},
				"blocked_urls":         []any{},
			})
		case "/lemmy/api/v3/post":
			post, ok := lemmyPost(s.Data, q.Get("id"))
			if !ok {
				lemmyJSON(w, http.StatusNotFound, map[string]any{"error": "couldnt_find_post"})
				return
			}
			t := lemmyThreadOf(s.Data, post)
			lemmyJSON(w, http.StatusOK, map[string]any{
				"post_view":      lemmyPostView(t),
				"community_view": map[string]any{"community": lemmyCommunity(), "subscribed": "NotSubscribed", "blocked": false, "counts": map[string]any{"community_id": 12, "subscribers": 5210}},
				"moderators":     []any{},
				"cross_posts":    []any{},
			})
		case "/lemmy/api/v3/comment":
			c, ok := s.Data.Get(reaction.Lemmy, q.Get("id"))
			post, pok := lemmyPost(s.Data, c.Thread)
			if !ok || !pok {
				lemmyJSON(w, http.StatusNotFound, map[string]any{"error": "couldnt_find_comment"})
				return
			}
			lemmyJSON(w, http.StatusOK, map[string]any{
				"comment_view":  lemmyCommentView(lemmyThreadOf(s.Data, post), c),
				"recipient_ids": []any{}, "form_id": nil,
			})
		case "/lemmy/api/v3/comment/list":
			lemmyList(w, s.Data, q)
		case "/lemmy/api/v3/search":
			lemmySearch(w, s.Data, q)
		default:
			lemmyJSON(w, http.StatusNotFound, map[string]any{"error": "unknown_route"})
		}
	})
}

func lemmyList(w http.ResponseWriter, d *Dataset, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	num := func(k string, def int) (int, bool) {
		v := get(k)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	page, ok1 := num("page", 1)
	limit, ok2 := num("limit", 10)
	depth, ok3 := num("max_depth", 0)
	if !ok1 || !ok2 || !ok3 || page < 1 {
		lemmyJSON(w, http.StatusBadRequest, map[string]any{"error": "couldnt_get_comments"})
		return
	}
	if limit < 1 || limit > 50 {
		lemmyJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_fetch_limit"})
		return
	}
	var t *lemmyThread
	parentPath := ""
	if pid := get("parent_id"); pid != "" {
		c, ok := d.Get(reaction.Lemmy, pid)
		post, pok := lemmyPost(d, c.Thread)
		if !ok || !pok {
			lemmyJSON(w, http.StatusNotFound, map[string]any{"error": "couldnt_find_comment"})
			return
		}
		t = lemmyThreadOf(d, post)
		parentPath = t.path[c.Native]
	} else if postID := get("post_id"); postID != "" {
		post, ok := lemmyPost(d, postID)
		if !ok {
			lemmyJSON(w, http.StatusOK, map[string]any{"comments": []any{}})
			return
		}
		t = lemmyThreadOf(d, post)
	} else {
		lemmyJSON(w, http.StatusOK, map[string]any{"comments": []any{}})
		return
	}
	var sel []Item
	for _, c := range t.comments {
		p := t.path[c.Native]
		if parentPath != "" && p != parentPath && !strings.HasPrefix(p, parentPath+".") {
			continue
		}
		sel = append(sel, c)
	}
	newest := get("sort") == "New"
	less := func(a, b Item) bool {
		if newest {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.CreatedAt.Before(b.CreatedAt)
	}
	if get("max_depth") != "" {
		// A tree fetch: depth filter, parent path first, page and limit
		// ignored, at most 300 (Lemmy's "kludge to prevent attacks").
		limitDepth := depth + 1
		if parentPath != "" {
			limitDepth = strings.Count(parentPath, ".") + 1 + depth
		}
		var keep []Item
		for _, c := range sel {
			if strings.Count(t.path[c.Native], ".")+1 <= limitDepth {
				keep = append(keep, c)
			}
		}
		sort.SliceStable(keep, func(i, j int) bool {
			pi, pj := lemmyParentPath(t.path[keep[i].Native]), lemmyParentPath(t.path[keep[j].Native])
			if pi != pj {
				return lemmyPathLess(pi, pj)
			}
			return less(keep[i], keep[j])
		})
		sel = keep[:min(len(keep), lemmyTreeCap)]
	} else {
		sort.SliceStable(sel, func(i, j int) bool { return less(sel[i], sel[j]) })
		from := min((page-1)*limit, len(sel))
		sel = sel[from:min(from+limit, len(sel))]
	}
	out := make([]map[string]any, len(sel))
	for i, c := range sel {
		out[i] = lemmyCommentView(t, c)
	}
	lemmyJSON(w, http.StatusOK, map[string]any{"comments": out})
}

func lemmyParentPath(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// lemmyPathLess orders ltree paths label by label (numbers as text, as
// Postgres compares ltree labels).
func lemmyPathLess(a, b string) bool {
	la, lb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return la[i] < lb[i]
		}
	}
	return len(la) < len(lb)
}

func lemmyCommunity() map[string]any {
	return map[string]any{"id": 12, "name": "worldnews", "title": "World News", "removed": false, "deleted": false,
		"nsfw": false, "actor_id": "https://" + LemmyInstance + "/c/worldnews", "local": true, "hidden": false,
		"posting_restricted_to_mods": false, "instance_id": 1, "visibility": "Public", "published": "2023-06-01T00:00:00.000000Z"}
}

func lemmyCreator(author string) map[string]any {
	name, host := lemmyUser(author)
	id := 40000 + discourseHash(author)%10000
	return map[string]any{"id": id, "name": name, "display_name": nil, "banned": false, "published": "2023-06-01T00:00:00.000000Z",
		"actor_id": "https://" + host + "/u/" + name, "local": host == LemmyInstance, "deleted": false,
		"bot_account": false, "instance_id": 1}
}

func lemmyPostObject(t *lemmyThread) map[string]any {
	p := t.post
	name, body, _ := strings.Cut(p.Text, "\n\n")
	var bodyV any
	if body != "" && !p.Deleted {
		bodyV = lemmyMarkdown(body, p.Native)
	}
	if p.Deleted && lemmyHasTag(p, "replica:removed") {
		bodyV = nil
	}
	var updated any
	if p.Deleted {
		updated = lemmyTime(Item{CreatedAt: p.CreatedAt.Add(time.Hour), Tags: p.Tags})
	}
	return map[string]any{
		"id": lemmyNum(p.Native), "name": name, "url": lemmyURL(p),
		"body": bodyV, "creator_id": lemmyCreator(p.Author)["id"], "community_id": 12,
		"removed": p.Deleted && lemmyHasTag(p, "replica:removed"), "locked": false,
		"published": lemmyTime(p), "updated": updated,
		"deleted": p.Deleted && !lemmyHasTag(p, "replica:removed"), "nsfw": false,
		"ap_id": lemmyAPID(p), "local": !strings.Contains(p.Author, "@"),
		"language_id": lemmyLanguageID(p.Lang), "featured_community": false, "featured_local": false,
	}
}

// lemmyURL is a post's url as Lemmy stores it: without tracking
// parameters.
func lemmyURL(p Item) string {
	if p.Link == "" {
		return "https://news.example.com/2020/10/01/teigen-legend"
	}
	return withoutTracking(p.Link)
}

// lemmySearch serves search?type_=Url&q=…: the posts whose url is q,
// newest first, page (from 1) and limit (at most 50).
func lemmySearch(w http.ResponseWriter, d *Dataset, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	posts := []any{}
	if get("type_") == "Url" {
		var hits []Item
		for _, it := range d.Items(reaction.Lemmy) {
			if it.Thread == "" && !it.Deleted && lemmyURL(it) == get("q") {
				hits = append(hits, it)
			}
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].CreatedAt.After(hits[j].CreatedAt) })
		limit, page := 10, 1
		if n, err := strconv.Atoi(get("limit")); err == nil && n > 0 {
			limit = min(n, 50)
		}
		if n, err := strconv.Atoi(get("page")); err == nil && n > 0 {
			page = n
		}
		from := min((page-1)*limit, len(hits))
		for _, it := range hits[from:min(from+limit, len(hits))] {
			posts = append(posts, lemmyPostView(lemmyThreadOf(d, it)))
		}
	}
	lemmyJSON(w, http.StatusOK, map[string]any{"type_": get("type_"), "comments": []any{}, "posts": posts, "communities": []any{}, "users": []any{}})
}

func lemmyPostView(t *lemmyThread) map[string]any {
	p := t.post
	return map[string]any{
		"post":          lemmyPostObject(t),
		"creator":       lemmyCreator(p.Author),
		"community":     lemmyCommunity(),
		"image_details": nil, "creator_banned_from_community": false, "banned_from_community": false,
		"creator_is_moderator": false, "creator_is_admin": false,
		"counts": map[string]any{"post_id": lemmyNum(p.Native), "comments": len(t.comments), "score": p.Likes,
			"upvotes": lemmyUp(p.Likes), "downvotes": lemmyDown(p.Likes), "published": lemmyTime(p), "newest_comment_time": lemmyTime(p)},
		"subscribed": "NotSubscribed", "saved": false, "read": false, "hidden": false,
		"creator_blocked": false, "my_vote": nil, "unread_comments": len(t.comments),
	}
}

// lemmyUp and lemmyDown split a score into the votes Lemmy counts (score
// = upvotes - downvotes, both at least 0; one downvote at least).
func lemmyUp(score int64) int64   { return max(score, 0) + 1 }
func lemmyDown(score int64) int64 { return max(-score, 0) + 1 }

func lemmyCommentView(t *lemmyThread, c Item) map[string]any {
	removed := c.Deleted && lemmyHasTag(c, "replica:removed")
	content := ""
	if !c.Deleted {
		content = lemmyMarkdown(c.Text, c.Native)
	}
	var updated any
	if c.Deleted {
		updated = lemmyTime(Item{CreatedAt: c.CreatedAt.Add(time.Hour), Tags: c.Tags})
	}
	path := t.path[c.Native]
	post := lemmyPostObject(t)
	return map[string]any{
		"comment": map[string]any{
			"id": lemmyNum(c.Native), "creator_id": lemmyCreator(c.Author)["id"], "post_id": lemmyNum(t.post.Native),
			"content": content, "removed": removed, "published": lemmyTime(c), "updated": updated,
			"deleted": c.Deleted && !removed, "ap_id": lemmyAPID(c), "local": !strings.Contains(c.Author, "@"),
			"path": path, "distinguished": false, "language_id": lemmyLanguageID(c.Lang),
		},
		"creator":   lemmyCreator(c.Author),
		"post":      post,
		"community": lemmyCommunity(),
		"counts": map[string]any{"comment_id": lemmyNum(c.Native), "score": c.Likes, "upvotes": lemmyUp(c.Likes),
			"downvotes": lemmyDown(c.Likes), "published": lemmyTime(c), "child_count": t.descendants(path)},
		"creator_banned_from_community": false, "banned_from_community": false,
		"creator_is_moderator": false, "creator_is_admin": false,
		"subscribed": "NotSubscribed", "saved": false, "creator_blocked": false, "my_vote": nil,
	}
}

func lemmyNum(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

var (
	lemmyURLRe     = regexp.MustCompile(`https?://[^\s<>]+`)
	lemmyEntityRe  = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
	lemmyWordRe    = regexp.MustCompile(`\pL{4,}`)
	lemmyLineStart = "#>-+=:~|0123456789"
)

// lemmyMarkdown writes plain text as the Markdown a Lemmy user would type to
// show exactly that text: Markdown punctuation escaped with backslashes,
// URLs as autolinks, and (for some items) a word in bold or italics, so
// that the crawler's Markdown stripping is exercised.
func lemmyMarkdown(text, seed string) string {
	style := discourseHash(seed) % 3
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		last := 0
		for _, m := range lemmyURLRe.FindAllStringIndex(line, -1) {
			b.WriteString(lemmyEscape(line[last:m[0]], last == 0))
			b.WriteString("<" + line[m[0]:m[1]] + ">")
			last = m[1]
		}
		b.WriteString(lemmyEscape(line[last:], last == 0))
	}
	out := b.String()
	if style != 0 {
		if loc := lemmyWordRe.FindStringIndex(out); loc != nil && !strings.Contains(out[:loc[0]], "<") &&
			(loc[0] == 0 || out[loc[0]-1] != '\\') {
			mark := "**"
			if style == 2 {
				mark = "_"
				if loc[0] > 0 && isWordByte(out[loc[0]-1]) || loc[1] < len(out) && isWordByte(out[loc[1]]) {
					mark = "*"
				}
			}
			out = out[:loc[0]] + mark + out[loc[0]:loc[1]] + mark + out[loc[1]:]
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func lemmyEscape(s string, lineStart bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(`\*_`+"`"+`[]<~!`, c) >= 0:
			b.WriteByte('\\')
		case c == '&' && lemmyEntityRe.MatchString(s[i:]) && lemmyEntityRe.FindStringIndex(s[i:])[0] == 0:
			b.WriteByte('\\')
		case i == 0 && lineStart && strings.IndexByte(lemmyLineStart, c) >= 0:
			if c >= '0' && c <= '9' {
				break // "1." lists only matter when followed by ". "; digits are safe
			}
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func lemmyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintln(w, `{"error":"unknown"}`)
	}
}

var lemmyLanguageNames = map[string]string{
	"und": "Undetermined", "de": "Deutsch", "en": "English", "es": "Español", "fr": "Français",
	"ja": "日本語", "ru": "Русский", "hu": "Magyar", "it": "Italiano", "pt": "Português", "nl": "Nederlands",
}

// lemmyExpectCache keeps the threads of the last data set Expect was asked
// about (see bskyExpectCache).
var lemmyExpectCache struct {
	sync.Mutex
	d       *Dataset
	sig     uint64
	threads map[string]*lemmyThread
}

func lemmyCachedThread(d *Dataset, post Item) *lemmyThread {
	sig := structureSig(d.Items(reaction.Lemmy))
	c := &lemmyExpectCache
	c.Lock()
	defer c.Unlock()
	if c.d != d || c.sig != sig {
		c.d, c.sig, c.threads = d, sig, map[string]*lemmyThread{}
	}
	t, ok := c.threads[post.Native]
	if !ok {
		t = lemmyThreadOf(d, post)
		c.threads[post.Native] = t
	}
	return t
}

// lemmyExpect is what a correct crawler makes of it.
func lemmyExpect(d *Dataset, it Item) reaction.Reaction {
	name, _ := lemmyUser(it.Author)
	_, host := lemmyUser(it.Author)
	r := reaction.Reaction{
		Platform:  reaction.Lemmy,
		ID:        reaction.MakeID(reaction.Lemmy, lemmyAPID(it)),
		URL:       lemmyAPID(it),
		CreatedAt: it.CreatedAt.UTC().Truncate(time.Second),
		Author:    name + "@" + host,
		Text:      it.Text,
		Lang:      it.Lang,
		Likes:     it.Likes,
		Deleted:   it.Deleted,
	}
	if it.Thread == "" {
		r.RootID, r.IsRoot = r.ID, true
		r.Replies = int64(len(lemmyCachedThread(d, it).comments))
	} else {
		post, ok := lemmyPost(d, it.Thread)
		if !ok {
			return reaction.Reaction{}
		}
		t := lemmyCachedThread(d, post)
		r.RootID = reaction.MakeID(reaction.Lemmy, lemmyAPID(post))
		r.ParentID = r.RootID
		if par, ok := d.Get(reaction.Lemmy, it.Parent); ok && par.Thread == post.Native {
			r.ParentID = reaction.MakeID(reaction.Lemmy, lemmyAPID(par))
		}
		r.Replies = int64(t.descendants(t.path[it.Native]))
	}
	if lemmyLanguageID(it.Lang) == 0 {
		r.Lang = ""
	}
	if it.Deleted {
		r.Text, r.Author = "", ""
	}
	return r
}

// lemmyFixture is one post with 130 comments: more than two pages of 50, a
// reply chain 12 deep (beyond max_depth 8), deleted and removed comments
// with replies, comments from another instance, downvoted comments
// (negative scores, a third of them), Markdown, entities, naive
// timestamps, text in six languages; and a deleted post without comments.
func lemmyFixture() []Item {
	l := reaction.Lemmy
	t0 := time.Date(2020, 10, 1, 8, 2, 11, 481925000, time.UTC)
	post := Item{Platform: l, Native: "1820033", Author: "dockside", CreatedAt: t0, Lang: "en", Likes: 214,
		Text: "Chrissy Teigen and John Legend lose their baby son Jack\n\nTheir statement: \"We are shocked and in the kind of deep pain you only hear about.\"\nhttps://news.example.com/2020/10/01/teigen-legend"}
	items := []Item{post}
	texts := []struct{ text, lang string }{
		{"So sorry for their loss. Sending love.", "en"},
		{"Lo siento mucho por ellos, qué dolor tan grande.", "es"},
		{"Toutes mes pensées à la famille. C'est très courageux d'en parler.", "fr"},
		{"Ich wünsche der Familie viel Kraft.", "de"},
		{"ご冥福をお祈りします。", "ja"},
		{"Очень жаль, держитесь.", "ru"},
		{"Posting the photos was a choice *I* would not make, but 2*3*4 people disagree & that's fine.", "en"},
		{"Tom &amp; Jerry <3 [not a link] `not code` _under_score_ snake_case \\ backslash", "en"},
		{"# not a heading\n> not a quote\n- not a list item", ""},
		{"Source: https://example.org/statement?a=1&b=2_x and more", "en"},
	}
	natives := []string{}
	for i := 1; i <= 118; i++ {
		n := strconv.Itoa(9912000 + i*3)
		tx := texts[i%len(texts)]
		it := Item{Platform: l, Native: n, Thread: post.Native, Parent: post.Native,
			Author:    fmt.Sprintf("user%d", i%17),
			CreatedAt: t0.Add(time.Duration(i) * 7 * time.Minute).Add(time.Duration(i*1013) * time.Microsecond),
			Text:      fmt.Sprintf("%s (%d)", tx.text, i), Lang: tx.lang, Likes: int64(i%9) - 3}
		if i%5 == 0 {
			it.Author = fmt.Sprintf("remote%d@other.example", i%4)
		}
		if i%3 == 0 && len(natives) > 0 {
			it.Parent = natives[len(natives)-1-(i%len(natives))%3]
		}
		if i%11 == 0 {
			it.Tags = append(it.Tags, "replica:naive-time")
		}
		items = append(items, it)
		natives = append(natives, n)
	}
	// A chain 12 deep under the first top-level comment.
	parent := natives[0]
	for k := 1; k <= 12; k++ {
		n := strconv.Itoa(9913000 + k)
		items = append(items, Item{Platform: l, Native: n, Thread: post.Native, Parent: parent,
			Author: fmt.Sprintf("deep%d", k%3), CreatedAt: t0.Add(20*time.Hour + time.Duration(k)*time.Minute),
			Text: fmt.Sprintf("Depth %d reply: still here.", k+1), Lang: "en", Likes: 1})
		parent = n
	}
	mark := func(native string, f func(*Item)) {
		for i := range items {
			if items[i].Native == native {
				f(&items[i])
			}
		}
	}
	// 9912009 (i=3) and 9912018 (i=6) have replies.
	mark("9912012", func(it *Item) { it.Parent = "9912009" })
	mark("9912021", func(it *Item) { it.Parent = "9912009" })
	mark("9912024", func(it *Item) { it.Parent = "9912018" })
	mark("9912009", func(it *Item) { it.Deleted = true })
	mark("9912018", func(it *Item) { it.Deleted = true; it.Tags = append(it.Tags, "replica:removed") })
	mark("9913005", func(it *Item) { it.Deleted = true }) // inside the deep chain
	deleted := Item{Platform: l, Native: "1820099", Author: "gone", CreatedAt: t0.Add(48 * time.Hour),
		Text: "Deleted post\n\nwith a body", Deleted: true}
	return append(items, deleted)
}
