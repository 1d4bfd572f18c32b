package web

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/crawler/source/htmltext"
)

// innerTextCases are comment bodies with markup whose text is easy to get
// wrong.
var innerTextCases = []string{
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
	"a private-use mark \uE000 and invalid UTF-8 \xff\xfe kept as U+FFFD",
	"tabs\tand\r\nnewlines\f collapse",
	`<pre>a` + "\t" + `b

c</pre>`,
	// Last: it swallows the rest of the page.
	`<plaintext>swallows <b>the</b> rest`,
}

// renderedText is the reference innerText: the element's content rendered
// back to HTML and converted by htmltext.FromHTML (what the adapter did
// before it read the parsed tree directly).
func renderedText(t *testing.T, n *html.Node) string {
	t.Helper()
	var b strings.Builder
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if err := html.Render(&b, ch); err != nil {
			t.Fatal(err)
		}
	}
	return htmltext.FromHTML(b.String())
}

// TestInnerTextMatchesRendered: reading a comment's text from the parsed
// page gives what rendering it and converting the HTML gives, on the cases
// above and on every comment of the golden pages.
func TestInnerTextMatchesRendered(t *testing.T) {
	var docs []*html.Node
	var b strings.Builder
	for _, c := range innerTextCases {
		b.WriteString(`<div class="c">` + c + `</div>`)
	}
	synthetic, err := html.Parse(strings.NewReader("<html><body>" + b.String() + "</body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, synthetic)
	files, _ := filepath.Glob("testdata/*.html")
	if len(files) == 0 {
		t.Fatal("no testdata/*.html pages")
	}
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
	checked := 0
	for i, d := range docs {
		for j, n := range queryAll(d, sel) {
			checked++
			if got, want := innerText(n), renderedText(t, n); got != want {
				t.Errorf("doc %d, node %d: innerText = %q, rendered = %q", i, j, got, want)
			}
		}
	}
	if checked < len(innerTextCases) {
		t.Fatalf("checked only %d elements", checked)
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
