// Package web collects the comments of web pages: news articles with a
// comment section, blog posts, forum threads (docs/sources.md §7).
//
// A source names its pages and, optionally, how to read them:
//
//	sources:
//	  - platform: web
//	    pages: [https://news.example.com/2020/10/01/teigen/]
//	    item: li.comment                  # CSS selector of one comment
//	    fields: {id: "@id", author: ".comment-author .fn", time: "time@datetime",
//	             text: ".comment-content", parent: "ancestor"}
//	    next: "a.next@href"               # pagination link(s), followed to the end
//	    jsonld: true                      # read schema.org JSON-LD first
//
// Without item and fields the adapter reads WordPress's default comment
// markup (see WordPress). Field selectors are relative to one comment
// element: "sel" reads the text of the first match, "sel@attr" an attribute,
// "@attr" the comment element's own attribute; matches inside a nested reply
// are never taken for its parent's. parent "ancestor" threads comments by
// nesting (the closest enclosing comment element, WordPress's ol.children);
// any other parent selector reads the id of the comment answered.
//
// With jsonld, every <script type="application/ld+json"> block is read first
// (an object, an array or an @graph); comments nested under any work's
// "comment" property are taken recursively, a reply's parent being the
// enclosing Comment. A DiscussionForumPosting or SocialMediaPosting is a
// reaction too (the thread's root); an Article or NewsArticle is not: it is
// what the comments react to. creativeWorkStatus "Deleted" marks a deleted
// comment. The CSS selectors are used only when JSON-LD yields no comment.
//
// # Ids
//
// A comment's id is "web:<article URL>#<comment id>" (docs/sources.md 0.6),
// where the article URL is the page named in the story without fragment,
// comment paging (?cpage=N, /comment-page-N/, ?replytocom=) and utm_*
// parameters, so that comments found on ?cpage=2 belong to the article. The
// article itself, "web:<article URL>", is every comment's RootID and the
// ParentID of top-level comments, but is never emitted: an article is not a
// reaction. A comment without id is named by a digest of its author, time
// and text. The permalink (URL) is the page the comment was found on,
// anchored at its id, unless a url field is configured.
//
// # Time
//
// Machine times come first (a datetime attribute, JSON-LD datePublished):
// RFC 3339 with any offset, converted to UTC. A selector whose element lacks
// the attribute falls back to the element's text, for sites that print only
// human dates ("June 10, 2024 at 9:37 am", "10 de junio de 2024 a las
// 9:37"): these carry no zone and are read as UTC, which is off by the
// site's UTC offset for sites that print local time. A comment with no
// parseable time ("2 hours ago", nothing at all) cannot be placed on a time
// chart: it is skipped and counted as an error of kind "no_time" (the raw
// string goes to the debug log). It is never given the article's time or the
// crawl time, which would put it at a moment it was not written.
//
// # Deleted comments
//
// A comment is Deleted (text and author emptied) when JSON-LD says so, when
// its element has a class such as "deleted" or "comment-removed", or when
// its whole text is a known moderation placeholder ("This comment was
// removed"). A comment that merely mentions removal keeps its text.
//
// # Politeness and failures
//
// Pages are fetched with the crawler's Colly collector: robots.txt is obeyed
// (a disallowed page is never requested and is reported as an error of kind
// "robots"), and so are the crawler's rate limits and retries. A page
// answering 401 or 403 is reported with Stats.Blocked. When every page of a
// source is refused, Collect returns an error wrapping source.ErrRobots or
// source.ErrBlocked.
// Pagination links are followed breadth-first on the same host; a page is
// fetched at most once per run, so pagination loops end. A page that yields
// no comment but has the hallmarks of a JavaScript comment system (Disqus,
// Coral, OpenWeb, Viafoura, the Facebook comments plugin, …) is reported as
// an error of kind "js_only" naming the system, since its comments are not
// in the HTML. Pages are fetched again on every run (they are cheap); the
// crawler skips reactions it already sent unchanged.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gocolly/colly/v2"
	"github.com/temoto/robotstxt"
	"golang.org/x/net/html"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/htmltext"
	"github.com/reactions-research/reactions/reaction"
)

func init() {
	source.Register(reaction.Web, func() source.Adapter { return &Adapter{} })
}

// maxPages bounds the pages of one article (its page and the pagination
// followed from it).
const maxPages = 1000

// Adapter collects comments from web pages. The zero value is ready to use.
type Adapter struct{}

