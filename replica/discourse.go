package replica

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Discourse items (docs/platforms.md, "Discourse"):
//
//   - A root item (Thread == "") is the first post of a topic; its Native is
//     that post's id. The topic id is the number in a "topic:<n>" tag, else
//     the root's Native (DiscourseTopicID).
//   - A reply has Thread = the root's Native and Parent = the Native of the
//     post it answers. Replies to the root are served with
//     reply_to_post_number null or 1 (both mean "the topic").
//   - Natives are decimal post ids; post_number follows CreatedAt order.
//   - Tags steer edge cases: "post_type:<2|3|4>" (moderator, small action,
//     whisper: a correct crawler skips them), "replica:hidden" (flagged and
//     hidden: cooked is null for anonymous readers), "replica:staff-deleted"
//     (gone from the stream, as anonymous readers see it), "replica:private"
//     on a root (the topic answers 403).
//   - Deleted items are served as deleted by their author: user_deleted true
//     and the placeholder "(post deleted by author)".
//
// Ids name the forum by the host of base_url without port, and Expect
// assumes the replica is reached at 127.0.0.1 (what httptest and "reactions
// replica" listen on): Expect writes URLs for DiscourseExpectBase, so compare
// URLs with the port removed.

// DiscourseExpectBase is the base URL that Discourse Expect writes
// permalinks for.
const DiscourseExpectBase = "http://127.0.0.1/discourse"

// discourseChunk is how many posts /t/<id>.json embeds (the rest are only in
// post_stream.stream).
const discourseChunk = 20

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.Discourse,
		Prefix:  "/discourse/",
		Handler: discourseHandler,
		Expect:  discourseExpect,
		Fixture: discourseFixture,
	})
}

// DiscourseTopicID returns the topic id under which the thread rooted at
// root is served.
func DiscourseTopicID(root Item) string {
	if v := discourseTag(root, "topic:"); v != "" {
		return v
	}
	return root.Native
}

func discourseTag(it Item, prefix string) string {
	for _, t := range it.Tags {
		if strings.HasPrefix(t, prefix) {
			return strings.TrimPrefix(t, prefix)
		}
	}
	return ""
}

