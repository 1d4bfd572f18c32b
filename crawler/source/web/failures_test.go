package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// wpComment renders one WordPress comment.
func wpComment(id, author, datetime, text string) string {
	return fmt.Sprintf(`<li id="%s" class="comment depth-1"><article class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">%s</b></div><div class="comment-metadata"><time datetime="%s">x</time></div></footer><div class="comment-content"><p>%s</p></div></article></li>`, id, author, datetime, text)
}

func wpPage(comments, next string) string {
	nav := ""
	if next != "" {
		nav = `<a class="next page-numbers" href="` + next + `">Next</a>`
	}
	return `<!DOCTYPE html><html><head><title>t</title></head><body><ol class="comment-list">` + comments + `</ol>` + nav + `</body></html>`
}

func forumPage(comments string) string {
	return `<!DOCTYPE html><html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"DiscussionForumPosting","url":"/forum/","datePublished":"2024-01-01T10:00:00Z","author":{"name":"op"},"text":"The original post.","comment":[` + comments + `]}</script></head><body></body></html>`
}

// failureServer serves pages that exercise loops and failures, counting
// requests per path and query.
type failureServer struct {
	mu   sync.Mutex
	hits map[string]int
}

func (f *failureServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.RequestURI()]++
	f.mu.Unlock()
	html := func(s string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, s)
	}
	c1 := wpComment("comment-1", "a", "2024-01-01T10:00:00Z", "one")
	c2 := wpComment("comment-2", "b", "2024-01-01T11:00:00Z", "two")
	switch p, q := r.URL.Path, r.URL.Query().Get("cpage"); {
	case p == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "User-agent: *\nDisallow: /secret/\n")
	case p == "/loop/" && q == "":
		html(wpPage(c1, "/loop/?cpage=2#comments"))
	case p == "/loop/" && q == "2":
		// Links back to page 1 and to itself: a loop a crawler must end.
		html(wpPage(c2, "/loop/#comments") + `<a class="next" href="?cpage=2">again</a><a class="next" href="https://elsewhere.invalid/loop/">off-site</a>`)
	case p == "/forum/" && r.URL.Query().Get("page") == "":
		html(forumPage(`{"@type":"Comment","url":"/forum/2","datePublished":"2024-01-01T10:05:00Z","author":"x","text":"first reply"}`) +
			`<a class="next" href="/forum/?page=2">next</a>`)
	case p == "/forum/":
		// Later pages repeat the original post (Google's guidance).
		html(forumPage(`{"@type":"Comment","url":"/forum/3","datePublished":"2024-01-01T10:06:00Z","author":"y","text":"second reply"}`))
	case p == "/forum-css/":
		// A forum posting in JSON-LD without its comments, which are in the
		// HTML: the posting and the comments are all kept.
		html(`<!DOCTYPE html><html><head><script type="application/ld+json">{"@context":"https://schema.org",` +
			`"@type":"DiscussionForumPosting","url":"/forum-css/","datePublished":"2024-01-01T09:00:00Z","author":{"name":"op"},` +
			`"text":"The original post."}</script></head><body><ol class="comment-list">` + c1 + `</ol></body></html>`)
	case p == "/to-secret/":
		// A redirect into a path robots.txt disallows.
		http.Redirect(w, r, "/secret/moved/", http.StatusFound)
	case p == "/redir/" && q == "":
		html(wpPage(c1, "/redir/?cpage=2"))
	case p == "/redir/":
		// Page 2 redirects back to page 1: a loop through a redirect.
		http.Redirect(w, r, "/redir/", http.StatusFound)
	case p == "/moved/":
		http.Redirect(w, r, "/moved-to/", http.StatusMovedPermanently)
	case p == "/moved-to/":
		// Links to itself and to the page that redirected here: both were
		// fetched already.
		html(wpPage(c2, "/moved-to/#comments") + `<a class="next" href="/moved/">again</a>`)
	case p == "/cookie/":
		// Sets a cookie by redirecting back to the page requested.
		if _, err := r.Cookie("seen"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1", Path: "/"})
			http.Redirect(w, r, "/cookie/", http.StatusFound)
			return
		}
		html(wpPage(c1, ""))
	case p == "/gone/":
		w.WriteHeader(http.StatusNotFound)
		html("<html><body>not found</body></html>")
	case p == "/forbidden/":
		w.WriteHeader(http.StatusForbidden)
		html("<html><body>no bots</body></html>")
	case p == "/broken/":
		w.WriteHeader(http.StatusInternalServerError)
		html("<html><body>oops</body></html>")
	case p == "/json/":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"comments":[]}`)
	case p == "/empty/":
		html(wpPage("", ""))
	case p == "/secret/":
		html(wpPage(c1, ""))
	default:
		http.NotFound(w, r)
	}
}

func TestLoopsAndFailures(t *testing.T) {
	fs := &failureServer{hits: map[string]int{}}
	ts := httptest.NewServer(fs)
	defer ts.Close()

	tests := []struct {
		name      string
		pages     []string
		jsonld    bool
		wantIDs   []string // relative to ts.URL
		wantKinds string
		blocked   int
		wantErr   error
		twice     []string // pages fetched twice on purpose (a redirect back to them)
	}{
		{name: "pagination loop ends", pages: []string{"/loop/"},
			wantIDs: []string{"/loop/#comment-1", "/loop/#comment-2"}},
		{name: "redirect back to a page already fetched ends", pages: []string{"/redir/"},
			wantIDs: []string{"/redir/#comment-1"}},
		{name: "redirect target is remembered as fetched", pages: []string{"/moved/"},
			wantIDs: []string{"/moved/#comment-2"}},
		{name: "redirect back to the page requested is followed", pages: []string{"/cookie/"},
			wantIDs: []string{"/cookie/#comment-1"}, twice: []string{"/cookie/"}},
		{name: "forum posting repeated on later pages is emitted once", pages: []string{"/forum/"}, jsonld: true,
			wantIDs: []string{"/forum/", "/forum/#2", "/forum/#3"}},
		{name: "forum posting from JSON-LD kept beside comments from the HTML", pages: []string{"/forum-css/"}, jsonld: true,
			wantIDs: []string{"/forum-css/", "/forum-css/#comment-1"}},
		{name: "redirect into a robots.txt-disallowed path is not followed", pages: []string{"/to-secret/", "/loop/"},
			wantIDs: []string{"/loop/#comment-1", "/loop/#comment-2"}, wantKinds: "robots=1"},
		{name: "failures are counted, good pages kept", pages: []string{"/gone/", "/broken/", "/json/", "/empty/", "/forbidden/", "/secret/", "/loop/"},
			wantIDs:   []string{"/loop/#comment-1", "/loop/#comment-2"},
			wantKinds: "http_5xx=1 not_found=1 not_html=1 robots=1", blocked: 1},
		{name: "every page refused", pages: []string{"/secret/", "/forbidden/"},
			wantKinds: "robots=1", blocked: 1, wantErr: source.ErrRobots},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs.mu.Lock()
			fs.hits = map[string]int{}
			fs.mu.Unlock()
			src := &story.Source{JSONLD: tc.jsonld}
			for _, p := range tc.pages {
				src.Pages = append(src.Pages, ts.URL+p)
			}
			res := collect(t, testFetcher{}, src)
			if tc.wantErr != nil {
				if !errors.Is(res.err, tc.wantErr) {
					t.Fatalf("Collect error = %v, want %v", res.err, tc.wantErr)
				}
			} else if res.err != nil {
				t.Fatalf("Collect: %v", res.err)
			}
			var got []string
			for _, r := range res.reactions {
				got = append(got, strings.TrimPrefix(strings.TrimPrefix(r.ID, "web:"), ts.URL))
			}
			if strings.Join(got, " ") != strings.Join(tc.wantIDs, " ") {
				t.Errorf("ids = %v, want %v", got, tc.wantIDs)
			}
			if k := res.stats.kinds(); k != tc.wantKinds {
				t.Errorf("error kinds = %q, want %q", k, tc.wantKinds)
			}
			if len(res.stats.blocked) != tc.blocked {
				t.Errorf("blocked = %v, want %d", res.stats.blocked, tc.blocked)
			}
			fs.mu.Lock()
			defer fs.mu.Unlock()
			for uri, n := range fs.hits {
				if slices.Contains(tc.twice, uri) {
					if n != 2 {
						t.Errorf("%s fetched %d times, want 2", uri, n)
					}
				} else if n > 1 && uri != "/robots.txt" {
					t.Errorf("%s fetched %d times", uri, n)
				}
				if strings.HasPrefix(uri, "/secret/") {
					t.Errorf("robots.txt-disallowed %s was fetched", uri)
				}
			}
		})
	}
}

// TestEmitErrorAndCancel: an Emit failure stops the crawl with that error;
// a cancelled context stops it with the context's error.
func TestEmitErrorAndCancel(t *testing.T) {
	fs := &failureServer{hits: map[string]int{}}
	ts := httptest.NewServer(fs)
	defer ts.Close()
	a, _ := source.Lookup(reaction.Web)
	stop := errors.New("sink full")
	env := &source.Env{
		Story:   &story.Story{ID: "s"},
		Source:  &story.Source{Platform: reaction.Web, Name: "web", Pages: []string{ts.URL + "/loop/"}},
		Fetch:   testFetcher{},
		Authors: newAuthors(t),
		State:   memState{},
		Stats:   &recStats{},
		Now:     time.Now,
		Emit:    func(reaction.Reaction) error { return stop },
	}
	if err := a.Collect(context.Background(), env); !errors.Is(err, stop) {
		t.Errorf("Collect with failing Emit = %v, want %v", err, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env.Emit = func(reaction.Reaction) error { return nil }
	if err := a.Collect(ctx, env); !errors.Is(err, context.Canceled) {
		t.Errorf("Collect with cancelled context = %v, want context.Canceled", err)
	}
}

// TestRedirectRobotsOnAnotherSite: a page that redirects to another site is
// checked against that site's robots.txt, even when the robots.txt itself
// redirects (which must not loop).
func TestRedirectRobotsOnAnotherSite(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			http.Redirect(w, r, "/robots-moved", http.StatusMovedPermanently)
		case "/robots-moved":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, wpPage(wpComment("comment-1", "a", "2024-01-01T10:00:00Z", "one"), ""))
		}
	}))
	defer other.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-private/":
			http.Redirect(w, r, other.URL+"/private/page/", http.StatusFound)
		case "/to-public/":
			http.Redirect(w, r, other.URL+"/public/page/", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()

	res := collect(t, testFetcher{}, &story.Source{Pages: []string{site.URL + "/to-private/", site.URL + "/to-public/"}})
	if res.err != nil {
		t.Fatalf("Collect: %v", res.err)
	}
	if len(res.reactions) != 1 || !strings.HasPrefix(res.reactions[0].URL, other.URL+"/public/page/") {
		t.Errorf("reactions = %v, want the one comment of the public page", res.reactions)
	}
	if k := res.stats.kinds(); k != "robots=1" {
		t.Errorf("error kinds = %q, want robots=1", k)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/private/page/"] != 0 {
		t.Error("a redirect into a path the other site's robots.txt disallows was followed")
	}
	if hits["/robots-moved"] != 1 {
		t.Errorf("the other site's robots.txt was read %d times, want once", hits["/robots-moved"])
	}
}
