package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/crawler/source/htmltext"
	"github.com/reactions-research/reactions/reaction"
)

// ldNode is one JSON-LD object.
type ldNode = map[string]any

// jsonLD reads the <script type="application/ld+json"> blocks (an object,
// an array, or an object with @graph) and extracts comments nested in any
// CreativeWork's "comment" property, recursively. A DiscussionForumPosting
// or SocialMediaPosting is a reaction itself (the thread's root); any other
// work carrying comments (NewsArticle, Article, BlogPosting, WebPage) is the
// article, whose id is the root of its comments but which is not emitted.
// It returns how many Comment objects were found (kept or skipped).
func (x *extractor) jsonLD(scripts []*html.Node) int {
	comments := 0
	for i, sc := range scripts {
		var code strings.Builder
		for t := sc.FirstChild; t != nil; t = t.NextSibling {
			if t.Type == html.TextNode {
				code.WriteString(t.Data)
			}
		}
		for _, v := range x.decodeLD(i+1, code.String()) {
			comments += x.visit(v)
		}
	}
	return comments
}

func isLDType(t string) bool {
	t, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(t)), ";")
	return strings.TrimSpace(t) == "application/ld+json"
}

// ldWrapRe strips what CMSs wrap JSON-LD in: HTML comments and CDATA.
var ldWrapRe = regexp.MustCompile(`^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$`)

// decodeLD decodes one script block, which may hold several JSON values in a
// row. A block that is not JSON is a "parse" problem; the page's other
// blocks and its HTML are still read.
func (x *extractor) decodeLD(i int, s string) []any {
	s = ldWrapRe.ReplaceAllString(strings.TrimSpace(s), "")
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A trailing semicolon or stray text after valid JSON is
			// harmless; anything else is a broken block.
			rest, _ := io.ReadAll(dec.Buffered())
			if len(out) > 0 && len(bytes.TrimSpace(bytes.Trim(rest, "; \n\r\t"))) == 0 {
				break
			}
			x.out.Problems = append(x.out.Problems, problem{Kind: "parse",
				Msg: fmt.Sprintf("%s: JSON-LD block %d is not valid JSON: %v", withoutFragment(x.pageURL), i, err)})
			break
		}
		out = append(out, v)
	}
	return out
}

// visit looks for works with comments anywhere in v and returns how many
// Comment objects it found.
func (x *extractor) visit(v any) int {
	switch t := v.(type) {
	case []any:
		n := 0
		for _, e := range t {
			n += x.visit(e)
		}
		return n
	case ldNode:
		n := 0
		if g, ok := t["@graph"]; ok {
			n += x.visit(g)
		}
		switch {
		case hasType(t, "Comment"):
			// A comment at the top level (in an @graph, with parentItem).
			parent := pageID(x.canon)
			if p, ok := ldRef(t["parentItem"]); ok {
				if id, ok := refID(x.canon, x.base, p); ok {
					parent = id
				}
			}
			return n + x.comment(t, parent, pageID(x.canon))
		case hasType(t, "DiscussionForumPosting", "SocialMediaPosting"):
			root := x.posting(t)
			for _, c := range ldList(t["comment"]) {
				n += x.comment(c, root, root)
			}
			return n
		case t["comment"] != nil:
			root := pageID(x.canon)
			for _, c := range ldList(t["comment"]) {
				n += x.comment(c, root, root)
			}
			return n
		}
		for k, e := range t {
			if k == "@graph" || k == "@context" {
				continue
			}
			switch e.(type) {
			case []any, ldNode:
				n += x.visit(e)
			}
		}
		return n
	}
	return 0
}

// posting emits a forum or social posting as the root reaction of its
// comments and returns its id: "web:<canonical URL>" when it is this page's
// posting (later pages of a thread repeat it; the adapter emits it once).
func (x *extractor) posting(t ldNode) string {
	id := pageID(x.canon)
	if ref, ok := ldRef(t); ok {
		if u, err := x.base.Parse(ref); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			if doc := canonical(u); !sameDoc(doc, x.canon) {
				id = pageID(doc)
			}
		}
	}
	r, ok := x.work(t, id)
	if !ok {
		return id
	}
	r.RootID, r.IsRoot = id, true
	if r.URL == "" {
		r.URL = x.canon
	}
	x.add(r)
	return id
}

// comment extracts one Comment and its replies; parent is the id of what it
// answers, root the thread's. It returns how many comments it found.
func (x *extractor) comment(v any, parent, root string) int {
	t, ok := v.(ldNode)
	if !ok || !hasType(t, "Comment", "Answer", "DiscussionForumPosting", "SocialMediaPosting") {
		return 0
	}
	id := ""
	if ref, ok := ldRef(t); ok {
		id, _ = refID(x.canon, x.base, ref)
	}
	if id == "" {
		if s := ldString(t["identifier"]); s != "" {
			id = commentID(x.canon, s)
		}
	}
	if id == "" {
		h := newDigest()
		h.add(ldAuthor(t["author"]), ldString(t["datePublished"]), ldString(t["text"]), parent)
		id = commentID(x.canon, "h-"+h.sum())
	}
	n := 1
	if r, ok := x.work(t, id); ok {
		r.ParentID, r.RootID = parent, root
		if r.URL == "" {
			r.URL = x.pageLink(id)
		}
		x.add(r)
	}
	for _, c := range ldList(t["comment"]) {
		n += x.comment(c, id, root)
	}
	return n
}

