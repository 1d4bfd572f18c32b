package replica

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Hacker News items, served in the shapes of the Algolia HN Search API
// (docs/platforms.md, "Hacker News"):
//
//   - A root item (Thread == "") is a story; the first line of its Text is
//     the title, the rest (after the blank line) its text (an "Ask HN"
//     story: no url); a story without text is a link story.
//   - A comment has Thread = the story's Native and Parent = the Native of
//     the story or comment it answers. Natives are decimal ids.
//   - Text is rendered as HN stores it: paragraphs joined by "<p>" without
//     closing tags, URLs linked (shown cut to 60 characters plus "..."),
//     and &, <, >, ", ' and / written as entities (&#x2F; for /).
//   - A deleted item stays in its story's tree with author and text null
//     and is left out of search results.
//   - Tags are search terms (exact, case-insensitive): a story is found by
//     search?query=<tag>; an empty query finds everything.
//
// Routes under /hackernews/api/v1/: items/<id> (the whole nested tree),
// search and search_by_date with query, tags (comma = AND, parentheses =
// OR), numericFilters (created_at_i, points, num_comments with < <= = >= >),
// page and hitsPerPage (at most 1000). Like Algolia, only the first 1,000
// hits of a query can be paged: a page beyond them answers empty hits,
// nbHits 0 and a message.

const (
	hnPrefix         = "/hackernews/api/v1/"
	hnPaginationCap  = 1000
	hnMaxHitsPerPage = 1000
	hnLinkShown      = 60 // characters of a URL HN shows before "..."
)

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.HackerNews,
		Prefix:  "/hackernews/",
		Handler: hnHandler,
		Expect:  hnExpect,
		Fixture: hnFixture,
	})
}

// hnTitle splits a story's Text into title and text.
func hnTitle(story Item) (title, text string) {
	title, text, _ = strings.Cut(strings.TrimLeft(story.Text, "\n"), "\n")
	return strings.TrimSpace(title), strings.Trim(text, "\n")
}

var (
	hnParaRe = regexp.MustCompile(`\n[ \t\r]*\n`)
	hnURLRe  = regexp.MustCompile(`https?://[^\s<>"]+`)
)

