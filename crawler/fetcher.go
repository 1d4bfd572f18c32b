package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gocolly/colly/v2"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// maxErrorBody bounds the body kept in a source.HTTPError.
const maxErrorBody = 4 << 10

// fetcher is the polite source.Fetcher of one source run, on Colly. Its
// collectors are synchronous (Colly's Async mode starts a goroutine per
// request before any limit) and share the run's transport.
type fetcher struct {
	platform reaction.Platform
	cfg      *Config
	t        *transport
	base     *colly.Collector
	stats    *runStats
	m        *metrics
}

func newFetcher(ctx context.Context, cfg *Config, t *transport, stats *runStats, m *metrics) *fetcher {
	f := &fetcher{platform: t.platform, cfg: cfg, t: t, stats: stats, m: m}
	f.base = f.newCollector(ctx, true)
	f.base.DisableCookies() // API requests need no cookies; the web collector keeps its own jar
	return f
}

// newCollector builds a collector with the run's politeness. Fields are set
// after NewCollector on purpose: NewCollector applies COLLY_* environment
// variables after its options, and none of them may loosen these settings.
func (f *fetcher) newCollector(ctx context.Context, revisit bool) *colly.Collector {
	c := colly.NewCollector()
	c.UserAgent = f.cfg.UserAgent
	c.IgnoreRobotsTxt = f.platform != reaction.Web
	c.AllowURLRevisit = revisit
	c.Async = false
	c.MaxBodySize = int(f.cfg.MaxBodySize) + 1 // the transport reports a longer body as ErrTooLarge
	c.ParseHTTPErrorResponse = true
	c.CacheDir = ""
	c.Context = ctx
	c.WithTransport(f.t)
	// The transport times each attempt; a client-wide timeout would cut
	// short the waits between retries.
	c.SetRequestTimeout(0)
	c.SetRedirectHandler(redirect)
	return c
}

// redirect is the collectors' redirect policy: no loop (a redirect loop is
// reported as such, not as the last 3xx), and no Authorization header sent
// on to another host (Colly's rule, which a handler of our own replaces).
func redirect(req *http.Request, via []*http.Request) error {
	if err := source.CheckRedirect(req, via); err != nil {
		return err
	}
	if req.URL.Host != via[len(via)-1].URL.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

// Get implements source.Fetcher.
func (f *fetcher) Get(ctx context.Context, u string, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodGet, u, "", nil, hdr)
}

// Post implements source.Fetcher.
func (f *fetcher) Post(ctx context.Context, u, contentType string, body []byte, hdr http.Header) (*source.Response, error) {
	return f.do(ctx, http.MethodPost, u, contentType, body, hdr)
}

// Collector implements source.Fetcher: a new synchronous collector with the
// same politeness for HTML crawling (robots.txt obeyed for web pages).
func (f *fetcher) Collector(ctx context.Context) *colly.Collector {
	return f.newCollector(ctx, false)
}

func (f *fetcher) do(ctx context.Context, method, u, contentType string, body []byte, hdr http.Header) (*source.Response, error) {
	c := f.base.Clone()
	c.Context = ctx
	h := http.Header{}
	for k, v := range hdr {
		h[k] = append([]string(nil), v...)
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", f.cfg.UserAgent)
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	var out *source.Response
	c.OnResponse(func(r *colly.Response) {
		resp := &source.Response{URL: r.Request.URL, Status: r.StatusCode, Body: r.Body}
		if r.Headers != nil {
			resp.Header = *r.Headers
		}
		out = resp
	})
	var data io.Reader
	if body != nil {
		data = bytes.NewReader(body)
	}
	err := c.Request(method, u, data, nil, h)
	switch {
	case errors.Is(err, colly.ErrRobotsTxtBlocked):
		f.m.robots.WithLabelValues(string(f.platform)).Inc()
		return nil, fmt.Errorf("%s %s: %w", method, u, source.ErrRobots)
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("%s %s: %w", method, u, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	case out == nil:
		return nil, fmt.Errorf("%s %s: no response", method, u)
	}
	if out.Status < 200 || out.Status > 299 {
		b := out.Body
		if len(b) > maxErrorBody {
			b = b[:maxErrorBody]
		}
		herr := &source.HTTPError{URL: u, Status: out.Status, Body: append([]byte(nil), b...)}
		if errors.Is(herr, source.ErrBlocked) {
			f.stats.fetchBlocked.Add(1)
		}
		return nil, herr
	}
	f.stats.okResponses.Add(1)
	return out, nil
}
