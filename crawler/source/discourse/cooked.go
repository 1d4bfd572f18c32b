package discourse

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/reactions-research/reactions/crawler/source/htmltext"
)

// cookedText returns the plain text of a post's cooked HTML without the
// posts it quotes: Discourse renders a quote as <aside class="quote">, whose
// words are someone else's and would mislead stance labelling.
func cookedText(cooked string) string {
	if !strings.Contains(cooked, "<aside") {
		return htmltext.FromHTML(cooked)
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(cooked), ctx)
	if err != nil {
		return htmltext.FromHTML(cooked)
	}
	var b strings.Builder
	for _, n := range nodes {
		dropQuotes(n)
		if isQuote(n) {
			continue
		}
		if err := html.Render(&b, n); err != nil {
			return htmltext.FromHTML(cooked)
		}
	}
	return htmltext.FromHTML(b.String())
}

func dropQuotes(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if isQuote(c) {
			n.RemoveChild(c)
		} else {
			dropQuotes(c)
		}
		c = next
	}
}

func isQuote(n *html.Node) bool {
	if n.Type != html.ElementNode || n.DataAtom != atom.Aside {
		return false
	}
	for _, a := range n.Attr {
		if a.Key == "class" && strings.Contains(" "+a.Val+" ", " quote ") {
			return true
		}
	}
	return false
}
