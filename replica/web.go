package replica

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Web items (docs/platforms.md, "Web pages") are comments on article pages:
//
//   - Thread is the page's path under /web/ without slashes at the ends
//     ("2020/10/01/teigen-jack"); the page is served at /web/<Thread>/ and
//     its canonical URL, the one a story names, is base + "/web/" + Thread +
//     "/". Native is the comment id ("comment-245507"), unique in the data
//     set; Parent is the Native of the comment answered, "" for a top-level
//     comment (it answers the article, which is not an item).
//   - The first path segment of Thread picks how the page is written:
//     "forum/…" a DiscussionForumPosting in JSON-LD (the item whose Native
//     equals Thread is the posting; its comments have Natives "<Thread>/<n>"
//     and the posting as Parent; comment URLs are "/web/<Native>", as
//     forums give every post its own URL); "graph/…" a NewsArticle with
//     nested Comments inside an @graph (and the same comments in visible
//     HTML); "human/…" WordPress markup whose <time> elements carry only a
//     printed date, no datetime attribute; "world/…" WordPress markup whose
//     paragraphs are <br>-only; anything else WordPress's default threaded
//     comments as WordPress core renders them, dates in the site's
//     zone (UTC-7), five top-level threads per page (?cpage=N, with an
//     "a.next" link; /comment-page-N/ is served too).
//   - Deleted items are served as moderation placeholders ("This comment
//     was removed by a moderator.", no author) in HTML and with
//     creativeWorkStatus "Deleted" in JSON-LD.
//
// Some pages are served whatever the data set holds, for the crawler's
// refusal paths: /web/private/… (disallowed by robots.txt; a correct crawler
// never requests it), /web/js/<vendor>/ (a page whose comments a
// JavaScript system loads: disqus, coral, openweb, viafoura, facebook), and
// the "human/…" pages add two comments no crawler can place in time (no
// date at all; "2 hours ago"), which are therefore not items.
//
// Expect assumes the source the crawler is given reads every page with the
// adapter's defaults plus JSON-LD (jsonld: true, no item or fields: the
// WordPress defaults), and it writes ids and URLs for WebExpectBase: compare
// them with the replica's port removed, as for Discourse.

// WebExpectBase is the base URL Web Expect writes ids and URLs for.
const WebExpectBase = "http://127.0.0.1"

// webPerPage is how many top-level comments a page shows (WordPress's
// comments_per_page); replies stay on their thread's page.
const webPerPage = 5

// webZone is the WordPress site's time zone (datetime attributes carry it).
var webZone = time.FixedZone("PDT", -7*3600)

// webGraphZone is the offset the @graph page writes its JSON-LD dates in.
var webGraphZone = time.FixedZone("CEST", 2*3600)

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.Web,
		Prefix:  "/web/",
		Handler: webHandler,
		Expect:  func(d *Dataset, it Item) reaction.Reaction { return WebExpect(WebExpectBase, d, it) },
		Fixture: webFixture,
	})
}

// webStyle is how a thread's page is written (its first path segment).
func webStyle(thread string) string {
	first, _, _ := strings.Cut(thread, "/")
	switch first {
	case "forum", "graph", "human", "world":
		return first
	}
	return "wordpress"
}

// webThread is one page's comments in display order.
type webThread struct {
	thread  string
	posting *Item             // forum pages
	top     []Item            // top-level comments, oldest first
	kids    map[string][]Item // replies by parent Native, oldest first
}

func loadWebThread(d *Dataset, thread string) *webThread {
	t := &webThread{thread: thread, kids: map[string][]Item{}}
	for _, it := range d.Items(reaction.Web) {
		if it.Thread != thread {
			continue
		}
		switch {
		case it.Native == thread:
			p := it
			t.posting = &p
		case it.Parent == "" || it.Parent == thread:
			t.top = append(t.top, it)
		default:
			t.kids[it.Parent] = append(t.kids[it.Parent], it)
		}
	}
	byTime := func(s []Item) {
		sort.SliceStable(s, func(i, j int) bool { return s[i].CreatedAt.Before(s[j].CreatedAt) })
	}
	byTime(t.top)
	for _, k := range t.kids {
		byTime(k)
	}
	return t
}

