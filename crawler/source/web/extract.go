package web

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/crawler/source/htmltext"
	"github.com/reactions-research/reactions/reaction"
)

// page is what one fetched HTML page yields.
type page struct {
	// Reactions in document order; Author holds the RAW handle (the
	// adapter pseudonymises it before Emit).
	Reactions []reaction.Reaction `json:"reactions"`
	// Skipped lists comments that could not be kept (no parseable time).
	Skipped []skip `json:"skipped,omitempty"`
	// Problems are page-level errors (invalid JSON-LD) by kind.
	Problems []problem `json:"problems,omitempty"`
	// Next lists the pagination links found (absolute, in visitKey form).
	Next []string `json:"next,omitempty"`
	// From says where the comments came from: "jsonld", "css" or "".
	From string `json:"from"`
	// JSOnly names the third-party comment system whose hallmarks the page
	// has when it yielded no comments ("Disqus"), else "".
	JSOnly string `json:"js_only,omitempty"`
}

// skip is one comment left out, with the raw value that failed.
type skip struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Raw  string `json:"raw"`
}

// problem is a page-level error.
type problem struct {
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
}

// extractor extracts the comments of one page of one article.
type extractor struct {
	cfg *config
	// canon is the article's canonical URL (the first page's, see canonical).
	canon string
	// pageURL is the URL the page was fetched from (after redirects), base
	// the URL relative links resolve against (a <base href> or pageURL).
	pageURL, base *url.URL
	// pageLinkBase is pageURL without fragment, for permalinks.
	pageLinkBase string
	// idPrefix is "web:" + canon, the start of this article's comment ids.
	idPrefix string
	out      page
	seen     map[string]bool // ids already extracted from this page
}

// extractPage reads one parsed HTML document: JSON-LD first when the source
// asks for it, the CSS item selector when JSON-LD has no comments, then the
// pagination links and, if nothing was found, the hallmarks of a
// JavaScript-only comment system.
func extractPage(doc *html.Node, cfg *config, canon string, pageURL *url.URL) page {
	x := &extractor{cfg: cfg, canon: canon, pageURL: pageURL, base: pageURL, seen: map[string]bool{}}
	x.pageLinkBase = withoutFragment(pageURL)
	x.idPrefix = reaction.MakeID(reaction.Web, canon)
	sc := cfg.scan(doc)
	if sc.base != nil {
		if h, ok := attr(sc.base, "href"); ok {
			if u, err := pageURL.Parse(strings.TrimSpace(h)); err == nil {
				x.base = u
			}
		}
	}
	comments := 0
	if cfg.jsonld {
		comments = x.jsonLD(sc.scripts)
		if comments > 0 {
			x.out.From = "jsonld"
		}
	}
	if comments == 0 && len(sc.items) > 0 {
		// Keep what JSON-LD gave (a forum posting without comments).
		x.out.Reactions = slices.Grow(x.out.Reactions, len(sc.items))
		comments = x.css(sc.items)
		x.out.From = "css"
	}
	x.next(sc.next)
	if comments == 0 && len(x.out.Reactions) == 0 {
		x.out.JSOnly = jsOnlyVendor(doc)
	}
	return x.out
}

// scanned is what one walk over a document finds.
type scanned struct {
	base    *html.Node   // the first <base>
	scripts []*html.Node // JSON-LD blocks (when the source reads them)
	items   []*html.Node // comment elements, in document order
	next    []*html.Node // pagination links
}

// scan walks the document once for everything extractPage needs.
func (c *config) scan(doc *html.Node) scanned {
	var s scanned
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			if ch.Type != html.ElementNode {
				continue
			}
			switch ch.Data {
			case "base":
				if s.base == nil {
					s.base = ch
				}
			case "script":
				if t, _ := attr(ch, "type"); c.jsonld && isLDType(t) {
					s.scripts = append(s.scripts, ch)
				}
				continue
			}
			if c.item != nil && c.item.Match(ch) {
				s.items = append(s.items, ch)
			}
			if c.next.sel != nil && c.next.sel.Match(ch) {
				s.next = append(s.next, ch)
			}
			walk(ch)
		}
	}
	walk(doc)
	return s
}