// fetched is what the collector's callbacks learned about one request.
type fetched struct {
	status      int
	contentType string
	parsed      bool
	// tooDeep: the page nests deeper than the parser accepts; only the
	// part above htmltext.KeepDepth was read.
	tooDeep bool
	page    page
	err     error
	// canonURL is the article's canonical URL, for ids.
	canonURL string
}

// run is one Collect call.
type run struct {
	env     *source.Env
	cfg     *config
	log     *slog.Logger
	c       *colly.Collector
	cur     *fetched
	visited map[uint64]struct{}
	seed    maphash.Seed
	robots  map[string]*robotstxt.RobotsData // by scheme://host, for redirect targets
}

// Collect implements source.Adapter.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	src := env.Source
	cfg, err := newConfig(src)
	if err != nil {
		return fmt.Errorf("web source %s: %w", src.Name, err)
	}
	if len(src.Pages) == 0 {
		return fmt.Errorf("web source %s: no pages to collect", src.Name)
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &run{env: env, cfg: cfg, log: log.With("platform", string(reaction.Web), "source", src.Name),
		visited: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
	r.c = env.Fetch.Collector(ctx)
	// The callbacks below write r.cur, one request at a time: the collector
	// must be synchronous (the crawler's are; this keeps it so).
	r.c.Async = false
	// The adapter fetches a page at most once per run by its own visited
	// set (markVisited, 8 bytes a page), redirect targets included (see
	// redirect). Colly's visited check would do the same again: parse and
	// hash every URL once more and keep a map entry per page.
	r.c.AllowURLRevisit = true
	r.c.SetRedirectHandler(r.redirect)
	// The page is parsed here rather than in an OnHTML callback: Colly's
	// OnHTML builds a goquery document and walks it twice (for <base> and
	// for the callback's selector) before the extractor walks it again;
	// extractPage needs only the parsed tree, which it walks once.
	r.c.OnResponse(func(resp *colly.Response) {
		r.cur.status = resp.StatusCode
		if resp.Headers != nil {
			r.cur.contentType = resp.Headers.Get("Content-Type")
		}
		if r.cur.parsed || r.cur.status < 200 || r.cur.status > 299 || !isHTML(r.cur.contentType, resp.Body) {
			return
		}
		body := toUTF8(resp.Body, r.cur.contentType)
		doc, err := html.Parse(bytes.NewReader(body))
		if htmltext.TooDeep(err) {
			// Read what lies above the deep part; the page is still
			// reported, since comments nested deeper are lost.
			r.cur.tooDeep = true
			doc, err = html.Parse(bytes.NewReader(htmltext.CutDeep(body, htmltext.KeepDepth)))
		}
		if err != nil {
			r.cur.err = &source.ParseError{URL: resp.Request.URL.String(), Err: pageError(r.cur.tooDeep, err)}
			return
		}
		r.cur.parsed = true
		r.cur.page = extractPage(doc, cfg, r.cur.canonURL, resp.Request.URL)
	})
	r.c.OnError(func(resp *colly.Response, err error) {
		if resp != nil && resp.StatusCode != 0 {
			r.cur.status = resp.StatusCode
		}
		r.cur.err = err
	})

	var refused []error
	for _, p := range src.Pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := r.article(ctx, p)
		var re *refusal
		switch {
		case errors.As(err, &re):
			refused = append(refused, re.err)
		case err != nil:
			return err
		}
	}
	if len(refused) == len(src.Pages) {
		// Nothing could be fetched: say why, with the first refusal.
		return fmt.Errorf("web source %s: every page was refused: %w", src.Name, refused[0])
	}
	return nil
}

// pageError says why a page could not be read: err, or that it nests
// deeper than the HTML parser accepts (then only the part above
// htmltext.KeepDepth was read, when err is nil).
func pageError(tooDeep bool, err error) error {
	switch {
	case tooDeep && err == nil:
		return fmt.Errorf("page too deeply nested to parse (more than %d levels): only what lies less than %d levels deep was read; comments nested deeper are missing",
			htmltext.MaxParseDepth, htmltext.KeepDepth)
	case tooDeep:
		return fmt.Errorf("page too deeply nested to parse (more than %d levels): %v", htmltext.MaxParseDepth, err)
	}
	return fmt.Errorf("parse HTML: %v", err)
}

// refusal is an article whose first page was refused (robots.txt, 401/403).
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

