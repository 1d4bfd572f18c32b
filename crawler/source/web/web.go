// Package web collects the comments of web pages (news articles with a
// comment section, blog posts, forum threads) with the crawler's Colly
// collector, robots.txt obeyed: JSON-LD comments and forum postings first
// when the source asks (a posting is the thread's starter, an article is
// never a reaction), else the source's CSS selectors (item, fields, next)
// or WordPress's default markup, following pagination on the same host.
// A comment's id is "web:<article URL>#<comment id>", the article URL
// cleaned of comment paging, so that every page's comments belong to it.
// Comments without a readable time are skipped and counted ("no_time");
// pages whose comments a JavaScript system loads are reported ("js_only").
// The configuration, mapping and edge cases are in docs/platforms.md,
// "Web pages".
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