// hnParagraphs splits plain text into paragraphs with whitespace collapsed:
// what a reader of HN sees, and so what a crawler must recover.
func hnParagraphs(text string) []string {
	var out []string
	for _, p := range hnParaRe.Split(strings.TrimSpace(text), -1) {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// hnEscape writes text the way HN's API does.
var hnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;", "/", "&#x2F;")

// hnHTML renders plain text as HN's HTML.
func hnHTML(text string) string {
	paras := hnParagraphs(text)
	for i, p := range paras {
		var b strings.Builder
		last := 0
		for _, m := range hnURLRe.FindAllStringIndex(p, -1) {
			u := strings.TrimRight(p[m[0]:m[1]], ".,;:!?)'")
			end := m[0] + len(u)
			b.WriteString(hnEscaper.Replace(p[last:m[0]]))
			shown := u
			if r := []rune(u); len(r) > hnLinkShown {
				shown = string(r[:hnLinkShown]) + "..."
			}
			fmt.Fprintf(&b, `<a href="%s" rel="nofollow">%s</a>`, hnEscaper.Replace(u), hnEscaper.Replace(shown))
			last = end
		}
		b.WriteString(hnEscaper.Replace(p[last:]))
		paras[i] = b.String()
	}
	return strings.Join(paras, "<p>")
}

// hnPlain is the text a crawler recovers from hnHTML(text).
func hnPlain(text string) string { return strings.Join(hnParagraphs(text), "\n\n") }

func hnInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// hnIndex is the Hacker News part of the data set, indexed for one request.
type hnIndex struct {
	byID     map[string]Item
	children map[string][]Item // parent native -> replies, oldest first
	comments map[string]int    // story native -> comments not deleted
}

func hnBuild(d *Dataset) *hnIndex {
	x := &hnIndex{byID: map[string]Item{}, children: map[string][]Item{}, comments: map[string]int{}}
	for _, it := range d.Items(reaction.HackerNews) {
		x.byID[it.Native] = it
		if it.Thread != "" {
			x.children[it.Parent] = append(x.children[it.Parent], it)
			if !it.Deleted {
				x.comments[it.Thread]++
			}
		}
	}
	for _, kids := range x.children {
		sort.SliceStable(kids, func(i, j int) bool {
			if !kids[i].CreatedAt.Equal(kids[j].CreatedAt) {
				return kids[i].CreatedAt.Before(kids[j].CreatedAt)
			}
			return hnInt(kids[i].Native) < hnInt(kids[j].Native)
		})
	}
	return x
}

func hnStoryOf(it Item) string {
	if it.Thread == "" {
		return it.Native
	}
	return it.Thread
}

func hnNullable(ok bool, v any) any {
	if !ok {
		return nil
	}
	return v
}

// item renders /items/<id>: the item and its whole tree.
func (x *hnIndex) item(it Item, depth int) map[string]any {
	isStory := it.Thread == ""
	m := map[string]any{
		"id":           hnInt(it.Native),
		"created_at":   it.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		"created_at_i": it.CreatedAt.Unix(),
		"author":       hnNullable(!it.Deleted, it.Author),
		"title":        nil,
		"url":          nil,
		"text":         nil,
		"points":       nil,
		"parent_id":    nil,
		"story_id":     hnInt(hnStoryOf(it)),
		"options":      []any{},
		"type":         "comment",
	}
	if isStory {
		m["type"] = "story"
		title, text := hnTitle(it)
		if !it.Deleted {
			m["title"], m["points"] = title, it.Likes
			if text != "" {
				m["text"] = hnHTML(text)
			} else {
				m["url"] = hnURL(it)
			}
		}
	} else {
		m["parent_id"] = hnInt(it.Parent)
		if !it.Deleted {
			m["text"] = hnHTML(it.Text)
		}
	}
	kids := []any{}
	if depth < 1000 {
		for _, c := range x.children[it.Native] {
			kids = append(kids, x.item(c, depth+1))
		}
	}
	m["children"] = kids
	return m
}

// hnURL is a link story's url: its Link, else one made from the title.
func hnURL(story Item) string {
	if story.Link != "" {
		return story.Link
	}
	title, _ := hnTitle(story)
	return hnStoryURL(title)
}

func hnStoryURL(title string) string {
	return "https://news.example.com/" + strings.Trim(redditSlugRe.ReplaceAllString(strings.ToLower(title), "-"), "-")
}

// hnTags is an item's _tags.
func hnTags(it Item) []string {
	kind := "comment"
	if it.Thread == "" {
		kind = "story"
	}
	return []string{kind, "author_" + it.Author, "story_" + hnStoryOf(it)}
}

// hit renders a search hit.
func (x *hnIndex) hit(it Item) map[string]any {
	h := map[string]any{
		"_tags":        hnTags(it),
		"author":       it.Author,
		"created_at":   it.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
		"created_at_i": it.CreatedAt.Unix(),
		"objectID":     it.Native,
		"story_id":     hnInt(hnStoryOf(it)),
		"updated_at":   it.CreatedAt.Add(5 * time.Minute).UTC().Format("2006-01-02T15:04:05Z"),
	}
	hl := map[string]any{"author": map[string]any{"matchLevel": "none", "matchedWords": []any{}, "value": it.Author}}
	if it.Thread == "" {
		title, text := hnTitle(it)
		kids := []int64{}
		for _, c := range x.children[it.Native] {
			kids = append(kids, hnInt(c.Native))
		}
		h["title"], h["points"], h["num_comments"], h["children"] = title, it.Likes, x.comments[it.Native], kids
		if text != "" {
			h["story_text"] = hnHTML(text)
		} else {
			h["url"] = hnURL(it)
		}
		hl["title"] = map[string]any{"matchLevel": "none", "matchedWords": []any{}, "value": title}
	} else {
		story := x.byID[it.Thread]
		title, text := hnTitle(story)
		h["comment_text"], h["parent_id"], h["story_title"] = hnHTML(it.Text), hnInt(it.Parent), title
		if text == "" {
			h["story_url"] = hnURL(story)
		}
		hl["comment_text"] = map[string]any{"matchLevel": "none", "matchedWords": []any{}, "value": hnHTML(it.Text)}
	}
	h["_highlightResult"] = hl
	return h
}

// hnTagFilter is tags=…: an AND of terms, each an OR of alternatives.
type hnTagFilter [][]string

func hnParseTags(s string) hnTagFilter {
	var f hnTagFilter
	depth, start := 0, 0
	flush := func(term string) {
		term = strings.TrimSpace(term)
		if term == "" {
			return
		}
		var alts []string
		for _, a := range strings.Split(strings.Trim(term, "()"), ",") {
			if a = strings.TrimSpace(a); a != "" {
				alts = append(alts, strings.ToLower(a))
			}
		}
		f = append(f, alts)
	}
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				flush(s[start:i])
				start = i + 1
			}
		}
	}
	flush(s[start:])
	return f
}

