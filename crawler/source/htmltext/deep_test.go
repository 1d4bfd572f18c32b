package htmltext

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestCutDeep: a document nested deeper than the parser accepts parses once
// cut, keeping what lies above KeepDepth exactly and dropping the rest; and
// FromHTML of such a fragment is text, not its markup.
func TestCutDeep(t *testing.T) {
	deep := "<p>first</p>" + strings.Repeat("<div>", 600) + "deep" + strings.Repeat("</div>", 600) + "<p>after <b>the</b> deep part</p><br><img src=x>"
	doc := []byte("<html><body>" + deep + "</body></html>")
	if _, err := html.Parse(bytes.NewReader(doc)); !TooDeep(err) {
		t.Fatalf("the parser took 600 levels (err %v): the test needs a deeper document", err)
	}
	cut := CutDeep(doc, KeepDepth)
	n, err := html.Parse(bytes.NewReader(cut))
	if err != nil {
		t.Fatalf("cut document: %v", err)
	}
	got := FromNode(n)
	if !strings.Contains(got, "first") || !strings.Contains(got, "after the deep part") || strings.Contains(got, "deep\n") || strings.HasSuffix(got, "deep") {
		t.Errorf("text of the cut document: %q", got)
	}
	if c := bytes.Count(cut, []byte("<div>")); c != KeepDepth {
		t.Errorf("%d <div> kept, want %d", c, KeepDepth)
	}
	if txt := FromHTML(deep); strings.Contains(txt, "<") || !strings.Contains(txt, "after the deep part") {
		t.Errorf("FromHTML of a too deep fragment: %q", txt)
	}
	if shallow := "<p>a <i>b</i></p>"; string(CutDeep([]byte(shallow), KeepDepth)) != shallow {
		t.Errorf("a shallow document changed: %q", CutDeep([]byte(shallow), KeepDepth))
	}
}
