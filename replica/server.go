package replica

import (
	"fmt"
	"html"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/internal/httpstatus"
	"github.com/reactions-research/reactions/reaction"
)

// RobotsTxt is what the replica serves at /robots.txt: web pages under
// /web/private/ are off-limits, everything else may be crawled.
const RobotsTxt = "User-agent: *\nDisallow: /web/private/\n"

// Options injects faults so that tests can prove the crawler's politeness.
// The zero value serves every request normally.
type Options struct {
	// RateLimitEvery makes every Nth request to a platform (counted per
	// platform) answer HTTP 429 with a Retry-After header; 0 disables it.
	// The header alternates between delta-seconds and HTTP-date forms.
	RateLimitEvery int
	// RetryAfter is the wait the 429 answers ask for (default 1s; rounded up
	// to whole seconds, as the header carries seconds).
	RetryAfter time.Duration
	// Forbidden lists platforms that answer every request with HTTP 403.
	Forbidden []reaction.Platform
	// Latency delays every platform response.
	Latency time.Duration
	// Now is the clock for the request log, HTTP dates and the time_us of
	// Jetstream events (default time.Now).
	Now func() time.Time
	// JetstreamReplay is how far back the Jetstream replays from a cursor
	// (default DefaultJetstreamReplay).
	JetstreamReplay time.Duration
	// JetstreamDictionary is the zstd dictionary the Jetstream compresses
	// with when a subscriber asks for compress=true (default none: such a
	// subscriber is refused).
	JetstreamDictionary []byte
}

// Request is one entry of the server's request log.
type Request struct {
	Time     time.Time
	Platform reaction.Platform // "" for /robots.txt and the index
	Method   string
	Path     string
	Query    string
	Status   int
	// UserAgent is the request's User-Agent header.
	UserAgent string
}

// maxLog bounds the request log of a long-running replica (the demo); the
// oldest half is dropped when it is full.
const maxLog = 200_000

// Server serves every registered platform replica on one host, each under
// its Prefix, plus /robots.txt and an index page at /. It is an
// http.Handler; tests wrap it in httptest.NewServer.
type Server struct {
	// Data is the ground truth served. Handlers read it on every request,
	// so items added later appear in later responses.
	Data *Dataset

	mux       *http.ServeMux
	mounted   []Platform
	jetstream *Jetstream

	mu      sync.Mutex
	opts    Options
	counts  map[reaction.Platform]int
	limited int
	log     []Request
}

// New returns a server for d with every registered platform mounted.
func New(d *Dataset, opts Options) *Server { return newServer(d, opts, sortedPlatforms()) }

// newServer mounts ps (tests mount platforms without registering them).
func newServer(d *Dataset, opts Options, ps []Platform) *Server {
	s := &Server{Data: d, mux: http.NewServeMux(), counts: map[reaction.Platform]int{}, mounted: ps}
	s.jetstream = newJetstream(s)
	s.SetOptions(opts)
	for _, p := range ps {
		s.mux.Handle(p.Prefix, s.wrap(p.Name, p.Handler(s)))
	}
	s.mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, RobotsTxt)
	})
	s.mux.HandleFunc("/{$}", s.index)
	return s
}

// SetOptions replaces the fault-injection options (tests switch faults on
// and off while a crawl runs).
func (s *Server) SetOptions(o Options) {
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.JetstreamReplay <= 0 {
		o.JetstreamReplay = DefaultJetstreamReplay
	}
	s.mu.Lock()
	s.opts = o
	s.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httpstatus.NewRecorder(w)
	s.mux.ServeHTTP(rec, r)
	s.record(r, s.platformOf(r.URL.Path), rec.Status)
}

// BaseURL returns scheme://host as the client reached the server, so that
// absolute URLs in responses (Mastodon Link headers, permalinks) point back
// at the replica.
func (s *Server) BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ResetRequests empties the request log and the per-platform counters.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.counts = map[reaction.Platform]int{}
	s.limited = 0
}

func (s *Server) record(r *http.Request, p reaction.Platform, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) >= maxLog {
		s.log = append(s.log[:0], s.log[maxLog/2:]...)
	}
	s.log = append(s.log, Request{
		Time: s.opts.Now(), Platform: p, Method: r.Method, Path: r.URL.Path,
		Query: r.URL.RawQuery, Status: status, UserAgent: r.UserAgent(),
	})
}

