package htmltext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/reactions-research/reactions/internal/golden"
)

// TestGolden converts every testdata/*.html and compares with the .txt next
// to it (run with -update after checking a change by eye).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in testdata: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(in, ".html")+".txt", []byte(FromHTML(string(src))))
		})
	}
}

func TestFromHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"entities once", "&amp;amp; &quot;x&quot; &#x2F; &#39;", "&amp; \"x\" / '"},
		{"paragraph without closing tags", "a<p>b<p>c", "a\n\nb\n\nc"},
		{"empty paragraphs", "<p></p><p> </p><p>x</p><p></p>", "x"},
		{"br inside paragraph", "<p>a<br>b</p>", "a\nb"},
		{"two br make an empty line", "a<br><br>b", "a\n\nb"},
		{"three br are one empty line", "a<br><br><br>b", "a\n\nb"},
		{"inline tags keep spacing", "<b>bold</b> and <i>it</i>alic", "bold and italic"},
		{"short link text kept", `<a href="https://x.example/">x.example</a>`, "x.example"},
		{"ellipsis link not a prefix", `<a href="https://a.example/">see more...</a>`, "see more..."},
		{"unicode ellipsis", `<a href="https://www.example.com/long/path/here">https://www.example.com/long/…</a>`, "https://www.example.com/long/path/here"},
		{"nbsp kept as character", "a&nbsp;b", "a\u00a0b"},
		{"broken html", "<p>unclosed <b>bold", "unclosed bold"},
		{"less-than in text", "1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromHTML(tt.in); got != tt.want {
				t.Errorf("FromHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFromNode: converting a parsed tree gives what converting its HTML
// gives, on every golden input.
func TestFromNode(t *testing.T) {
	files, err := filepath.Glob("testdata/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in testdata: %v", err)
	}
	for _, in := range files {
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		div := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		nodes, err := html.ParseFragment(strings.NewReader(string(src)), div)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			div.AppendChild(n)
		}
		if got, want := FromNode(div), FromHTML(string(src)); got != want {
			t.Errorf("%s: FromNode = %q, FromHTML = %q", in, got, want)
		}
	}
	if got := FromNode(nil); got != "" {
		t.Errorf("FromNode(nil) = %q", got)
	}
}