// work reads the fields a Comment and a posting share. ok is false (and the
// skip recorded) when it has no parseable time.
func (x *extractor) work(t ldNode, id string) (reaction.Reaction, bool) {
	r := reaction.Reaction{ID: id}
	raw := ldString(t["datePublished"])
	if raw == "" {
		raw = ldString(t["dateCreated"])
	}
	ts, ok := parseTime(raw)
	if !ok {
		x.out.Skipped = append(x.out.Skipped, skip{Kind: "no_time", ID: id, Raw: raw})
		return r, false
	}
	r.CreatedAt = ts
	r.Author = ldAuthor(t["author"])
	text := ldString(t["text"])
	if text == "" {
		text = ldString(t["articleBody"])
	}
	if text == "" {
		text = ldString(t["headline"])
	}
	r.Text = ldText(text)
	if u := ldString(t["url"]); u != "" {
		if pu, err := x.base.Parse(u); err == nil && (pu.Scheme == "http" || pu.Scheme == "https") {
			r.URL = pu.String()
		}
	}
	r.Lang = ldString(t["inLanguage"])
	if l, ok := t["inLanguage"].(ldNode); ok {
		r.Lang = ldString(l["alternateName"])
		if r.Lang == "" {
			r.Lang = ldString(l["name"])
		}
	}
	for _, s := range ldList(t["interactionStatistic"]) {
		st, ok := s.(ldNode)
		if !ok {
			continue
		}
		typ := ldString(st["interactionType"])
		if it, ok := st["interactionType"].(ldNode); ok {
			typ = ldString(it["@type"])
		}
		count := ldInt(st["userInteractionCount"])
		switch shortType(typ) {
		case "LikeAction", "AgreeAction", "VoteAction":
			r.Likes += count
		case "CommentAction", "ReplyAction":
			r.Replies = count
		}
	}
	if r.Replies == 0 {
		r.Replies = ldInt(t["commentCount"])
	}
	status := shortType(ldString(t["creativeWorkStatus"]))
	if strings.EqualFold(status, "Deleted") || strings.EqualFold(status, "Removed") || placeholder(r.Text) {
		r.Deleted, r.Text, r.Author, r.Likes = true, "", "", 0
	}
	return r, true
}

// htmlish matches text that carries markup or entities.
var htmlish = regexp.MustCompile(`</?[A-Za-z][^<>]*>|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);`)

// ldText is a JSON-LD text as plain text. schema.org text is meant to be
// plain, but many CMSs put the comment's HTML or entity-escaped text in it:
// such text goes through htmltext (entities decoded once); plain text is
// kept as is, so "a < b" or "<3" survive.
func ldText(s string) string {
	if htmlish.MatchString(s) {
		return htmltext.FromHTML(s)
	}
	return strings.TrimSpace(s)
}

// hasType reports whether t's @type (a string or a list, possibly a full
// schema.org IRI or "schema:X") is one of names.
func hasType(t ldNode, names ...string) bool {
	for _, v := range ldList(t["@type"]) {
		s, ok := v.(string)
		if !ok {
			continue
		}
		s = shortType(s)
		for _, n := range names {
			if s == n {
				return true
			}
		}
	}
	return false
}

// shortType strips a schema.org prefix: "https://schema.org/LikeAction" and
// "schema:LikeAction" are "LikeAction".
func shortType(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, "/:#"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ldList returns v as a list (a single value is a list of one).
func ldList(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	}
	return []any{v}
}

// ldString returns a string or number value, or the first of a list, or a
// language-tagged {"@value": …}.
func ldString(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	case []any:
		for _, e := range t {
			if s := ldString(e); s != "" {
				return s
			}
		}
	case ldNode:
		return ldString(t["@value"])
	}
	return ""
}

// ldInt reads a count written as a number or a string.
func ldInt(v any) int64 {
	s := ldString(v)
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return int64(f)
	}
	return parseCount(s)
}

// ldRef returns the URL naming a node: its url, else its @id.
func ldRef(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, t != ""
	case ldNode:
		if s := ldString(t["url"]); s != "" {
			return s, true
		}
		if s := ldString(t["@id"]); s != "" {
			return s, true
		}
	}
	return "", false
}

// ldAuthor returns the author's name: a Person/Organization object, a
// plain string, or the first of a list.
func ldAuthor(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case ldNode:
		if s := ldString(t["name"]); s != "" {
			return s
		}
		return ldString(t["alternateName"])
	case []any:
		for _, e := range t {
			if s := ldAuthor(e); s != "" {
				return s
			}
		}
	}
	return ""
}