// wrap applies fault injection in front of a platform's handler.
func (s *Server) wrap(p reaction.Platform, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		o := s.opts
		s.counts[p]++
		n := s.counts[p]
		limit := o.RateLimitEvery > 0 && n%o.RateLimitEvery == 0
		dateForm := false
		if limit {
			s.limited++
			dateForm = s.limited%2 == 0
		}
		s.mu.Unlock()

		if o.Latency > 0 {
			t := time.NewTimer(o.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch {
		case slices.Contains(o.Forbidden, p):
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintln(w, `{"error":"Request forbidden by administrative rules"}`)
			return
		case limit:
			secs := int(math.Ceil(o.RetryAfter.Seconds()))
			if dateForm {
				// An HTTP-date has whole seconds: round up so that the
				// client never waits less than RetryAfter.
				at := o.Now().Add(o.RetryAfter).UTC().Truncate(time.Second).Add(time.Second)
				w.Header().Set("Retry-After", at.Format(http.TimeFormat))
			} else {
				w.Header().Set("Retry-After", fmt.Sprint(secs))
			}
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintln(w, `{"error":"Too many requests"}`)
			return
		}
		w.Header().Del("Content-Type")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	base := s.BaseURL(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html>\n<title>reactions replicas</title>\n<h1>reactions replicas</h1>\n")
	fmt.Fprintf(w, "<p>Local copies of the platforms' public APIs serving a deterministic data set (%d items).</p>\n<table>\n<tr><th>platform</th><th>base_url</th><th>items</th></tr>\n", len(s.Data.Items("")))
	for _, p := range s.mounted {
		u := base + strings.TrimSuffix(p.Prefix, "/")
		fmt.Fprintf(w, "<tr><td>%s</td><td><code>%s</code></td><td>%d</td></tr>\n",
			html.EscapeString(string(p.Name)), html.EscapeString(BaseURLFor(p.Name, u)), len(s.Data.Items(p.Name)))
	}
	fmt.Fprintf(w, "</table>\n<p><a href=\"/robots.txt\">robots.txt</a> disallows <code>/web/private/</code>.</p>\n")
}

// BaseURLFor returns the base_url a story file gives for platform p on a
// replica whose prefix URL is prefixURL (e.g. "http://127.0.0.1:9000/reddit"):
// see docs/architecture.md, "Replica base URLs".
func BaseURLFor(p reaction.Platform, prefixURL string) string {
	switch p {
	case reaction.Reddit:
		return prefixURL + "/oauth"
	case reaction.HackerNews:
		return prefixURL + "/api/v1"
	}
	return prefixURL
}

func (s *Server) platformOf(path string) reaction.Platform {
	for _, p := range s.mounted {
		if strings.HasPrefix(path, p.Prefix) {
			return p.Name
		}
	}
	return ""
}

func sortedPlatforms() []Platform {
	out := make([]Platform, 0, len(platforms))
	for _, p := range platforms {
		out = append(out, p)
	}
	order := func(p reaction.Platform) int {
		if i := slices.Index(reaction.Platforms, p); i >= 0 {
			return i
		}
		return len(reaction.Platforms)
	}
	sort.Slice(out, func(i, j int) bool {
		if oi, oj := order(out[i].Name), order(out[j].Name); oi != oj {
			return oi < oj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// TestDataset returns every registered platform's edge-case fixture items in
// one dataset (the data of "reactions replica --data test").
func TestDataset() *Dataset {
	d := NewDataset()
	for _, p := range sortedPlatforms() {
		if p.Fixture != nil {
			d.Add(p.Fixture()...)
		}
	}
	return d
}

// Expected returns the reactions a correct crawler makes of every item of d
// whose platform has a registered replica, in item order, leaving out items
// whose Expect returns no ID (items a correct crawler never produces). Author holds the
// raw handle: callers pseudonymise it themselves.
func Expected(d *Dataset) []reaction.Reaction {
	var out []reaction.Reaction
	for _, it := range d.Items("") {
		p, ok := platforms[it.Platform]
		if !ok || p.Expect == nil {
			continue
		}
		if r := p.Expect(d, it); r.ID != "" { // "" marks an item no crawler should produce
			out = append(out, r)
		}
	}
	return out
}
