package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		raw  string
		want string // RFC 3339 UTC, "" for not parseable
	}{
		{"2024-06-10T09:37:55+00:00", "2024-06-10T09:37:55Z"},
		{"2024-06-10T09:37:55-07:00", "2024-06-10T16:37:55Z"},
		{"2024-06-10T09:37:55.123456+05:30", "2024-06-10T04:07:55Z"},
		{"2024-06-10T09:37:55+0200", "2024-06-10T07:37:55Z"},
		{"2024-06-10T09:37:55", "2024-06-10T09:37:55Z"},
		{"2024-06-10 09:37:55", "2024-06-10T09:37:55Z"},
		{"2024-06-10", "2024-06-10T00:00:00Z"},
		{"Mon, 10 Jun 2024 07:00:00 GMT", "2024-06-10T07:00:00Z"},
		{"1718012275", "2024-06-10T09:37:55Z"},
		{"1718012275123", "2024-06-10T09:37:55Z"},
		{"June 10, 2024 at 9:37 am", "2024-06-10T09:37:00Z"},
		{"June 10, 2024 at 9:37 PM", "2024-06-10T21:37:00Z"},
		{"june 10, 2024 at 12:05 am", "2024-06-10T00:05:00Z"},
		{"Jun. 10, 2024, 9:37 p.m.", "2024-06-10T21:37:00Z"},
		{"10 June 2024 at 21:37", "2024-06-10T21:37:00Z"},
		{"June 10, 2024 9:37am", "2024-06-10T09:37:00Z"},
		{"Monday, June 10, 2024 at 9:37 am", "2024-06-10T09:37:00Z"},
		{"June 10, 2024", "2024-06-10T00:00:00Z"},
		{"10 de junio de 2024 a las 9:37", "2024-06-10T09:37:00Z"},
		{"10 juin 2024 à 9 h 37", "2024-06-10T09:37:00Z"},
		{"10 juin 2024 à 9h37", "2024-06-10T09:37:00Z"},
		{"10. Juni 2024 um 21:37 Uhr", "2024-06-10T21:37:00Z"},
		{"10 giugno 2024 alle 9:37", "2024-06-10T09:37:00Z"},
		{"  June\u00a010,\n 2024  ", "2024-06-10T00:00:00Z"},
		{"2 hours ago", ""},
		{"hace 2 horas", ""},
		{"yesterday", ""},
		{"", ""},
		{"0000-00-00 00:00:00", ""},
		{"1970-01-01T00:00:00Z", ""},
		{"12345", ""},
	}
	for _, tc := range tests {
		got, ok := parseTime(tc.raw)
		s := ""
		if ok {
			s = got.Format(time.RFC3339)
			if got.Location() != time.UTC {
				t.Errorf("parseTime(%q) is not in UTC: %v", tc.raw, got.Location())
			}
		}
		if s != tc.want {
			t.Errorf("parseTime(%q) = %q, want %q", tc.raw, s, tc.want)
		}
	}
}