func (f hnTagFilter) match(tags []string) bool {
	for _, alts := range f {
		ok := false
		for _, a := range alts {
			for _, t := range tags {
				if strings.EqualFold(t, a) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// hnNumeric is one numericFilters condition.
type hnNumeric struct {
	attr, op string
	v        int64
}

var hnNumericRe = regexp.MustCompile(`^\s*(created_at_i|points|num_comments)\s*(<=|>=|<|>|=)\s*(-?\d+)\s*$`)

func hnParseNumeric(s string) ([]hnNumeric, error) {
	var out []hnNumeric
	for _, c := range strings.Split(s, ",") {
		if strings.TrimSpace(c) == "" {
			continue
		}
		m := hnNumericRe.FindStringSubmatch(c)
		if m == nil {
			return nil, fmt.Errorf("invalid numericFilters %q", c)
		}
		out = append(out, hnNumeric{m[1], m[2], hnInt(m[3])})
	}
	return out, nil
}

func (n hnNumeric) match(v int64) bool {
	switch n.op {
	case "<":
		return v < n.v
	case "<=":
		return v <= n.v
	case ">":
		return v > n.v
	case ">=":
		return v >= n.v
	}
	return v == n.v
}

func hnHandler(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := strings.CutPrefix(r.URL.Path, hnPrefix)
		if !ok || r.Method != http.MethodGet {
			hnJSON(w, http.StatusNotFound, map[string]any{"status": 404, "error": "Not Found"})
			return
		}
		switch {
		case strings.HasPrefix(p, "items/"):
			id := strings.TrimPrefix(p, "items/")
			it, ok := s.Data.Get(reaction.HackerNews, id)
			if !ok {
				hnJSON(w, http.StatusNotFound, map[string]any{"status": 404, "error": "Not Found"})
				return
			}
			hnJSON(w, http.StatusOK, hnBuild(s.Data).item(it, 0))
		case p == "search" || p == "search_by_date":
			hnSearch(s, w, r.URL.Query(), p == "search_by_date")
		default:
			hnJSON(w, http.StatusNotFound, map[string]any{"status": 404, "error": "Not Found"})
		}
	})
}

func hnSearch(s *Server, w http.ResponseWriter, q url.Values, byDate bool) {
	start := time.Now()
	query := strings.ToLower(strings.TrimSpace(q.Get("query")))
	byURL := q.Get("restrictSearchableAttributes") == "url"
	tags := hnParseTags(q.Get("tags"))
	nums, err := hnParseNumeric(q.Get("numericFilters"))
	if err != nil {
		hnJSON(w, http.StatusBadRequest, map[string]any{"message": err.Error(), "status": 400})
		return
	}
	hpp := 20
	if v := q.Get("hitsPerPage"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > hnMaxHitsPerPage {
			hnJSON(w, http.StatusBadRequest, map[string]any{"message": "hitsPerPage must be between 0 and 1000", "status": 400})
			return
		}
		hpp = n
	}
	page, _ := strconv.Atoi(q.Get("page"))
	x := hnBuild(s.Data)
	var hits []Item
	for _, it := range x.byID {
		if it.Deleted || !tags.match(hnTags(it)) {
			continue
		}
		if query != "" {
			story, ok := x.byID[hnStoryOf(it)]
			_, text := hnTitle(story)
			if !ok || !byURL && !hnTagged(story, query) || byURL && (text != "" || !wordsMatch(hnURL(story), query)) {
				continue
			}
		}
		ok := true
		for _, n := range nums {
			var v int64
			switch n.attr {
			case "created_at_i":
				v = it.CreatedAt.Unix()
			case "points":
				v = it.Likes
			case "num_comments":
				v = int64(x.comments[it.Native])
			}
			ok = ok && n.match(v)
		}
		if ok {
			hits = append(hits, it)
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if !byDate && a.Likes != b.Likes {
			return a.Likes > b.Likes
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return hnInt(a.Native) > hnInt(b.Native)
	})
	ans := map[string]any{
		"page": page, "hitsPerPage": hpp, "exhaustiveNbHits": true, "exhaustiveTypo": true,
		"exhaustive": map[string]any{"nbHits": true, "typo": true},
		"query":      q.Get("query"), "params": q.Encode(),
	}
	out := []any{}
	if hpp > 0 && page*hpp >= hnPaginationCap {
		ans["nbHits"], ans["nbPages"] = 0, 0
		ans["message"] = fmt.Sprintf("you can only fetch the %d hits for this query. You should refine your query.", hnPaginationCap)
	} else {
		ans["nbHits"] = len(hits)
		pages := 0
		if hpp > 0 {
			pages = min((len(hits)+hpp-1)/hpp, (hnPaginationCap+hpp-1)/hpp)
		}
		ans["nbPages"] = pages
		from := min(page*hpp, len(hits))
		to := min(from+hpp, len(hits), hnPaginationCap)
		for _, it := range hits[from:to] {
			out = append(out, x.hit(it))
		}
	}
	ans["hits"] = out
	ans["processingTimeMS"] = time.Since(start).Milliseconds()
	hnJSON(w, http.StatusOK, ans)
}

// hnTagged reports whether a story is found by a search query.
func hnTagged(story Item, query string) bool {
	for _, t := range story.Tags {
		if strings.ToLower(t) == query {
			return true
		}
	}
	return false
}

func hnJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// hnExpect is the reaction a correct crawler makes of it: text as a reader
// sees it (paragraphs, links as their URL, entities decoded once; a story's
// title, a blank line and its text), a comment's likes 0 (HN does not show
// comment points), deleted items with empty text and author.
func hnExpect(d *Dataset, it Item) reaction.Reaction {
	r := reaction.Reaction{
		Platform:  reaction.HackerNews,
		ID:        reaction.MakeID(reaction.HackerNews, it.Native),
		URL:       "https://news.ycombinator.com/item?id=" + it.Native,
		CreatedAt: it.CreatedAt.UTC().Truncate(time.Second),
		Author:    it.Author,
		Deleted:   it.Deleted,
	}
	if it.Thread == "" {
		r.RootID, r.IsRoot = r.ID, true
		title, text := hnTitle(it)
		r.Text, r.Likes = title, it.Likes
		if body := hnPlain(text); body != "" {
			r.Text += "\n\n" + body
		}
	} else {
		r.RootID = reaction.MakeID(reaction.HackerNews, it.Thread)
		r.ParentID = reaction.MakeID(reaction.HackerNews, it.Parent)
		r.Text = hnPlain(it.Text)
	}
	if it.Deleted {
		r.Text, r.Author, r.Likes = "", "", 0
	}
	return r
}

// hnFixtureBase is when the fixture's story broke.
var hnFixtureBase = time.Date(2020, 10, 1, 4, 0, 0, 0, time.UTC)

// HNWalkBackQuery is the fixture's search term with more than 1,000 hits.
const HNWalkBackQuery = "legend"

// hnFixture returns the Hacker News edge cases: a link story whose tree has
// entities ("&quot;", "&#x27;", "&#x2F;", a typed "&amp;" served as
// "&amp;amp;"), short and cut long links, paragraphs, Spanish, French,
// German, Japanese and Russian text, deleted comments with and without
// replies; an Ask HN story with text; and 2,500 stories found by the query
// "legend", more than Algolia's 1,000-hit cap, with 25 stories sharing one
// second at each of two window boundaries (hits 985-1009 and 1980-2004,
// newest first), every 500th with a comment.
func hnFixture() []Item {
	at := func(sec int) time.Time { return hnFixtureBase.Add(time.Duration(sec) * time.Second) }
	var items []Item
	next := int64(24651400)
	add := func(thread, parent, author, text, lang string, sec int, deleted bool) string {
		next++
		native := strconv.FormatInt(next, 10)
		items = append(items, Item{Platform: reaction.HackerNews, Native: native, Thread: thread, Parent: parent,
			Author: author, Text: text, Lang: lang, CreatedAt: at(sec), Deleted: deleted})
		return native
	}
	const s1, s2 = "24651234", "24651300"
	items = append(items,
		Item{Platform: reaction.HackerNews, Native: s1, Author: "newsbot", Text: "Chrissy Teigen and John Legend lose their baby son",
			CreatedAt: at(0), Likes: 342, Tags: []string{"teigen"}},
		Item{Platform: reaction.HackerNews, Native: s2, Author: "throwaway_grief",
			Text:      "Ask HN: How do you support a friend after a pregnancy loss?\n\nA friend just lost her baby, like Chrissy Teigen did.\n\nWhat helped you? Links to resources welcome: https://example.org/support",
			CreatedAt: at(600), Likes: 57, Tags: []string{"teigen"}},
	)
	c1 := add(s1, s1, "tugboat_tom", "Sharing this was brave. They said \"we're heartbroken\" and it's hard to read.\n\nHope the media gives them space.", "en", 60, false)
	add(s1, c1, "ljubica", "Slažem se. Ovdje je članak: https://example.hr/vijest", "hr", 90, false)
	c2 := add(s1, s1, "html_person", "In HTML you write &amp; for & and a <p> for paragraphs; 1 < 2 > 0 and/or so.", "en", 120, false)
	add(s1, c2, "pedant", "Nit: it's &amp;amp; if you want to show &amp; literally.", "en", 150, false)
	gone := add(s1, s1, "someone", "deleted words", "en", 180, true)
	add(s1, gone, "replier", "Whatever was said above, please be kind.", "en", 200, false)
	add(s1, gone, "another", "gone too", "en", 210, true)
	add(s1, s1, "linker", "Full statement: https://www.example.com/2020/10/01/chrissy-teigen-john-legend-statement-on-the-loss-of-jack-full-text here.", "en", 240, false)
	add(s1, s1, "lucia", "Qué tristeza. Un abrazo a la familia.", "es", 300, false)
	add(s1, s1, "amelie", "Toutes mes pensées à la famille — c'est déchirant.", "fr", 310, false)
	add(s1, s1, "jonas", "Mein Beileid. Viel Kraft für die Familie.", "de", 320, false)
	add(s1, s1, "yuki", "心からお悔やみ申し上げます。", "ja", 330, false)
	add(s1, s1, "olga", "Соболезную семье. Это ужасная потеря.", "ru", 340, false)
	q1 := add(s2, s2, "been_there", "Just be there.\nListen more than you talk.\n\nAnd remember the dates.", "en", 700, false)
	add(s2, q1, "thanks_op", "This. Thank you.", "en", 760, false)
	add(s2, s2, "counselor", "Grief counseling helped me: https://example.org/grief-support-resources-for-parents-after-loss-and-stillbirth", "en", 800, false)

	// 2,500 stories for the walk-back: newest first, hit i is i seconds
	// older than the newest, except two clusters of 25 sharing a second.
	const n = 2500
	newest := 3 * 24 * 3600
	for i := 0; i < n; i++ {
		age := i
		switch {
		case i >= 985 && i < 1010:
			age = 985
		case i >= 1980 && i < 2005:
			age = 1980
		}
		native := strconv.Itoa(24700000 + n - i)
		items = append(items, Item{Platform: reaction.HackerNews, Native: native, Author: fmt.Sprintf("poster%d", i%97),
			Text: fmt.Sprintf("Legend news %d", n-i), CreatedAt: at(newest - age), Likes: int64(i % 50), Tags: []string{HNWalkBackQuery}})
		if i%500 == 0 {
			add(native, native, "commenter", fmt.Sprintf("Comment on legend news %d.", n-i), "en", newest-age+30, false)
		}
	}
	return items
}
