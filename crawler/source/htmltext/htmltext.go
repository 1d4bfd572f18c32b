// Package htmltext turns the HTML that platforms put in their JSON
// (Mastodon "content", Hacker News "text" and "comment_text", Discourse
// "cooked", Reddit "body_html" once unescaped) and the comments of web
// pages into the plain text of a reaction, as a reader sees it in a
// browser: entities decoded exactly once, whitespace collapsed, blocks
// separated by blank lines, links as their visible (or full) text, scripts
// and images dropped. FromHTML converts a string, FromNode and FromNodes a
// parsed tree; docs/platforms.md ("Plain text from HTML") gives the rules.
package htmltext

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FromHTML returns the plain text of an HTML fragment. It never fails: text
// that is not HTML at all comes back with its whitespace collapsed.
func FromHTML(s string) string {
	if !strings.ContainsAny(s, "<&") {
		// Plain text: only whitespace collapsing applies.
		var w writer
		w.text(s)
		return w.String()
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if TooDeep(err) {
		// What lies deeper than any reader follows is dropped; the rest
		// is text as usual, never markup.
		nodes, err = html.ParseFragment(strings.NewReader(string(CutDeep([]byte(s), KeepDepth))), ctx)
	}
	if err != nil {
		return strings.TrimSpace(s)
	}
	return FromNodes(nodes)
}

// FromNode returns the plain text of n's content (its children, not n's own
// tag), read straight from the parsed tree. For well-formed content it is
// what FromHTML returns for the HTML of that content; for mis-nested markup,
// which the page's parse and a fragment's re-parse may repair differently,
// it follows the page's tree, as a browser does. It is innerText for an
// element of a parsed page.
func FromNode(n *html.Node) string {
	if n == nil {
		return ""
	}
	var w writer
	w.b.Grow(textLen(n))
	w.children(n)
	return w.String()
}

// textLen is the length of the text under n, which the plain text rarely
// exceeds (breaks replace tags and collapsed white space): FromNode sizes its
// buffer with it rather than growing it step by step.
func textLen(n *html.Node) int {
	size := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			size += len(c.Data)
		} else if c.FirstChild != nil {
			size += textLen(c)
		}
	}
	return size
}

// FromNodes returns the plain text of a sequence of sibling nodes, such as
// the result of html.ParseFragment.
func FromNodes(nodes []*html.Node) string {
	var w writer
	for _, n := range nodes {
		w.node(n)
	}
	return w.String()
}

// writer accumulates text with pending breaks and spaces, so that breaks at
// the start and end are dropped and never doubled.
type writer struct {
	b        strings.Builder
	newlines int  // line breaks owed before the next text (at most 2)
	space    bool // a collapsed space owed before the next text
	pre      int  // depth of <pre> elements
}

func (w *writer) String() string { return w.b.String() }

// brk asks for at least n line breaks (1 = new line, 2 = new paragraph).
func (w *writer) brk(n int) {
	if w.newlines < n {
		w.newlines = n
	}
	w.space = false
}

// br adds one line break; two <br> in a row make an empty line.
func (w *writer) br() {
	if w.newlines < 2 {
		w.newlines++
	}
	w.space = false
}

// flush writes what is owed before a visible character.
func (w *writer) flush() {
	if w.b.Len() == 0 {
		w.newlines, w.space = 0, false
		return
	}
	if w.newlines > 0 {
		w.b.WriteString("\n\n"[:w.newlines])
		w.newlines, w.space = 0, false
		return
	}
	if w.space {
		w.b.WriteByte(' ')
		w.space = false
	}
}

// text writes s with whitespace collapsed (or kept inside <pre>).
func (w *writer) text(s string) {
	if w.pre > 0 {
		w.preText(s)
		return
	}
	// Runs of visible bytes are copied at once: the white space bytes are
	// ASCII, so they never occur inside a multi-byte UTF-8 sequence.
	for len(s) > 0 {
		i := 0
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i > 0 {
			if w.newlines == 0 {
				w.space = true
			}
			s = s[i:]
			continue
		}
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		w.flush()
		w.write(s[:i])
		s = s[i:]
	}
}

// preText writes s as is (inside <pre>), its newlines as line breaks.
func (w *writer) preText(s string) {
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			w.flush()
			w.write(s)
			return
		}
		if i > 0 {
			w.flush()
			w.write(s[:i])
		}
		w.br()
		s = s[i+1:]
	}
}

// write copies visible text, replacing invalid UTF-8 with U+FFFD as a
// rune-by-rune copy would.
func (w *writer) write(s string) {
	if utf8.ValidString(s) {
		w.b.WriteString(s)
		return
	}
	for _, r := range s {
		w.b.WriteRune(r)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// Elements whose boundaries separate paragraphs.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Blockquote: true, atom.Pre: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Table: true, atom.Hr: true,
	atom.Section: true, atom.Article: true, atom.Aside: true, atom.Header: true,
	atom.Footer: true, atom.Figure: true, atom.Figcaption: true, atom.Details: true,
	atom.Summary: true, atom.Address: true, atom.Main: true, atom.Nav: true,
}

// Elements whose boundaries start a new line.
var lines = map[atom.Atom]bool{atom.Li: true, atom.Tr: true, atom.Dt: true, atom.Dd: true}

// Elements whose content is never shown.
var hidden = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Template: true, atom.Head: true,
	atom.Noscript: true, atom.Iframe: true, atom.Object: true, atom.Svg: true,
}

func (w *writer) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		w.children(n)
		return
	default: // comments, doctypes
		return
	}
	switch {
	case hidden[n.DataAtom]:
		return
	case n.DataAtom == atom.Br:
		w.br()
		return
	case n.DataAtom == atom.Img:
		if alt := attr(n, "alt"); alt != "" && strings.Contains(attr(n, "class"), "emoji") {
			w.text(alt)
		}
		return
	case n.DataAtom == atom.A:
		w.link(n)
		return
	case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
		if n.PrevSibling != nil {
			w.text(" ")
		}
		w.children(n)
		return
	case blocks[n.DataAtom]:
		w.brk(2)
		if n.DataAtom == atom.Pre {
			w.pre++
			w.children(n)
			w.pre--
		} else {
			w.children(n)
		}
		w.brk(2)
		return
	case lines[n.DataAtom]:
		w.brk(1)
		w.children(n)
		w.brk(1)
		return
	}
	w.children(n)
}

func (w *writer) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

// link writes a link's visible text, or its href when the text is a
// shortened copy of it (Hacker News cuts long URLs to "https://exa...").
func (w *writer) link(n *html.Node) {
	href := attr(n, "href")
	if href != "" {
		var inner writer
		inner.children(n)
		shown := inner.String()
		for _, dots := range []string{"...", "…"} {
			if cut, ok := strings.CutSuffix(shown, dots); ok && len(cut) >= 8 && strings.HasPrefix(href, cut) {
				w.text(href)
				return
			}
		}
	}
	w.children(n)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}