func discourseHasTag(it Item, tag string) bool {
	for _, t := range it.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// discourseVisible reports whether an anonymous reader sees the post at all.
func discourseVisible(it Item) bool { return !discourseHasTag(it, "replica:staff-deleted") }

func discoursePostType(it Item) int {
	if v, err := strconv.Atoi(discourseTag(it, "post_type:")); err == nil && v > 0 {
		return v
	}
	return 1
}

// discourseTopic is one topic as the replica serves it.
type discourseTopic struct {
	id    string
	root  Item
	posts []Item         // visible posts in post_number order
	num   map[string]int // native -> post_number (visible and hidden alike)
}

// discourseTopicOf collects the topic whose id is id.
func discourseTopicOf(d *Dataset, id string) (*discourseTopic, bool) {
	items := d.Items(reaction.Discourse)
	var root Item
	found := false
	for _, it := range items {
		if it.Thread == "" && DiscourseTopicID(it) == id {
			root, found = it, true
			break
		}
	}
	if !found {
		return nil, false
	}
	return discourseBuildTopic(id, root, items), true
}

func discourseBuildTopic(id string, root Item, items []Item) *discourseTopic {
	all := []Item{root}
	for _, it := range items {
		if it.Thread == root.Native && it.Native != root.Native {
			all = append(all, it)
		}
	}
	sort.SliceStable(all[1:], func(i, j int) bool {
		a, b := all[1+i], all[1+j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return discourseNum(a.Native) < discourseNum(b.Native)
	})
	t := &discourseTopic{id: id, root: root, num: map[string]int{}}
	for i, it := range all {
		t.num[it.Native] = i + 1
		if discourseVisible(it) {
			t.posts = append(t.posts, it)
		}
	}
	return t
}

func discourseNum(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

var (
	discourseTopicRe  = regexp.MustCompile(`^/discourse/t/(?:[^/]+/)?(\d+)\.json$`)
	discoursePostsRe  = regexp.MustCompile(`^/discourse/t/(\d+)/posts\.json$`)
	discourseNumberRe = regexp.MustCompile(`^/discourse/posts/by_number/(\d+)/(\d+)\.json$`)
)

// DiscourseRateLimit is Discourse's default global limit per client IP
// (DISCOURSE_MAX_REQS_PER_IP_PER_10_SECONDS, mode "block"): more requests
// within DiscourseRateWindow answer 429 with Retry-After and Discourse's
// rate_limit body.
const (
	DiscourseRateLimit  = 50
	DiscourseRateWindow = 10 * time.Second
)

// discourseLimiter keeps the request times of each client IP.
type discourseLimiter struct {
	mu   sync.Mutex
	seen map[string][]time.Time
}

// allow records a request from ip at now and returns how long to wait when
// it is over the limit.
func (l *discourseLimiter) allow(ip string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.seen[ip]
	for len(ts) > 0 && now.Sub(ts[0]) >= DiscourseRateWindow {
		ts = ts[1:]
	}
	if len(ts) >= DiscourseRateLimit {
		l.seen[ip] = ts
		return DiscourseRateWindow - now.Sub(ts[0]), false
	}
	l.seen[ip] = append(ts, now)
	return 0, true
}

func discourseHandler(s *Server) http.Handler {
	lim := &discourseLimiter{seen: map[string][]time.Time{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		if wait, ok := lim.allow(ip, time.Now()); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Discourse-Rate-Limit-Error-Code", "ip_10_secs_limit")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			json.NewEncoder(w).Encode(map[string]any{
				"errors":     []string{fmt.Sprintf("You’ve performed this action too many times. Please wait %d seconds before trying again.", secs)},
				"error_type": "rate_limit",
				"extras":     map[string]any{"wait_seconds": secs, "time_left": fmt.Sprintf("%d seconds", secs)},
			})
			return
		}
		if r.Method != http.MethodGet {
			discourseError(w, http.StatusMethodNotAllowed, "invalid_access", "You are not permitted to view the requested resource.")
			return
		}
		p := r.URL.Path
		switch {
		case discourseTopicRe.MatchString(p):
			id := discourseTopicRe.FindStringSubmatch(p)[1]
			t, ok := discourseOpen(w, s.Data, id)
			if !ok {
				return
			}
			first := t.posts[:min(discourseChunk, len(t.posts))]
			stream := make([]int64, len(t.posts))
			for i, it := range t.posts {
				stream[i] = discourseNum(it.Native)
			}
			title := discourseTitle(t.root)
			discourseJSON(w, map[string]any{
				"id":                  discourseNum(id),
				"title":               title,
				"fancy_title":         html.EscapeString(title),
				"posts_count":         len(t.posts),
				"created_at":          discourseTime(t.root.CreatedAt),
				"slug":                discourseSlug(title),
				"archetype":           "regular",
				"category_id":         4,
				"reply_count":         len(t.posts) - 1,
				"highest_post_number": len(t.num),
				"post_stream": map[string]any{
					"posts":  discoursePosts(t, first),
					"stream": stream,
				},
				"details": map[string]any{"can_create_post": false, "participants": []any{}},
			})
		case discoursePostsRe.MatchString(p):
			id := discoursePostsRe.FindStringSubmatch(p)[1]
			t, ok := discourseOpen(w, s.Data, id)
			if !ok {
				return
			}
			want := map[string]bool{}
			for _, v := range r.URL.Query()["post_ids[]"] {
				want[v] = true
			}
			if len(want) == 0 {
				discourseError(w, http.StatusBadRequest, "invalid_parameters", "param is missing or the value is empty: post_ids")
				return
			}
			var sel []Item
			for _, it := range t.posts {
				if want[it.Native] {
					sel = append(sel, it)
				}
			}
			discourseJSON(w, map[string]any{
				"post_stream": map[string]any{"posts": discoursePosts(t, sel)},
				"id":          discourseNum(id),
			})
		case discourseNumberRe.MatchString(p):
			g := discourseNumberRe.FindStringSubmatch(p)
			t, ok := discourseOpen(w, s.Data, g[1])
			if !ok {
				return
			}
			n, _ := strconv.Atoi(g[2])
			for _, it := range t.posts {
				if t.num[it.Native] == n {
					discourseJSON(w, discoursePosts(t, []Item{it})[0])
					return
				}
			}
			discourseError(w, http.StatusNotFound, "not_found", "The requested URL or resource could not be found.")
		default:
			discourseError(w, http.StatusNotFound, "not_found", "The requested URL or resource could not be found.")
		}
	})
}