func (t *webThread) empty() bool { return t.posting == nil && len(t.top) == 0 }

// pages is the number of comment pages.
func (t *webThread) pages() int {
	if webStyle(t.thread) == "forum" || webStyle(t.thread) == "graph" {
		return 1
	}
	return max(1, (len(t.top)+webPerPage-1)/webPerPage)
}

// pageOf returns the comment page an item is shown on (1-based).
func (t *webThread) pageOf(d *Dataset, it Item) int {
	if t.pages() == 1 {
		return 1
	}
	for it.Parent != "" && it.Parent != t.thread {
		p, ok := d.Get(reaction.Web, it.Parent)
		if !ok {
			break
		}
		it = p
	}
	for i, top := range t.top {
		if top.Native == it.Native {
			return i/webPerPage + 1
		}
	}
	return 1
}

// webPageURL is the URL of comment page n of a thread.
func webPageURL(base, thread string, n int) string {
	u := base + "/web/" + thread + "/"
	if n > 1 {
		u += "?cpage=" + strconv.Itoa(n)
	}
	return u
}

// WebExpect returns the reaction a correct crawler makes of a web item
// when the replica is reached at base (see the Web items comment above).
func WebExpect(base string, d *Dataset, it Item) reaction.Reaction {
	page := base + "/web/" + it.Thread + "/"
	root := reaction.MakeID(reaction.Web, page)
	style := webStyle(it.Thread)
	r := reaction.Reaction{
		Platform: reaction.Web, RootID: root, ParentID: root,
		ID:        root + "#" + it.Native,
		CreatedAt: it.CreatedAt.UTC().Truncate(time.Second),
		Author:    it.Author, Text: it.Text, Deleted: it.Deleted,
	}
	if it.Parent != "" && it.Parent != it.Thread {
		r.ParentID = root + "#" + it.Parent
	}
	children := 0
	for _, o := range d.Items(reaction.Web) {
		if o.Thread == it.Thread && o.Parent == it.Native {
			children++
		}
	}
	switch style {
	case "forum":
		r.Likes, r.Replies, r.Lang = it.Likes, int64(children), it.Lang
		if it.Native == it.Thread {
			r.ID, r.ParentID, r.URL, r.IsRoot = root, "", page, true
			break
		}
		key := func(n string) string { return strings.TrimPrefix(n, it.Thread+"/") }
		r.ID = root + "#" + key(it.Native)
		if r.ParentID != root {
			r.ParentID = root + "#" + key(it.Parent)
		}
		r.URL = base + "/web/" + it.Native
	case "graph":
		r.Likes, r.Replies, r.Lang = it.Likes, int64(children), it.Lang
		r.URL = page + "#" + it.Native
	default:
		t := loadWebThread(d, it.Thread)
		r.URL = webPageURL(base, it.Thread, t.pageOf(d, it)) + "#" + it.Native
		if style == "human" {
			r.CreatedAt = r.CreatedAt.Truncate(time.Minute)
		}
	}
	if it.Deleted {
		r.Text, r.Author, r.Likes = "", "", 0
	}
	return r
}

var webCommentPageRe = regexp.MustCompile(`^(.*)/comment-page-(\d+)$`)

func webHandler(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		base := s.BaseURL(r)
		thread := strings.Trim(strings.TrimPrefix(r.URL.Path, "/web/"), "/")
		n := 1
		if m := webCommentPageRe.FindStringSubmatch(thread); m != nil {
			thread = m[1]
			n, _ = strconv.Atoi(m[2])
		}
		if v := r.URL.Query().Get("cpage"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				http.Error(w, "bad cpage", http.StatusBadRequest)
				return
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		switch {
		case strings.HasPrefix(thread, "private/") || thread == "private":
			fmt.Fprint(w, webPrivatePage(base, thread))
			return
		case strings.HasPrefix(thread, "js/"):
			if p, ok := webJSPage(strings.TrimPrefix(thread, "js/")); ok {
				fmt.Fprint(w, p)
				return
			}
		}
		t := loadWebThread(s.Data, thread)
		if t.empty() || n < 1 || n > t.pages() {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Oops! That page can&rsquo;t be found.</h1></body></html>")
			return
		}
		var b strings.Builder
		switch webStyle(thread) {
		case "forum":
			webForumPage(&b, s.Data, base, t)
		case "graph":
			webGraphPage(&b, s.Data, base, t)
		default:
			webWordPressPage(&b, base, t, n)
		}
		fmt.Fprint(w, b.String())
	})
}

