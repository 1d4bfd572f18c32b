package source

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWalk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int
		cursors []string
		stopAt  int // index of the cursor Next refuses, -1 for none
		kind    string
		msg     string
	}{
		{"cursors that end", 0, []string{"", "a", "b", "c"}, -1, "", ""},
		{"a cursor repeats", 0, []string{"", "a", "a"}, 2, "loop", `w: paging loop: page 3 would fetch "a" again, which page 2 fetched; the walk was stopped there`},
		{"A, B, A", 0, []string{"", "A", "B", "A"}, 3, "loop", `page 4 would fetch "A" again, which page 2 fetched`},
		{"back to the first page", 0, []string{"", "a", ""}, 2, "loop", `page 3 would fetch the first page again, which page 1 fetched`},
		{"the cap", 3, []string{"1", "2", "3", "4"}, 3, "truncated", "w: stopped at the cap of 3 pages; what lies beyond was not collected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := Walk{What: "w", Max: tc.max}
			for i, c := range tc.cursors {
				err := w.Next(c)
				switch {
				case i == tc.stopAt && (err == nil || ErrorKind(err) != tc.kind || !strings.Contains(err.Error(), tc.msg)):
					t.Fatalf("Next(%q) = %v, want %s: …%s…", c, err, tc.kind, tc.msg)
				case i != tc.stopAt && err != nil:
					t.Fatalf("Next(%q) = %v", c, err)
				case i == tc.stopAt:
					return
				}
			}
		})
	}
	w := Walk{What: "w"}
	if err := w.Repeats("page 2 repeats page 1"); !errors.Is(err, ErrLoop) || ErrorKind(err) != "loop" {
		t.Errorf("Repeats: %v", err)
	}
}

func TestCheckRedirect(t *testing.T) {
	req := func(u string) *http.Request {
		p, _ := url.Parse(u)
		return &http.Request{URL: p}
	}
	chain := func(us ...string) []*http.Request {
		var out []*http.Request
		for _, u := range us {
			out = append(out, req(u))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		to   string
		via  []*http.Request
		loop bool
	}{
		{"a plain redirect", "http://x/b", chain("http://x/a"), false},
		{"back to the page asked for, once (a cookie)", "http://x/a", chain("http://x/a", "http://x/b"), false},
		{"back to the page asked for, twice", "http://x/a", chain("http://x/a", "http://x/a"), true},
		{"A, B, A, B", "http://x/b", chain("http://x/a", "http://x/b", "http://x/a"), true},
		{"more than 10", "http://x/11", chain("http://x/0", "http://x/1", "http://x/2", "http://x/3", "http://x/4",
			"http://x/5", "http://x/6", "http://x/7", "http://x/8", "http://x/9"), true},
	} {
		err := CheckRedirect(req(tc.to), tc.via)
		if got := errors.Is(err, ErrRedirectLoop) && ErrorKind(err) == "redirect_loop"; got != tc.loop {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
