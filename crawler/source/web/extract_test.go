package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/story"
)

// goldenCase is a testdata/<name>.source.json: the page a story names, the
// URL the HTML was fetched from (a later comment page; default the page)
// and the source's settings.
type goldenCase struct {
	Page    string       `json:"page"`
	Fetched string       `json:"fetched"`
	Source  story.Source `json:"source"`
}

// goldenReaction is what extraction fills of a reaction (author raw).
type goldenReaction struct {
	ID        string `json:"id"`
	ParentID  string `json:"parent_id"`
	RootID    string `json:"root_id"`
	URL       string `json:"url"`
	CreatedAt string `json:"created_at"`
	Author    string `json:"author"`
	Text      string `json:"text"`
	Lang      string `json:"lang,omitempty"`
	Likes     int64  `json:"likes,omitempty"`
	Replies   int64  `json:"replies,omitempty"`
	Deleted   bool   `json:"deleted,omitempty"`
}

type goldenPage struct {
	From      string           `json:"from"`
	Reactions []goldenReaction `json:"reactions"`
	Skipped   []skip           `json:"skipped,omitempty"`
	Problems  []problem        `json:"problems,omitempty"`
	Next      []string         `json:"next,omitempty"`
	JSOnly    string           `json:"js_only,omitempty"`
}

// TestExtractGolden extracts every testdata/*.html page with the settings
// of its .source.json and compares with its .golden.json (run with -update
// after checking a change by eye).
func TestExtractGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in testdata: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			base := strings.TrimSuffix(in, ".html")
			var gc goldenCase
			raw, err := os.ReadFile(base + ".source.json")
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&gc); err != nil {
				t.Fatalf("%s.source.json: %v", base, err)
			}
			cfg, err := newConfig(&gc.Source)
			if err != nil {
				t.Fatal(err)
			}
			page, err := url.Parse(gc.Page)
			if err != nil {
				t.Fatal(err)
			}
			fetched := page
			if gc.Fetched != "" {
				if fetched, err = url.Parse(gc.Fetched); err != nil {
					t.Fatal(err)
				}
			}
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(bytes.NewReader(toUTF8(src, "text/html")))
			if err != nil {
				t.Fatal(err)
			}
			p := extractPage(doc, cfg, canonical(page), fetched)
			out := goldenPage{From: p.From, Skipped: p.Skipped, Problems: p.Problems, Next: p.Next, JSOnly: p.JSOnly, Reactions: []goldenReaction{}}
			for _, r := range p.Reactions {
				out.Reactions = append(out.Reactions, goldenReaction{
					ID: r.ID, ParentID: r.ParentID, RootID: r.RootID, URL: r.URL,
					CreatedAt: r.CreatedAt.Format(time.RFC3339), Author: r.Author, Text: r.Text,
					Lang: r.Lang, Likes: r.Likes, Replies: r.Replies, Deleted: r.Deleted,
				})
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, base+".golden.json", b.Bytes())
		})
	}
}