// discourseOpen finds a topic and answers 404/403 itself when it cannot be read.
func discourseOpen(w http.ResponseWriter, d *Dataset, id string) (*discourseTopic, bool) {
	t, ok := discourseTopicOf(d, id)
	if !ok || len(t.posts) == 0 {
		discourseError(w, http.StatusNotFound, "not_found", "The requested URL or resource could not be found.")
		return nil, false
	}
	if discourseHasTag(t.root, "replica:private") {
		discourseError(w, http.StatusForbidden, "invalid_access", "You are not permitted to view the requested resource.")
		return nil, false
	}
	return t, true
}

func discoursePosts(t *discourseTopic, sel []Item) []map[string]any {
	replies := map[string]int{}
	for _, it := range t.posts {
		if it.Parent != "" {
			replies[it.Parent]++
		}
	}
	out := make([]map[string]any, 0, len(sel))
	for _, it := range sel {
		num := t.num[it.Native]
		var replyTo any // null: an answer to the topic
		if it.Parent != "" && it.Parent != t.root.Native {
			if n, ok := t.num[it.Parent]; ok {
				replyTo = n
			}
		} else if it.Parent == t.root.Native && discourseHash(it.Native)%2 == 1 {
			replyTo = 1
		}
		pt := discoursePostType(it)
		var cooked any = discourseCook(it.Text)
		if pt == 3 {
			cooked = ""
		}
		actions := []map[string]any{}
		if it.Likes > 0 {
			actions = append(actions, map[string]any{"id": 2, "count": it.Likes})
		}
		post := map[string]any{
			"id":                   discourseNum(it.Native),
			"name":                 "",
			"username":             it.Author,
			"avatar_template":      "/letter_avatar_proxy/v4/letter/" + strings.ToLower(it.Author[:min(1, len(it.Author))]) + "/8e7dd6/{size}.png",
			"created_at":           discourseTime(it.CreatedAt),
			"updated_at":           discourseTime(it.CreatedAt),
			"cooked":               cooked,
			"post_number":          num,
			"post_type":            pt,
			"reply_count":          replies[it.Native],
			"reply_to_post_number": replyTo,
			"quote_count":          0,
			"reads":                3 + discourseHash(it.Native)%40,
			"score":                float64(it.Likes) * 1.5,
			"topic_id":             discourseNum(t.id),
			"topic_slug":           discourseSlug(discourseTitle(t.root)),
			"version":              1,
			"deleted_at":           nil,
			"user_deleted":         false,
			"hidden":               false,
			"actions_summary":      actions,
			"post_url":             fmt.Sprintf("/t/%s/%s/%d", discourseSlug(discourseTitle(t.root)), t.id, num),
		}
		if pt == 3 {
			post["action_code"] = "closed.enabled"
		}
		if it.Deleted {
			post["user_deleted"] = true
			post["cooked"] = "<p>(post deleted by author)</p>"
			post["version"] = 2
		}
		if discourseHasTag(it, "replica:hidden") {
			post["hidden"] = true
			post["cooked_hidden"] = true
			post["cooked"] = nil
		}
		out = append(out, post)
	}
	return out
}

func discourseHash(s string) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() & 0x7fffffff)
}

