package web

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// innerTextsCases are comment bodies whose conversion could leak into the
// next comment if the combined conversion were wrong.
var innerTextsCases = []string{
	`<p>plain</p>`,
	``,
	`   `,
	`<pre>  leading spaces kept
and trailing newline
</pre>`,
	`text with <br><br> breaks<br>`,
	`<table><tr><td>a</td><td>b</td></tr></table>stray`,
	`<ul><li>one<li>two</ul>`,
	`<blockquote><p>quoted</p></blockquote> reply`,
	`<a href="https://example.com/a/very/long/path">https://example.com/a/ve...</a>`,
	`<img class="emoji" alt=":blobcat:"> <b>bold <i>both</b> italic?</i>`,
	`<form><input value="x"></form>after form`,
	`&amp;amp; &lt;b&gt; &#x1F494;`,
	`<p dir="rtl">خالص التعازي</p>`,
	// The last two force the one-by-one fallback.
	`contains the mark ` + textMark + ` itself`,
	`<plaintext>swallows the rest`,
}

// TestInnerTextsMatchesInnerText: converting a page's comments together
// gives exactly what converting each alone gives.
func TestInnerTextsMatchesInnerText(t *testing.T) {
	var docs []*html.Node
	var b strings.Builder
	for _, c := range innerTextsCases {
		b.WriteString(`<div class="c">` + c + `</div>`)
	}
	synthetic, err := html.Parse(strings.NewReader("<html><body>" + b.String() + "</body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, synthetic)
	files, _ := filepath.Glob("testdata/*.html")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := html.Parse(bytes.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	sel := cascadia.MustCompile(".c, .comment-content, .comment-body, .c-body, div.cooked")
	for i, d := range docs {
		nodes := queryAll(d, sel)
		// All nodes, and all but the last two (the synthetic document's
		// fallback cases): both the combined and the fallback path.
		for _, ns := range [][]*html.Node{nodes, nodes[:max(0, len(nodes)-2)]} {
			got := innerTexts(ns)
			if _, ok := combinedTexts(ns); i == 0 && len(ns) < len(nodes) && !ok {
				t.Errorf("the synthetic cases without the last two did not take the combined path")
			}
			for j, n := range ns {
				if want := innerText(n); got[j] != want {
					t.Errorf("doc %d, node %d: innerTexts = %q, innerText = %q", i, j, got[j], want)
				}
			}
		}
	}
}

// queryAll returns the elements under n matching m, in document order.
func queryAll(n *html.Node, m interface{ Match(*html.Node) bool }) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			if ch.Type != html.ElementNode {
				continue
			}
			if m.Match(ch) {
				out = append(out, ch)
			}
			walk(ch)
		}
	}
	walk(n)
	return out
}
