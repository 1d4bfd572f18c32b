package web

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/story"
)

// WordPress is the configuration used when a source names no item selector
// and no fields: WordPress's default threaded-comment markup (HTML5 walker),
// which most news sites built on WordPress still print.
var WordPress = struct {
	Item   string
	Fields story.WebFields
	Next   string
}{
	Item: "li.comment",
	Fields: story.WebFields{
		ID:     "@id",
		Author: ".comment-author .fn",
		Time:   "time@datetime",
		Text:   ".comment-content",
		Parent: "ancestor",
	},
	Next: "a.next@href",
}

// field is one compiled field selector: sel (nil for the item itself) and an
// optional attribute.
type field struct {
	raw  string
	sel  cascadia.Matcher // nil: the item element itself
	attr string           // "" reads the text
}

// config is a source's compiled extraction settings.
type config struct {
	item   cascadia.Matcher
	id     field
	author field
	time   field
	text   field
	likes  field
	url    field
	// parentAncestor derives the parent from nesting of item elements;
	// otherwise parent is a field naming the parent's comment id.
	parentAncestor bool
	parent         field
	next           field
	jsonld         bool
}

// attrRe matches the "@attr" suffix of a selector.
var attrRe = regexp.MustCompile(`@([A-Za-z_:][-A-Za-z0-9_:.]*)$`)

// parseField compiles "sel", "sel@attr" or "@attr". An empty spec gives a
// zero field (nothing extracted).
func parseField(name, spec string) (field, error) {
	spec = strings.TrimSpace(spec)
	f := field{raw: spec}
	if spec == "" {
		return f, nil
	}
	sel := spec
	if m := attrRe.FindStringSubmatchIndex(spec); m != nil {
		// An '@' inside an attribute selector ([href*="@"]) is not ours:
		// the suffix must follow every ']'.
		if at := m[0]; !strings.Contains(spec[at:], "]") && strings.Count(spec[:at], "[") == strings.Count(spec[:at], "]") {
			f.attr = strings.ToLower(spec[m[2]:m[3]])
			sel = strings.TrimSpace(spec[:at])
		}
	}
	if sel == "" {
		if f.attr == "" {
			return f, fmt.Errorf("%s: %q selects nothing", name, spec)
		}
		return f, nil
	}
	s, err := cascadia.ParseGroup(sel)
	if err != nil {
		return f, fmt.Errorf("%s: %q is not a CSS selector: %w", name, sel, err)
	}
	f.sel = s
	return f, nil
}

// newConfig compiles a source's selectors. A source without item and fields
// reads WordPress markup; every selector error names its field.
func newConfig(src *story.Source) (*config, error) {
	item, fields, next := src.Item, src.Fields, src.Next
	if item == "" && fields == nil {
		item, fields = WordPress.Item, &WordPress.Fields
		if next == "" {
			next = WordPress.Next
		}
	}
	if item == "" {
		return nil, fmt.Errorf("item: missing: name the CSS selector of one comment (e.g. %q)", WordPress.Item)
	}
	if fields == nil {
		fields = &WordPress.Fields
	}
	c := &config{jsonld: src.JSONLD}
	is, err := cascadia.ParseGroup(item)
	if err != nil {
		return nil, fmt.Errorf("item: %q is not a CSS selector: %w", item, err)
	}
	c.item = is
	idSpec := fields.ID
	if strings.TrimSpace(idSpec) == "" {
		idSpec = "@id"
	}
	for _, f := range []struct {
		name, spec string
		dst        *field
	}{
		{"fields.id", idSpec, &c.id},
		{"fields.author", fields.Author, &c.author},
		{"fields.time", fields.Time, &c.time},
		{"fields.text", fields.Text, &c.text},
		{"fields.likes", fields.Likes, &c.likes},
		{"fields.url", fields.URL, &c.url},
		{"next", next, &c.next},
	} {
		if *f.dst, err = parseField(f.name, f.spec); err != nil {
			return nil, err
		}
	}
	if c.next.sel != nil && c.next.attr == "" {
		c.next.attr = "href"
	}
	switch p := strings.TrimSpace(fields.Parent); p {
	case "ancestor":
		c.parentAncestor = true
	default:
		if c.parent, err = parseField("fields.parent", p); err != nil {
			return nil, err
		}
	}
	if c.time.raw == "" {
		return nil, fmt.Errorf("fields.time: missing: a comment without a time cannot be charted (e.g. %q)", WordPress.Fields.Time)
	}
	return c, nil
}

// ownFirst returns the first element under item (in document order) that
// matches f.sel without entering nested comment elements, so that a reply's
// author is never read as its parent's. It returns item itself for a field
// without selector.
func (c *config) ownFirst(item *html.Node, f field) *html.Node {
	if f.sel == nil {
		return item
	}
	var found *html.Node
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			if ch.Type != html.ElementNode {
				continue
			}
			if c.item.Match(ch) {
				continue // a nested comment: not ours
			}
			if f.sel.Match(ch) {
				found = ch
				return true
			}
			if walk(ch) {
				return true
			}
		}
		return false
	}
	walk(item)
	return found
}

// value reads field f of item: the attribute when the field names one, else
// the text with whitespace collapsed. With textFallback, an element that
// lacks the attribute gives its text instead (a <time> without datetime on a
// site that prints only human dates). ok is false when nothing matches.
func (c *config) value(item *html.Node, f field, textFallback bool) (v string, ok bool) {
	if f.raw == "" {
		return "", false
	}
	n := c.ownFirst(item, f)
	if n == nil {
		return "", false
	}
	if f.attr != "" {
		if a, ok := attr(n, f.attr); ok {
			return strings.TrimSpace(a), true
		}
		if f.sel == nil || !textFallback {
			return "", false
		}
	}
	return collapse(nodeText(n)), true
}

// attr returns n's attribute k.
func attr(n *html.Node, k string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == k {
			return a.Val, true
		}
	}
	return "", false
}

// nodeText is the concatenated text of n's subtree (scripts and styles
// skipped).
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if n.Data == "script" || n.Data == "style" {
				return
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(n)
	return b.String()
}

// collapse trims s and turns every run of white space into one space.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