// add keeps r unless this page already gave its id.
func (x *extractor) add(r reaction.Reaction) {
	if x.seen[r.ID] {
		return
	}
	x.seen[r.ID] = true
	r.Platform = reaction.Web
	r.CreatedAt = r.CreatedAt.UTC().Truncate(1e9)
	if r.RootID == "" && r.ParentID == "" {
		r.RootID = r.ID
	}
	x.out.Reactions = append(x.out.Reactions, r)
}

// css extracts the comment elements and returns how many there were.
func (x *extractor) css(items []*html.Node) int {
	rootID := pageID(x.canon)
	ids := make(map[*html.Node]string, len(items))
	for _, it := range items {
		ids[it] = x.itemID(it)
	}
	for _, it := range items {
		id := ids[it]
		r := reaction.Reaction{ID: id, RootID: rootID, ParentID: rootID}
		if x.cfg.parentAncestor {
			for a := it.Parent; a != nil; a = a.Parent {
				if a.Type == html.ElementNode && x.cfg.item.Match(a) {
					if pid, ok := ids[a]; ok {
						r.ParentID = pid
					}
					break
				}
			}
		} else if v, ok := x.cfg.value(it, x.cfg.parent, false); ok {
			if pid, ok := x.parentRef(v); ok {
				r.ParentID = pid
			}
		}
		rawTime, _ := x.cfg.value(it, x.cfg.time, true)
		t, ok := parseTime(rawTime)
		if !ok {
			x.out.Skipped = append(x.out.Skipped, skip{Kind: "no_time", ID: id, Raw: rawTime})
			continue
		}
		r.CreatedAt = t
		r.Author, _ = x.cfg.value(it, x.cfg.author, false)
		if x.cfg.text.raw != "" {
			if n := x.cfg.ownFirst(it, x.cfg.text); n != nil {
				if x.cfg.text.attr != "" {
					v, _ := attr(n, x.cfg.text.attr)
					r.Text = strings.TrimSpace(v)
				} else {
					r.Text = innerText(n)
				}
			}
		}
		if v, ok := x.cfg.value(it, x.cfg.likes, false); ok {
			r.Likes = parseCount(v)
		}
		r.URL = x.pageLink(id)
		if v, ok := x.cfg.value(it, x.cfg.url, false); ok && v != "" {
			if u, err := x.base.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				r.URL = u.String()
			}
		}
		if l, ok := attr(it, "lang"); ok {
			r.Lang = strings.TrimSpace(l)
		}
		if deletedItem(it) || placeholder(r.Text) {
			r.Deleted, r.Text, r.Author, r.Likes = true, "", "", 0
		}
		x.add(r)
	}
	return len(items)
}

// itemID returns the reaction id of one comment element: its id field
// (a URL or "#comment-12" reference is reduced to the comment's anchor),
// else a digest of its content, stable while the comment is unchanged.
func (x *extractor) itemID(it *html.Node) string {
	v, _ := x.cfg.value(it, x.cfg.id, false)
	if v != "" {
		if strings.Contains(v, "#") || strings.Contains(v, "://") {
			if id, ok := refID(x.canon, x.base, v); ok {
				return id
			}
		} else {
			return commentID(x.canon, v)
		}
	}
	h := newDigest()
	for _, f := range []field{x.cfg.author, x.cfg.time, x.cfg.text} {
		s, _ := x.cfg.value(it, f, true)
		h.add(s)
	}
	return commentID(x.canon, "h-"+h.sum())
}

// digest names a comment that has no id by its content: stable while the
// comment is unchanged (an edit makes it a new reaction).
type digest struct{ h hash.Hash }

func newDigest() digest { return digest{sha256.New()} }

func (d digest) add(parts ...string) {
	for _, p := range parts {
		d.h.Write([]byte(p))
		d.h.Write([]byte{0})
	}
}

func (d digest) sum() string { return hex.EncodeToString(d.h.Sum(nil)[:8]) }

// parentRef resolves a parent field value: "comment-12", "#comment-12", a
// permalink; "", "0" and the article itself mean a top-level comment.
func (x *extractor) parentRef(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" || v == "#" {
		return "", false
	}
	if strings.Contains(v, "#") || strings.Contains(v, "://") {
		return refID(x.canon, x.base, v)
	}
	return commentID(x.canon, v), true
}

