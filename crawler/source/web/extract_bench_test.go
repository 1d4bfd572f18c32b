package web

import (
	"bytes"
	"net/url"
	"os"
	"testing"

	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/story"
)

// BenchmarkExtractPage measures extraction alone (the HTML already parsed)
// on the WordPress golden page, with the adapter's default settings.
func BenchmarkExtractPage(b *testing.B) {
	src, err := os.ReadFile("testdata/wordpress-default.html")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := newConfig(&story.Source{JSONLD: true})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("https://news.example.com/2024/06/10/port-strike/comment-page-2/")
	canon := canonical(u)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := extractPage(doc, cfg, canon, u)
		if len(p.Reactions) != 5 {
			b.Fatalf("%d reactions", len(p.Reactions))
		}
	}
}

// BenchmarkParsePage is the HTML parse every client pays, for scale.
func BenchmarkParsePage(b *testing.B) {
	src, err := os.ReadFile("testdata/wordpress-default.html")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := html.Parse(bytes.NewReader(src)); err != nil {
			b.Fatal(err)
		}
	}
}