// webTitle makes a title of the thread's last path segment.
func webTitle(thread string) string {
	seg := thread[strings.LastIndex(thread, "/")+1:]
	if _, err := strconv.Atoi(seg); err == nil && strings.Contains(thread, "/") {
		rest := thread[:strings.LastIndex(thread, "/")]
		seg = rest[strings.LastIndex(rest, "/")+1:]
	}
	words := strings.Split(seg, "-")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// webTextHTML writes plain text as a WordPress comment body: paragraphs in
// <p>, line breaks as <br>, everything escaped once (so a literal "&amp;"
// typed by the author is served as "&amp;amp;").
func webTextHTML(text string, brOnly bool) string {
	paras := strings.Split(text, "\n\n")
	var b strings.Builder
	for i, p := range paras {
		lines := strings.Split(p, "\n")
		for j, l := range lines {
			lines[j] = html.EscapeString(l)
		}
		if brOnly {
			if i > 0 {
				b.WriteString("<br>\n<br>\n")
			}
			b.WriteString(strings.Join(lines, "<br>\n"))
			continue
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>\n") + "</p>\n")
	}
	return b.String()
}

// webHuman prints a time as WordPress's default date and time formats do.
func webHuman(t time.Time) string { return t.Format("January 2, 2006") + " at " + t.Format("3:04 pm") }

func webHead(b *strings.Builder, base, thread, lang, title string, extra string) {
	fmt.Fprintf(b, `<!DOCTYPE html>
<html lang="%s">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s &#8211; Example News</title>
<link rel="canonical" href="%s">
<meta property="og:type" content="article">
%s</head>
<body class="post-template-default single single-post">
<header class="site-header"><a href="%s/web/">Example News</a> <a class="next" href="#content">Skip to content</a></header>
`, lang, html.EscapeString(title), html.EscapeString(base+"/web/"+thread+"/"), extra, base)
}

func webWordPressPage(b *strings.Builder, base string, t *webThread, n int) {
	style := webStyle(t.thread)
	lang := "en-US"
	title := webTitle(t.thread)
	webHead(b, base, t.thread, lang, title, "")
	fmt.Fprintf(b, `<main id="content"><article id="post-1" class="post type-post status-publish">
<h1 class="entry-title">%s</h1>
<div class="entry-content"><p>The couple shared the news on Instagram &amp; Twitter.</p></div>
</article>
<div id="comments" class="comments-area">
<h2 class="comments-title">Comments on &ldquo;%s&rdquo;</h2>
<ol class="comment-list">
`, html.EscapeString(title), html.EscapeString(title))
	from, to := (n-1)*webPerPage, min(n*webPerPage, len(t.top))
	for i, it := range t.top[from:to] {
		webWordPressComment(b, base, t, it, 1, from+i, n, style)
	}
	if style == "human" {
		b.WriteString(webUntimedComments)
	}
	b.WriteString("</ol>\n")
	if t.pages() > 1 {
		b.WriteString(`<nav class="navigation comments-pagination" aria-label="Comments"><h2 class="screen-reader-text">Comments navigation</h2><div class="nav-links">`)
		if n > 1 {
			fmt.Fprintf(b, `<a class="prev page-numbers" href="%s#comments">Previous</a>`, webPageURL(base, t.thread, n-1))
		}
		for p := 1; p <= t.pages(); p++ {
			if p == n {
				fmt.Fprintf(b, `<span aria-current="page" class="page-numbers current">%d</span>`, p)
			} else {
				fmt.Fprintf(b, `<a class="page-numbers" href="%s#comments">%d</a>`, webPageURL(base, t.thread, p), p)
			}
		}
		if n < t.pages() {
			fmt.Fprintf(b, `<a class="next page-numbers" href="%s#comments">Next</a>`, webPageURL(base, t.thread, n+1))
		}
		b.WriteString("</div></nav>\n")
	}
	b.WriteString(`<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3><form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form"><p class="comment-notes">Your email address will not be published.</p><textarea id="comment" name="comment"></textarea></form></div>
</div></main>
</body>
</html>
`)
}

// webUntimedComments are the "human" pages' comments without a usable time.
const webUntimedComments = `<li id="comment-900001" class="comment even thread-odd depth-1">
<article id="div-comment-900001" class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">undated</b> <span class="says">says:</span></div><div class="comment-metadata"></div></footer>
<div class="comment-content"><p>A comment whose theme prints no date.</p></div></article>
</li>
<li id="comment-900002" class="comment odd alt thread-even depth-1">
<article id="div-comment-900002" class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">relative</b> <span class="says">says:</span></div><div class="comment-metadata"><a href="#comment-900002"><time>2 hours ago</time></a></div></footer>
<div class="comment-content"><p>A comment dated only relative to when the page was rendered.</p></div></article>
</li>
`

func webWordPressComment(b *strings.Builder, base string, t *webThread, it Item, depth, idx, n int, style string) {
	kids := t.kids[it.Native]
	parity := "even"
	if idx%2 == 1 {
		parity = "odd alt"
	}
	cls := "comment " + parity
	if depth == 1 {
		cls += " thread-" + strings.Fields(parity)[0]
	}
	cls += " depth-" + strconv.Itoa(depth)
	if len(kids) > 0 {
		cls += " parent"
	}
	permalink := webPageURL(base, t.thread, n) + "#" + it.Native
	local := it.CreatedAt.In(webZone)
	timeEl := fmt.Sprintf(`<time datetime="%s">%s</time>`, local.Format(time.RFC3339), webHuman(local))
	if style == "human" {
		timeEl = "<time>" + webHuman(it.CreatedAt.UTC()) + "</time>"
	}
	author := ""
	switch {
	case it.Deleted:
	case len(it.Author)%2 == 0:
		author = fmt.Sprintf(`<b class="fn"><a href="https://example.blog/%s" class="url" rel="ugc external nofollow">%s</a></b> <span class="says">says:</span>`,
			html.EscapeString(strings.ToLower(strings.ReplaceAll(it.Author, " ", "-"))), html.EscapeString(it.Author))
	default:
		author = fmt.Sprintf(`<b class="fn">%s</b> <span class="says">says:</span>`, html.EscapeString(it.Author))
	}
	text := webTextHTML(it.Text, style == "world")
	if it.Deleted {
		text = "<p>This comment was removed by a moderator.</p>"
	}
	fmt.Fprintf(b, `<li id="%s" class="%s">
<article id="div-%s" class="comment-body">
<footer class="comment-meta">
<div class="comment-author vcard">
<img alt="" src="https://secure.gravatar.com/avatar/%x?s=56&amp;d=mm&amp;r=g" class="avatar avatar-56 photo" height="56" width="56" loading="lazy">
%s
</div>
<div class="comment-metadata"><a href="%s">%s</a></div>
</footer>
<div class="comment-content">%s</div>
<div class="reply"><a rel="nofollow" class="comment-reply-link" href="%s?replytocom=%s#respond" data-commentid="%s" aria-label="Reply">Reply</a></div>
</article>
`, html.EscapeString(it.Native), cls, html.EscapeString(it.Native), len(it.Native), author,
		html.EscapeString(permalink), timeEl, text, html.EscapeString(base+"/web/"+t.thread+"/"),
		html.EscapeString(strings.TrimPrefix(it.Native, "comment-")), html.EscapeString(strings.TrimPrefix(it.Native, "comment-")))
	if len(kids) > 0 {
		b.WriteString("<ol class=\"children\">\n")
		for i, k := range kids {
			webWordPressComment(b, base, t, k, depth+1, i, n, style)
		}
		b.WriteString("</ol>\n")
	}
	b.WriteString("</li>\n")
}

// webLD is one JSON-LD node (ordered output is not needed: JSON objects
// are unordered).
type webLD = map[string]any

func webPerson(name string) any {
	return webLD{"@type": "Person", "name": name}
}

func webStats(it Item, children int, withLikes bool) []any {
	var out []any
	if withLikes && it.Likes > 0 {
		out = append(out, webLD{"@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction", "userInteractionCount": it.Likes})
	}
	out = append(out, webLD{"@type": "InteractionCounter", "interactionType": webLD{"@type": "CommentAction"}, "userInteractionCount": children})
	return out
}

// webLDText is a comment's "text": plain when it is, else (when it has an
// ampersand) the escaped HTML many CMSs put there, which a correct crawler
// decodes once. Plain text with "<" stays plain.
func webLDText(text string) string {
	if strings.Contains(text, "&") {
		return webTextHTML(text, false)
	}
	return text
}

func webForumPage(b *strings.Builder, d *Dataset, base string, t *webThread) {
	page := base + "/web/" + t.thread + "/"
	var comment func(it Item) webLD
	comment = func(it Item) webLD {
		c := webLD{
			"@type":         "Comment",
			"url":           base + "/web/" + it.Native,
			"datePublished": it.CreatedAt.UTC().Format(time.RFC3339),
			"author":        webPerson(it.Author),
			"text":          webLDText(it.Text),
		}
		kids := t.kids[it.Native]
		c["interactionStatistic"] = webStats(it, len(kids), true)
		if it.Lang != "" {
			c["inLanguage"] = it.Lang
		}
		if it.Deleted {
			c["author"], c["text"], c["creativeWorkStatus"] = webPerson("deleted"), "", "Deleted"
			delete(c, "interactionStatistic")
			c["interactionStatistic"] = webStats(Item{}, len(kids), false)
		}
		var replies []any
		for _, k := range kids {
			replies = append(replies, comment(k))
		}
		if len(replies) > 0 {
			c["comment"] = replies
		}
		return c
	}
	title := webTitle(t.thread)
	post := webLD{"@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": title, "url": page}
	var visible strings.Builder
	if p := t.posting; p != nil {
		post["datePublished"] = p.CreatedAt.UTC().Format(time.RFC3339)
		post["author"] = webLD{"@type": "Person", "name": p.Author, "url": base + "/web/forum/u/" + p.Author}
		post["text"] = webLDText(p.Text)
		post["interactionStatistic"] = webStats(*p, len(t.top), true)
		if p.Lang != "" {
			post["inLanguage"] = p.Lang
		}
		fmt.Fprintf(&visible, "<div class=\"topic-post\" id=\"post_1\"><span class=\"creator\">%s</span><div class=\"post\">%s</div></div>\n", html.EscapeString(p.Author), webTextHTML(p.Text, false))
	}
	var top []any
	for _, it := range t.top {
		top = append(top, comment(it))
		fmt.Fprintf(&visible, "<div class=\"topic-post\"><span class=\"creator\">%s</span><div class=\"post\">%s</div></div>\n", html.EscapeString(it.Author), webTextHTML(it.Text, false))
	}
	if len(top) > 0 {
		post["comment"] = top
	}
	js, err := json.MarshalIndent(post, "", "  ")
	if err != nil {
		panic(err) // only maps, strings and numbers: cannot fail
	}
	webHead(b, base, t.thread, "en", title, `<script type="application/ld+json">`+webScriptSafe(string(js))+"</script>\n")
	fmt.Fprintf(b, "<main id=\"main-outlet\"><h1>%s</h1>\n%s</main>\n</body>\n</html>\n", html.EscapeString(title), visible.String())
}

func webGraphPage(b *strings.Builder, d *Dataset, base string, t *webThread) {
	page := base + "/web/" + t.thread + "/"
	title := webTitle(t.thread)
	var comment func(it Item, i int) webLD
	comment = func(it Item, i int) webLD {
		c := webLD{
			"@type":         "Comment",
			"@id":           page + "#" + it.Native,
			"url":           page + "#" + it.Native,
			"dateCreated":   it.CreatedAt.In(webGraphZone).Format(time.RFC3339),
			"datePublished": it.CreatedAt.In(webGraphZone).Format(time.RFC3339),
			"text":          webTextHTML(it.Text, false),
		}
		// Authors are written both ways sites write them.
		if i%2 == 0 {
			c["author"] = webPerson(it.Author)
		} else {
			c["author"] = it.Author
		}
		kids := t.kids[it.Native]
		c["commentCount"] = len(kids)
		if it.Likes > 0 {
			c["interactionStatistic"] = webLD{"@type": "InteractionCounter", "interactionType": "LikeAction", "userInteractionCount": strconv.FormatInt(it.Likes, 10)}
		}
		if it.Lang != "" {
			c["inLanguage"] = it.Lang
		}
		if it.Deleted {
			c["author"], c["text"], c["creativeWorkStatus"] = nil, "", "Deleted"
			delete(c, "interactionStatistic")
		}
		var replies []any
		for j, k := range kids {
			replies = append(replies, comment(k, i+j+1))
		}
		if len(replies) > 0 {
			c["comment"] = replies
		}
		return c
	}
	var top []any
	for i, it := range t.top {
		top = append(top, comment(it, i))
	}
	graph := webLD{
		"@context": "https://schema.org",
		"@graph": []any{
			webLD{"@type": "WebPage", "@id": page, "url": page, "name": title},
			webLD{"@type": "NewsArticle", "@id": page + "#article", "headline": title, "mainEntityOfPage": webLD{"@id": page},
				"datePublished": "2020-10-01T09:00:00+02:00", "author": webLD{"@type": "Person", "name": "Staff Writer"},
				"commentCount": len(t.top), "comment": top},
			webLD{"@type": "Organization", "@id": base + "/#organization", "name": "Example News"},
		},
	}
	js, err := json.Marshal(graph)
	if err != nil {
		panic(err)
	}
	extra := `<meta property="article:published_time" content="2020-10-01T09:00:00+02:00">
<script type="application/ld+json">` + webScriptSafe(string(js)) + "</script>\n"
	webHead(b, base, t.thread, "en-GB", title, extra)
	fmt.Fprintf(b, `<main id="content"><article class="post"><h1 class="entry-title">%s</h1><div class="entry-content"><p>An essay.</p></div></article>
<div id="comments" class="comments-area"><ol class="comment-list">
`, html.EscapeString(title))
	// The same comments in visible HTML: a crawler reading JSON-LD first
	// must not take them twice.
	for i, it := range t.top {
		webWordPressComment(b, base, t, it, 1, i, 1, "graph")
	}
	b.WriteString("</ol></div></main>\n</body>\n</html>\n")
}

// webScriptSafe keeps JSON inside <script> from closing it.
func webScriptSafe(js string) string { return strings.ReplaceAll(js, "</", `<\/`) }

// webPrivatePage is served under /web/private/, which robots.txt disallows:
// a crawler that fetches it shows up in the request log.
func webPrivatePage(base, thread string) string {
	var b strings.Builder
	webHead(&b, base, thread, "en", "Private", "")
	b.WriteString(`<ol class="comment-list"><li id="comment-990001" class="comment even thread-even depth-1"><article id="div-comment-990001" class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">insider</b></div><div class="comment-metadata"><a href="#comment-990001"><time datetime="2020-10-01T10:00:00+00:00">October 1, 2020 at 10:00 am</time></a></div></footer><div class="comment-content"><p>This page is disallowed by robots.txt.</p></div></article></li></ol>
</body></html>
`)
	return b.String()
}

// webJSPage returns an article whose comments a JavaScript system loads,
// with that system's embed code as sites paste it.
func webJSPage(vendor string) (string, bool) {
	embeds := map[string]string{
		"disqus": `<div id="disqus_thread"></div>
<script>
var disqus_config = function () { this.page.url = location.href; this.page.identifier = "teigen-jack"; };
(function() { var d = document, s = d.createElement('script'); s.src = 'https://example-news.disqus.com/embed.js'; s.setAttribute('data-timestamp', +new Date()); (d.head || d.body).appendChild(s); })();
</script>
<noscript>Please enable JavaScript to view the <a href="https://disqus.com/?ref_noscript">comments powered by Disqus.</a></noscript>`,
		"coral": `<div id="coral_thread"></div>
<script type="text/javascript">
(function() { var d = document, s = d.createElement('script'); s.src = 'https://coral.example.com/assets/js/embed.js'; s.async = false; s.defer = true;
s.onload = function() { Coral.createStreamEmbed({ id: "coral_thread", autoRender: true, rootURL: 'https://coral.example.com' }); };
(d.head || d.body).appendChild(s); })();
</script>`,
		"openweb": `<div data-spotim-module="conversation" data-post-id="teigen-jack" data-post-url="https://news.example.com/teigen-jack"></div>
<script async src="https://launcher.spot.im/spot/sp_ExAmPlE" data-spotim-module="spotim-launcher"></script>`,
		"viafoura": `<div class="viafoura"><vf-conversations></vf-conversations></div>
<script async src="https://cdn.viafoura.net/entry/index.js"></script>`,
		"facebook": `<div id="fb-root"></div>
<script async defer crossorigin="anonymous" src="https://connect.facebook.net/en_US/sdk.js#xfbml=1&version=v19.0"></script>
<div class="fb-comments" data-href="https://news.example.com/teigen-jack" data-width="" data-numposts="5"></div>`,
	}
	e, ok := embeds[vendor]
	if !ok {
		return "", false
	}
	return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Chrissy Teigen and John Legend share loss</title></head>
<body><article><h1>Chrissy Teigen and John Legend share loss</h1><p>Article text.</p></article>
<section id="comments"><h2>Comments</h2>
` + e + `
</section></body></html>
`, true
}

// webFixture returns the web replica's edge cases: a paginated WordPress
// article with nested replies, entities and double escaping, a moderation
// placeholder; a multilingual page with <br>-only paragraphs (es, fr, de,
// Japanese, Arabic, emoji); a page with human-only dates; a JSON-LD forum
// thread with a deleted reply; a NewsArticle in an @graph.
func webFixture() []Item {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	const wp = "2020/10/01/chrissy-teigen-john-legend-loss"
	const world = "world/2020/10/01/teigen-legend-reacciones"
	const human = "human/2020/10/02/legend-statement"
	const forum = "forum/t/chrissy-teigen-and-john-legend-lose-baby/5512"
	const graph = "graph/2020/10/03/teigen-essay"
	c := func(thread, native, parent, author, created, text string) Item {
		return Item{Platform: reaction.Web, Thread: thread, Native: native, Parent: parent, Author: author, Text: text, CreatedAt: at(created)}
	}
	items := []Item{
		// WordPress: 7 threads over two pages (5 + 2), replies nested three deep.
		c(wp, "comment-245501", "", "Dana", "2020-10-01T03:12:40Z", "Heartbreaking. Sending love to Chrissy & John."),
		c(wp, "comment-245502", "comment-245501", "mkw", "2020-10-01T03:20:05Z", "Same. Nobody should have to go through this in public."),
		c(wp, "comment-245503", "comment-245502", "Dana", "2020-10-01T03:31:59Z", "Agreed <3 and thank you for saying it."),
		c(wp, "comment-245504", "", "skeptic_88", "2020-10-01T04:02:11Z", "Posting photos of this was too much. Some things should stay private."),
		c(wp, "comment-245505", "comment-245504", "Ana K.", "2020-10-01T04:15:00Z", "She chose to share it to help others: that's her right.\n\nPlease be kind."),
		c(wp, "comment-245506", "", "lee", "2020-10-01T05:44:30Z", "Use &amp; in HTML, not a bare & (the author typed \"&amp;\" literally)."),
		c(wp, "comment-245507", "", "Jo", "2020-10-01T06:00:00Z", "Line one\nline two after a <br>\n\nand a new paragraph with a < b > c."),
		c(wp, "comment-245508", "", "troll", "2020-10-01T06:30:00Z", "removed text"),
		c(wp, "comment-245509", "", "P. Nguyen", "2020-10-01T07:45:12Z", "Grief is grief. 💔"),
		c(wp, "comment-245510", "comment-245509", "mkw", "2020-10-01T08:01:00Z", "Beautifully said."),
		c(wp, "comment-245511", "", "Rosa", "2020-10-02T11:00:00Z", "Late to this, but thinking of them."),
		// Multilingual page with <br>-only paragraphs.
		c(world, "comment-310001", "", "María José", "2020-10-01T09:00:00Z", "Qué tristeza. Mucho ánimo a la familia.\n\nNadie merece críticas por compartir su duelo."),
		c(world, "comment-310002", "comment-310001", "Étienne", "2020-10-01T09:05:00Z", "Très courageux de leur part d'en parler « publiquement »."),
		c(world, "comment-310003", "", "Jürgen", "2020-10-01T09:10:00Z", "Schrecklich. Ich wünsche ihnen viel Kraft – wirklich."),
		c(world, "comment-310004", "comment-310003", "さくら", "2020-10-01T09:15:00Z", "心からお悔やみ申し上げます。"),
		c(world, "comment-310005", "", "ليلى", "2020-10-01T09:20:00Z", "خالص التعازي للعائلة 🤍"),
		// Human-only dates (plus two untimed comments the page adds).
		c(human, "comment-420001", "", "reader1", "2020-10-02T14:37:00Z", "His statement was moving."),
		c(human, "comment-420002", "comment-420001", "reader2", "2020-10-02T21:05:00Z", "It really was."),
		// JSON-LD forum thread: the posting, nested replies, a deleted one.
		{Platform: reaction.Web, Thread: forum, Native: forum, Author: "anak", CreatedAt: at("2020-10-01T07:40:00Z"), Likes: 9, Lang: "en",
			Text: "Chrissy Teigen and John Legend lose baby: link to the article and first thoughts."},
		{Platform: reaction.Web, Thread: forum, Native: forum + "/2", Parent: forum, Author: "jmolnar", CreatedAt: at("2020-10-01T08:02:45Z"), Likes: 3, Lang: "hu",
			Text: "Nagyon szomorú hír. Erőt kívánok nekik."},
		{Platform: reaction.Web, Thread: forum, Native: forum + "/3", Parent: forum + "/2", Author: "gone_user", CreatedAt: at("2020-10-01T08:10:00Z"), Deleted: true,
			Text: "something rude"},
		{Platform: reaction.Web, Thread: forum, Native: forum + "/4", Parent: forum + "/2", Author: "kim", CreatedAt: at("2020-10-01T08:30:00Z"),
			Text: "Tom & Jerry-level pile-on in the replies <sigh>.\nPlease stop."},
		{Platform: reaction.Web, Thread: forum, Native: forum + "/5", Parent: forum, Author: "oz", CreatedAt: at("2020-10-01T09:00:00Z"), Likes: 1,
			Text: "Plain text with a < sign and <3 kept as typed."},
		// NewsArticle with nested comments in an @graph.
		{Platform: reaction.Web, Thread: graph, Native: "comment-77001", Author: "Bea", CreatedAt: at("2020-10-03T10:00:00Z"), Likes: 12, Lang: "en-GB",
			Text: "A brave essay.\n\nThank you for writing it."},
		{Platform: reaction.Web, Thread: graph, Native: "comment-77002", Parent: "comment-77001", Author: "Cal", CreatedAt: at("2020-10-03T10:30:00Z"),
			Text: "Agree with every word."},
		{Platform: reaction.Web, Thread: graph, Native: "comment-77003", Parent: "comment-77002", Author: "Dee", CreatedAt: at("2020-10-03T11:00:00Z"), Deleted: true,
			Text: "deleted words"},
		{Platform: reaction.Web, Thread: graph, Native: "comment-77004", Author: "Eli", CreatedAt: at("2020-10-03T12:15:30Z"),
			Text: "Fish &amp;amp; chips: the double-escaped kind."},
	}
	for i := range items {
		if items[i].Native == "comment-245508" {
			items[i].Deleted = true
		}
	}
	return items
}