// pageLink is the permalink of a comment on this page: the page it was
// found on, anchored at the comment.
func (x *extractor) pageLink(id string) string {
	_, frag, _ := strings.Cut(strings.TrimPrefix(id, x.idPrefix), "#")
	if frag == "" {
		return x.pageLinkBase
	}
	return x.pageLinkBase + "#" + frag
}

// next collects the pagination links: every element matching the next
// selector, resolved, without fragment, on the same host as the page.
func (x *extractor) next(links []*html.Node) {
	for _, n := range links {
		v, ok := attr(n, x.cfg.next.attr)
		v = strings.TrimSpace(v)
		if !ok || v == "" || strings.HasPrefix(v, "#") || strings.HasPrefix(strings.ToLower(v), "javascript:") {
			continue
		}
		u, err := x.base.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host != x.pageURL.Host {
			continue
		}
		x.out.Next = append(x.out.Next, visitKey(u))
	}
}

// innerText is the plain text of an element's content (see htmltext), read
// from the parsed page as a browser's innerText would be.
func innerText(n *html.Node) string { return htmltext.FromNode(n) }

// placeholders are texts that moderation tools print in place of a removed
// comment. Only an exact match (case and final period aside) counts, so a
// real comment that merely mentions removal is kept.
var placeholders = map[string]bool{
	"this comment was removed":                     true,
	"this comment has been removed":                true,
	"this comment was deleted":                     true,
	"this comment has been deleted":                true,
	"this comment was removed by a moderator":      true,
	"this comment has been removed by a moderator": true,
	"this comment was deleted by the author":       true,
	"comment removed by moderator":                 true,
	"comment removed":                              true,
	"comment deleted":                              true,
	"[deleted]":                                    true,
	"[removed]":                                    true,
	"deleted":                                      true,
	"removed":                                      true,
	"this comment is no longer available":          true,
	"this message has been deleted":                true,
	"este comentario ha sido eliminado":            true,
	"ce commentaire a été supprimé":                true,
	"dieser kommentar wurde gelöscht":              true,
}

func placeholder(text string) bool {
	if len(text) > 64 { // longer than any placeholder
		return false
	}
	t := strings.TrimRight(strings.TrimSpace(text), ".!")
	if t == "" {
		return false
	}
	if placeholders[t] { // already lower case: no copy
		return true
	}
	return placeholders[strings.ToLower(t)]
}

// deletedClasses are the class names comment systems give a removed
// comment kept for thread context (compared without case).
var deletedClasses = []string{"deleted", "comment-deleted", "is-deleted", "removed", "comment-removed", "is-removed"}

// deletedItem reports whether n has one of deletedClasses.
func deletedItem(n *html.Node) bool {
	cls, _ := attr(n, "class")
	if cls == "" {
		return false
	}
	for c := range strings.FieldsSeq(cls) {
		for _, d := range deletedClasses {
			if strings.EqualFold(c, d) {
				return true
			}
		}
	}
	return false
}

// parseCount reads a like count as printed: "12", "12 likes", "1,234",
// "1.2k", "3M". Anything else is 0.
func parseCount(s string) int64 {
	s = strings.TrimSpace(s)
	start := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if start < 0 {
		return 0
	}
	s = s[start:]
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ',' || s[end] == '.' || s[end] == '\u00a0' || s[end] == ' ' && end+1 < len(s) && s[end+1] >= '0' && s[end+1] <= '9') {
		end++
	}
	num, rest := s[:end], strings.ToLower(strings.TrimSpace(s[end:]))
	unit := strings.FieldsFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
	mult := 1.0
	if len(unit) > 0 {
		switch unit[0] {
		case "k", "mil", "tsd", "thousand":
			mult = 1e3 // "1.2k", Spanish and Portuguese "2,5 mil"
		case "m", "mn", "mio", "mln", "million", "millions", "millones":
			mult = 1e6
		}
	}
	if mult > 1 {
		f, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", "."), 64)
		if err != nil {
			return 0
		}
		return int64(f * mult)
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, num)
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0
	}
	return n
}