func TestCanonicalAndRefs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://news.example.com/a/", "https://news.example.com/a/"},
		{"https://news.example.com/a/?cpage=2#comments", "https://news.example.com/a/"},
		{"https://news.example.com/a/comment-page-3/#comment-9", "https://news.example.com/a/"},
		{"https://news.example.com/a/comment-page-3", "https://news.example.com/a/"},
		{"https://news.example.com/a?id=5&cpage=2&utm_source=x&replytocom=7", "https://news.example.com/a?id=5"},
		{"https://news.example.com/article.php?id=5", "https://news.example.com/article.php?id=5"},
	}
	for _, tc := range tests {
		u, _ := url.Parse(tc.in)
		if got := canonical(u); got != tc.want {
			t.Errorf("canonical(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	canon := "https://forum.example.org/t/slug/5512/"
	base, _ := url.Parse(canon + "?page=2")
	refs := []struct {
		ref, want string
		ok        bool
	}{
		{"#post_3", "web:" + canon + "#post_3", true},
		{canon + "?cpage=2#comment-12", "web:" + canon + "#comment-12", true},
		{"https://forum.example.org/t/slug/5512/3", "web:" + canon + "#3", true},
		{"https://forum.example.org/t/slug/5512", "", false},
		{canon, "", false},
		{"https://elsewhere.example/x#y", "web:https://elsewhere.example/x#y", true},
		{"_:b0", "", false},
		{"", "", false},
	}
	for _, tc := range refs {
		got, ok := refID(canon, base, tc.ref)
		if got != tc.want || ok != tc.ok {
			t.Errorf("refID(%q) = %q, %v; want %q, %v", tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"12", 12}, {"12 likes", 12}, {"Likes: 1,234", 1234}, {"1.204 me gusta", 1204},
		{"1.2k", 1200}, {"1,2K", 1200}, {"2,5 mil", 2500}, {"3M", 3000000}, {"3 me gusta", 3},
		{"", 0}, {"none", 0}, {"+7", 7},
	}
	for _, tc := range tests {
		if got := parseCount(tc.in); got != tc.want {
			t.Errorf("parseCount(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		src  story.Source
		want string // substring of the error, "" for none
	}{
		{"defaults", story.Source{}, ""},
		{"jsonld only", story.Source{JSONLD: true}, ""},
		{"bad item", story.Source{Item: "li[", Fields: &story.WebFields{Time: "time"}}, `item: "li[" is not a CSS selector`},
		{"bad field", story.Source{Item: "li", Fields: &story.WebFields{Time: "time", Author: ".a >> .b"}}, `fields.author: ".a >> .b" is not a CSS selector`},
		{"no time", story.Source{Item: "li", Fields: &story.WebFields{Text: ".x"}}, "fields.time: missing"},
		{"fields without item", story.Source{Fields: &story.WebFields{Time: "time"}}, "item: missing"},
		{"attr in attribute selector", story.Source{Item: "li", Fields: &story.WebFields{Time: `a[href*="@x"]`}}, ""},
		{"bad next", story.Source{Next: "a.next[@href"}, "next:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newConfig(&tc.src)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	f, err := parseField("x", "time@datetime")
	if err != nil || f.attr != "datetime" || f.sel == nil {
		t.Errorf(`parseField("time@datetime") = %+v, %v`, f, err)
	}
	f, err = parseField("x", "@data-id")
	if err != nil || f.attr != "data-id" || f.sel != nil {
		t.Errorf(`parseField("@data-id") = %+v, %v`, f, err)
	}
}

func TestIsHTML(t *testing.T) {
	tests := []struct {
		contentType, body string
		want              bool
	}{
		{"text/html; charset=UTF-8", "", true},
		{"TEXT/HTML", "", true},
		{" application/xhtml+xml ; charset=utf-8", "", true},
		{"", "<!DOCTYPE html><html><body>x</body></html>", true}, // sniffed
		{"", `{"comments": []}`, false},
		{"application/json", "<html></html>", false},
		{"text/plain", "<html></html>", false},
		{"application/ld+json", "", false},
	}
	for _, tt := range tests {
		if got := isHTML(tt.contentType, []byte(tt.body)); got != tt.want {
			t.Errorf("isHTML(%q, %q) = %v, want %v", tt.contentType, tt.body, got, tt.want)
		}
	}
}

func TestCommentIDIsMakeID(t *testing.T) {
	for _, tt := range []struct{ canon, key string }{
		{"https://news.example.com/2020/10/01/teigen/", "comment-12"},
		{"https://forum.example/t/1", "h-0123456789abcdef"},
		{"", ""},
	} {
		if got, want := commentID(tt.canon, tt.key), reaction.MakeID(reaction.Web, tt.canon+"#"+tt.key); got != want {
			t.Errorf("commentID(%q, %q) = %q, want %q", tt.canon, tt.key, got, want)
		}
	}
}

func TestVisitKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://news.example.com/a/?cpage=2#comments", "https://news.example.com/a/?cpage=2"},
		{"HTTPS://News.Example.COM:443/a/", "https://news.example.com/a/"},
		{"http://news.example.com:80/a/", "http://news.example.com/a/"},
		{"http://news.example.com:8080/a/", "http://news.example.com:8080/a/"},
		{"https://news.example.com", "https://news.example.com/"},
		{"https://news.example.com/A/B?x=1", "https://news.example.com/A/B?x=1"}, // paths keep their case
		{"http://[::1]:80/a", "http://[::1]/a"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := visitKey(u); got != tt.want {
			t.Errorf("visitKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlaceholderAndDeletedClass(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"This comment was removed", true},
		{"  this comment has been deleted by a moderator.  ", false}, // not a known wording
		{"This comment has been removed by a moderator.", true},
		{"[deleted]", true},
		{"REMOVED!", true},
		{"Dieser Kommentar wurde gelöscht.", true},
		{"removed?", false},
		{"I removed my earlier comment", false},
		{"", false},
		{"...", false},
	} {
		if got := placeholder(tt.text); got != tt.want {
			t.Errorf("placeholder(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	for _, tt := range []struct {
		class string
		want  bool
	}{
		{"comment depth-1 comment-removed", true},
		{"comment Is-Deleted", true},
		{"comment\tdeleted\n", true},
		{"comment undeleted", false},
		{"", false},
	} {
		n := &html.Node{Type: html.ElementNode, Data: "li", Attr: []html.Attribute{{Key: "class", Val: tt.class}}}
		if got := deletedItem(n); got != tt.want {
			t.Errorf("deletedItem(class=%q) = %v, want %v", tt.class, got, tt.want)
		}
	}
}