func discourseTitle(root Item) string {
	t, _, _ := strings.Cut(root.Text, "\n")
	if r := []rune(t); len(r) > 80 {
		t = string(r[:80])
	}
	if strings.TrimSpace(t) == "" {
		t = "Topic " + DiscourseTopicID(root)
	}
	return t
}

var discourseSlugRe = regexp.MustCompile(`[^a-z0-9]+`)

func discourseSlug(title string) string {
	s := strings.Trim(discourseSlugRe.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if s == "" {
		return "topic"
	}
	return s
}

func discourseTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

var discourseURLRe = regexp.MustCompile(`https?://[^\s<]+`)

// discourseCook renders plain text as Discourse's cooked HTML: a paragraph
// per blank-line-separated block, <br> for line breaks, entities escaped,
// and bare URLs auto-linked (the link text is the URL, so the plain text
// is unchanged).
func discourseCook(text string) string {
	if text == "" {
		return ""
	}
	var b strings.Builder
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("<p>")
		lines := strings.Split(para, "\n")
		for j, line := range lines {
			if j > 0 {
				b.WriteString("<br>\n")
			}
			last := 0
			for _, m := range discourseURLRe.FindAllStringIndex(line, -1) {
				b.WriteString(html.EscapeString(line[last:m[0]]))
				u := html.EscapeString(line[m[0]:m[1]])
				fmt.Fprintf(&b, `<a href="%s" rel="noopener nofollow ugc">%s</a>`, u, u)
				last = m[1]
			}
			b.WriteString(html.EscapeString(line[last:]))
		}
		b.WriteString("</p>")
	}
	return b.String()
}

func discourseError(w http.ResponseWriter, status int, kind, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}, "error_type": kind})
}

func discourseJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// discourseExpectCache keeps the topics of the last data set Expect was
// asked about (see bskyExpectCache).
var discourseExpectCache struct {
	sync.Mutex
	d      *Dataset
	sig    uint64
	topics map[string]*discourseTopic
}

func discourseCachedTopic(d *Dataset, root Item) *discourseTopic {
	items := d.Items(reaction.Discourse)
	sig := structureSig(items)
	c := &discourseExpectCache
	c.Lock()
	defer c.Unlock()
	if c.d != d || c.sig != sig {
		c.d, c.sig, c.topics = d, sig, map[string]*discourseTopic{}
	}
	t, ok := c.topics[root.Native]
	if !ok {
		t = discourseBuildTopic(DiscourseTopicID(root), root, items)
		c.topics[root.Native] = t
	}
	return t
}

// discourseExpect is what a correct crawler makes of it: the zero Reaction
// (empty ID) for posts it cannot or must not emit (non-regular post types,
// staff-deleted posts, topics answering 403).
func discourseExpect(d *Dataset, it Item) reaction.Reaction {
	id := func(native string) string { return reaction.MakeID(reaction.Discourse, "127.0.0.1:"+native) }
	rootNative := it.Thread
	if rootNative == "" {
		rootNative = it.Native
	}
	root, ok := d.Get(reaction.Discourse, rootNative)
	if !ok || !discourseVisible(it) || discoursePostType(it) != 1 || discourseHasTag(root, "replica:private") {
		return reaction.Reaction{}
	}
	t := discourseCachedTopic(d, root)
	r := reaction.Reaction{
		Platform:  reaction.Discourse,
		ID:        id(it.Native),
		RootID:    id(root.Native),
		URL:       DiscourseExpectBase + "/p/" + it.Native,
		CreatedAt: it.CreatedAt.UTC().Truncate(time.Second),
		Author:    it.Author + "@127.0.0.1",
		Text:      it.Text,
		Likes:     it.Likes,
		Deleted:   it.Deleted,
	}
	for _, p := range t.posts {
		if p.Parent == it.Native {
			r.Replies++
		}
	}
	r.IsRoot = it.Thread == ""
	if it.Thread != "" {
		r.ParentID = id(root.Native)
		if par, ok := d.Get(reaction.Discourse, it.Parent); ok && discourseVisible(par) && par.Thread == root.Native {
			r.ParentID = id(par.Native)
		}
	}
	if it.Deleted {
		r.Text, r.Author = "", ""
	}
	if discourseHasTag(it, "replica:hidden") {
		r.Text = ""
	}
	return r
}