// article crawls one page named in the story and its pagination. It
// returns an error only when the context ends or Emit fails, or a *refusal
// when the first page was refused.
func (r *run) article(ctx context.Context, start string) error {
	u, err := url.Parse(strings.TrimSpace(start))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.env.Stats.Error("bad_input", fmt.Errorf("web: page %q is not an http(s) URL", start))
		return nil
	}
	canon := canonical(u)
	queue := []string{visitKey(u)}
	roots := map[string]bool{} // postings already emitted (later pages repeat them)
	first := true
	// Pages are fetched once per run (markVisited), so a pagination loop
	// ends by itself; the walk bounds a site that makes up new pages.
	walk := source.Walk{What: "web: " + start, Max: maxPages}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		pu := queue[0]
		queue = queue[1:]
		if r.isVisited(pu) {
			continue
		}
		if err := walk.Next(pu); err != nil {
			r.env.Stats.Error(source.ErrorKind(err), err)
			return nil
		}
		r.markVisited(pu)
		f := &fetched{canonURL: canon}
		r.cur = f
		err := r.c.Visit(pu)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && f.err != nil {
			err = f.err
		}
		if refused := r.failed(pu, f, err); refused != nil {
			if first {
				return &refusal{refused}
			}
			continue
		}
		if err != nil || f.status < 200 || f.status > 299 {
			continue // reported by failed
		}
		first = false
		if !f.parsed {
			r.env.Stats.Error("not_html", fmt.Errorf("web: %s: not an HTML page (Content-Type %q)", pu, f.contentType))
			continue
		}
		if f.tooDeep {
			r.env.Stats.Error("parse", fmt.Errorf("web: %w", &source.ParseError{URL: pu, Err: pageError(true, nil)}))
		}
		r.env.Stats.Page()
		if err := r.emit(pu, &f.page, roots); err != nil {
			return err
		}
		for _, n := range f.page.Next {
			if !r.isVisited(n) {
				queue = append(queue, n)
			}
		}
	}
	return nil
}

// failed reports a failed fetch to Stats and returns the refusal error when
// the site refused us (robots.txt, 401, 403), else nil.
func (r *run) failed(u string, f *fetched, err error) error {
	var already *colly.AlreadyVisitedError
	switch {
	case err == nil && (f.status == 0 || f.status >= 200 && f.status <= 299):
		return nil
	case errors.As(err, &already):
		r.log.Debug("page already visited", "url", u)
		return nil
	case errors.Is(err, colly.ErrRobotsTxtBlocked) || errors.Is(err, source.ErrRobots):
		// Counted as an error of kind "robots" wrapping Colly's error, which
		// the crawler also counts in its robots metric; the refusal
		// returned wraps source.ErrRobots for Collect's caller.
		if !errors.Is(err, colly.ErrRobotsTxtBlocked) {
			err = colly.ErrRobotsTxtBlocked
		}
		r.env.Stats.Error("robots", fmt.Errorf("web: %s: %w", u, err))
		r.log.Info("page disallowed by robots.txt: not fetched", "url", u)
		return fmt.Errorf("web: %s: %w", u, source.ErrRobots)
	case errors.Is(err, source.ErrTooLarge):
		r.env.Stats.Error("too_large", fmt.Errorf("web: %s: %w", u, err))
		return nil
	case errors.Is(err, source.ErrParse):
		r.env.Stats.Error("parse", fmt.Errorf("web: %w", err))
		return nil
	case err != nil && f.status == 0:
		var he *source.HTTPError
		if errors.As(err, &he) {
			f.status = he.Status
			break
		}
		// A redirect loop, a timeout, or the network.
		r.env.Stats.Error(source.ErrorKind(err), fmt.Errorf("web: %s: %w", u, err))
		return nil
	}
	he := &source.HTTPError{URL: u, Status: f.status}
	if errors.Is(he, source.ErrBlocked) {
		r.env.Stats.Blocked(u, he)
		return he
	}
	r.env.Stats.Error(source.ErrorKind(he), he)
	return nil
}

