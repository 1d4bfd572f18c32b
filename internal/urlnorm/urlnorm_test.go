package urlnorm

import (
	"slices"
	"testing"
)

func TestKey(t *testing.T) {
	const want = "example.com/2020/09/30/teigen-loss"
	for _, raw := range []string{
		"https://www.example.com/2020/09/30/teigen-loss/",
		"http://example.com/2020/09/30/teigen-loss",
		"HTTPS://WWW.Example.com:443/2020/09/30/teigen-loss/#comments",
		"https://www.example.com/2020/09/30/teigen-loss/?utm_source=twitter&utm_medium=social&fbclid=IwAR0x",
		"https://www.example.com/2020/09/30/teigen-loss/?gclid=1&mc_cid=2&igshid=3",
		"https://www.example.com/2020/09/30/teigen-loss/amp/",
		"https://www.example.com/2020/09/30/teigen-loss/amp",
		"https://amp.example.com/2020/09/30/teigen-loss",
		"https://www.example.com/2020/09/30/teigen-loss?amp=1",
		"https://www.example.com/2020/09/30/teigen-loss?outputType=amp",
		"https://www-example-com.cdn.ampproject.org/c/s/www.example.com/2020/09/30/teigen-loss/amp/",
		"https://www.google.com/amp/s/www.example.com/2020/09/30/teigen-loss/amp/",
	} {
		got, err := Key(raw)
		if err != nil || got != want {
			t.Errorf("Key(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for raw, want := range map[string]string{
		"https://example.com/story.amp.html":        "example.com/story.html",
		"https://example.com/a?b=2&a=1&utm_term=x":  "example.com/a?a=1&b=2",
		"https://example.com/":                      "example.com",
		"https://example.com/a?id=7&outputType=rss": "example.com/a?id=7&outputType=rss",
	} {
		if got, err := Key(raw); err != nil || got != want {
			t.Errorf("Key(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://example.com/a", "example.com/a", "https://"} {
		if _, err := Key(bad); err == nil {
			t.Errorf("Key(%q): no error", bad)
		}
	}
	if Same("https://example.com/a", "https://example.com/b") {
		t.Error("two articles are the same")
	}
}

func TestForms(t *testing.T) {
	got := Forms("https://www.example.com/2020/09/30/teigen-loss/?utm_source=x")
	for _, want := range []string{
		"https://www.example.com/2020/09/30/teigen-loss/?utm_source=x", // the original, first
		"https://www.example.com/2020/09/30/teigen-loss",
		"https://www.example.com/2020/09/30/teigen-loss/",
		"https://example.com/2020/09/30/teigen-loss/",
		"http://example.com/2020/09/30/teigen-loss",
		"https://www.example.com/2020/09/30/teigen-loss/amp/",
		"https://amp.example.com/2020/09/30/teigen-loss",
		"https://example.com/2020/09/30/teigen-loss/amp/",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Forms lacks %q: %q", want, got)
		}
	}
	if got[0] != "https://www.example.com/2020/09/30/teigen-loss/?utm_source=x" || len(got) != 12 {
		t.Errorf("Forms = %d %q", len(got), got)
	}
	for _, f := range got {
		if !Same(f, got[0]) {
			t.Errorf("form %q is not the same article", f)
		}
	}
	s := NewSet([]string{"https://example.com/a/", "http://www.example.com/a?utm_source=x", "nope"})
	if s.Len() != 1 {
		t.Errorf("set of %d keys, want 1", s.Len())
	}
	if u, ok := s.Match("https://amp.example.com/a"); !ok || u != "https://example.com/a/" {
		t.Errorf("Match = %q, %v", u, ok)
	}
}