// discourseFixture is a topic of 47 posts (stream paging beyond the first
// 20 and beyond one posts.json batch) with nested replies, deleted posts
// with replies, hidden and staff-deleted posts, moderator, small-action and
// whisper posts, entities, non-English text; a second, private topic.
func discourseFixture() []Item {
	t0 := time.Date(2024, 6, 10, 7, 40, 0, 188e6, time.UTC)
	d := reaction.Discourse
	root := Item{Platform: d, Native: "88120", Author: "anak", CreatedAt: t0, Likes: 9,
		Text: "Chrissy Teigen and John Legend share the loss of their son Jack\n\nLink: https://news.example.com/2020/10/01/teigen-legend",
		Tags: []string{"topic:5512"}}
	items := []Item{root}
	texts := []string{
		"Heartbreaking. Sending love to the whole family.",
		"Tom & Jerry <3 — \"quotes\" and 'apostrophes' & an &amp; literal",
		"Qué tristeza, mucho ánimo a Chrissy y John.",
		"Toutes mes pensées vont à la famille. C'est déchirant.",
		"Ich finde es mutig, so offen darüber zu sprechen.",
		"本当に悲しいニュースです。ご家族に平安がありますように。",
		"Это очень смело — делиться такой болью.",
		"Why post the photos though? Some things should stay private.",
		"Line one\nline two after a break\n\nA second paragraph.",
		"See https://example.org/a?b=1&c=2 for the statement.",
	}
	var natives []string
	for i := 1; i <= 46; i++ {
		native := strconv.Itoa(88120 + i*7)
		it := Item{Platform: d, Native: native, Thread: root.Native, Parent: root.Native,
			Author:    fmt.Sprintf("user%02d", i%13),
			CreatedAt: t0.Add(time.Duration(i) * 17 * time.Minute).Add(time.Duration(i*37) * time.Millisecond),
			Text:      fmt.Sprintf("%s (#%d)", texts[i%len(texts)], i),
			Likes:     int64(i % 5)}
		switch {
		case i%6 == 0 && len(natives) > 2:
			it.Parent = natives[len(natives)-2] // reply to an earlier reply
		case i%4 == 0:
			it.Parent = natives[len(natives)-1]
		}
		items = append(items, it)
		natives = append(natives, native)
	}
	mark := func(native string, f func(*Item)) {
		for i := range items {
			if items[i].Native == native {
				f(&items[i])
			}
		}
	}
	// Post 4 (88148) has replies (posts 5 and 6): deleted with children.
	mark("88148", func(it *Item) { it.Deleted = true })
	mark("88225", func(it *Item) { it.Deleted = true })
	mark("88176", func(it *Item) { it.Tags = []string{"replica:hidden"} })
	mark("88190", func(it *Item) { it.Tags = []string{"replica:staff-deleted"} })
	mark("88134", func(it *Item) { it.Tags = []string{"post_type:2"}; it.Text = "This topic is now pinned." })
	mark("88239", func(it *Item) { it.Tags = []string{"post_type:3"}; it.Text = "" })
	mark("88246", func(it *Item) { it.Tags = []string{"post_type:4"}; it.Text = "Whisper: keep an eye on this thread." })
	// A reply to the staff-deleted post: its parent is unknown to anonymous
	// readers, so the crawler can only attach it to the topic.
	mark("88197", func(it *Item) { it.Parent = "88190" })

	private := Item{Platform: d, Native: "90001", Author: "staff", CreatedAt: t0.Add(time.Hour),
		Text: "Internal moderation notes", Tags: []string{"topic:5600", "replica:private"}}
	items = append(items, private,
		Item{Platform: d, Native: "90002", Thread: "90001", Parent: "90001", Author: "mod2",
			CreatedAt: t0.Add(2 * time.Hour), Text: "Noted."})
	return items
}