// emit sends a page's reactions, reports its skipped comments and problems.
func (r *run) emit(u string, p *page, roots map[string]bool) error {
	for _, pr := range p.Problems {
		r.env.Stats.Error(pr.Kind, errors.New(pr.Msg))
	}
	for _, s := range p.Skipped {
		r.env.Stats.Error(s.Kind, fmt.Errorf("web: %s: comment %s has no parseable time: skipped", u, s.ID))
		r.log.Debug("comment without parseable time skipped", "url", u, "id", s.ID, "raw_time", s.Raw)
	}
	if len(p.Reactions) == 0 {
		if p.JSOnly != "" {
			r.env.Stats.Error("js_only", fmt.Errorf("web: %s: comments on this page are loaded by JavaScript (%s): not crawlable without a browser or the vendor's API", u, p.JSOnly))
		} else if len(p.Skipped) == 0 {
			r.log.Info("no comments found on page", "url", u, "jsonld", r.cfg.jsonld)
		}
		return nil
	}
	for _, re := range p.Reactions {
		if re.ParentID == "" {
			if roots[re.ID] {
				continue
			}
			roots[re.ID] = true
		}
		re.Author = r.env.Authors.Author(reaction.Web, re.Author)
		if err := r.env.Emit(re); err != nil {
			return fmt.Errorf("web: emit: %w", err)
		}
	}
	if r.log.Enabled(context.Background(), slog.LevelDebug) { // spares building the attributes of every page
		r.log.Debug("page parsed", "url", u, "from", p.From, "reactions", len(p.Reactions), "next", len(p.Next))
	}
	return nil
}

// redirect is the collector's redirect policy: no redirect loop (see
// source.CheckRedirect, which allows Go's 10 redirects),
// no Authorization header sent on to another host (Colly's rules), no
// redirect to a page robots.txt disallows (Colly checks the pages it is
// asked for, not where they redirect), and no redirect to a page this run
// already fetched, unless back to the page requested (sites that set a
// cookie that way): a pagination loop through redirects ends, and the page
// is reported as already visited.
func (r *run) redirect(req *http.Request, via []*http.Request) error {
	if err := source.CheckRedirect(req, via); err != nil {
		return err
	}
	if !r.c.IgnoreRobotsTxt && req.URL.Path != "/robots.txt" {
		if err := r.robotsAllow(req.URL); err != nil {
			return err
		}
	}
	if k := visitKey(req.URL); k != visitKey(via[0].URL) && !r.markVisited(k) {
		return &colly.AlreadyVisitedError{Destination: req.URL}
	}
	if req.URL.Host != via[len(via)-1].URL.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

// robotsAllow returns colly.ErrRobotsTxtBlocked when the site's robots.txt
// disallows u for the collector's User-Agent. The file is fetched once per
// site and run, through a clone of the collector (the same transport, rate
// limit and User-Agent), and read as Colly reads it: a 4xx means no rules,
// a 5xx or an unreachable file means everything is disallowed.
func (r *run) robotsAllow(u *url.URL) error {
	site := u.Scheme + "://" + u.Host
	rules, ok := r.robots[site]
	if ok && rules == nil {
		return nil // the site's robots.txt is being fetched and redirects: let it
	}
	if !ok {
		if r.robots == nil {
			r.robots = map[string]*robotstxt.RobotsData{}
		}
		r.robots[site] = nil
		status, body := 0, []byte(nil)
		c := r.c.Clone()
		c.ParseHTTPErrorResponse = true
		c.AllowURLRevisit = true
		c.IgnoreRobotsTxt = true // the robots.txt file itself is always allowed
		c.OnResponse(func(resp *colly.Response) { status, body = resp.StatusCode, resp.Body })
		if err := c.Visit(site + "/robots.txt"); err != nil && status == 0 {
			r.log.Info("robots.txt of a redirect target unreachable: not following", "site", site, "err", err)
		}
		var err error
		if rules, err = robotstxt.FromStatusAndBytes(status, body); err != nil {
			rules, _ = robotstxt.FromStatusAndBytes(http.StatusServiceUnavailable, nil) // disallow all
		}
		r.robots[site] = rules
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.Query().Encode()
	}
	if g := rules.FindGroup(r.c.UserAgent); g != nil && !g.Test(path) {
		return fmt.Errorf("not following redirect to %s: %w", u, colly.ErrRobotsTxtBlocked)
	}
	return nil
}

func (r *run) key(u string) uint64 { return maphash.String(r.seed, u) }

// markVisited records u and reports whether it was new. The set keeps 8
// bytes per page, so a run of 100,000 pages stays small.
func (r *run) markVisited(u string) bool {
	k := r.key(u)
	if _, ok := r.visited[k]; ok {
		return false
	}
	r.visited[k] = struct{}{}
	return true
}

func (r *run) isVisited(u string) bool {
	_, ok := r.visited[r.key(u)]
	return ok
}
