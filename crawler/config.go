package crawler

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Version is the crawler's version in the default User-Agent; the command
// sets it from the binary's version.
var Version = "dev"

// DefaultUserAgent returns the honest User-Agent: the project, its version,
// its home page and, when given, the operator's contact.
func DefaultUserAgent(contact string) string {
	ua := fmt.Sprintf("reactions/%s (+https://github.com/reactions-research/reactions; research crawler", Version)
	if contact = strings.TrimSpace(contact); contact != "" {
		ua += "; contact: " + contact
	}
	return ua + ")"
}

// DefaultRates are the request rates per host, sized to each platform's
// documented limit (docs/platforms.md):
//
//	reddit      100/min per OAuth client           → 100/1m
//	hackernews  Algolia 10,000/h per IP             → 10000/1h
//	mastodon    300 per 5 min per IP                → 300/5m
//	bluesky     AppView "generous", PDS 3000/5 min  → 3000/5m
//	discourse   200/min and 50 per 10 s per IP      → 200/1m
//	lemmy       per instance, undocumented          → 1/1s (conservative)
//	web         robots.txt / site terms             → 1/1s per host
var DefaultRates = map[reaction.Platform]string{
	reaction.Reddit:     "100/1m",
	reaction.HackerNews: "10000/1h",
	reaction.Mastodon:   "300/5m",
	reaction.Bluesky:    "3000/5m",
	reaction.Discourse:  "200/1m",
	reaction.Lemmy:      "1/1s",
	reaction.Web:        "1/1s",
}

// Unlimited is a rate (for Config.Rates or a source's rate) that turns the
// limiter off; tests against local replicas use it.
const Unlimited = "unlimited"

// Config configures a crawl. The zero value works: every field's comment
// states the default used when it is zero.
type Config struct {
	// StateDir is the installation's state directory; a story's crawl
	// state lives in StateDir/crawl/<story-id>/.
	// Default "./.reactions".
	StateDir string
	// UserAgent is sent with every request. Default DefaultUserAgent(Contact).
	UserAgent string
	// Contact (e-mail or URL) is added to the default User-Agent so that
	// platforms can reach the operator. Default: none.
	Contact string
	// Authors pseudonymises author handles. Required.
	Authors *reaction.Pseudonymizer
	// Timeout bounds one HTTP attempt, body included. Default 30s.
	Timeout time.Duration
	// MaxBodySize bounds one response body in bytes. Default 32 MiB.
	MaxBodySize int64
	// MaxRetries is how many times one request is retried (429, 5xx,
	// timeouts, network errors). Default 5; negative means none.
	MaxRetries int
	// RetryInitial is the first backoff wait when no Retry-After is given;
	// it grows 2x per retry with ±50% jitter. Default 1s.
	RetryInitial time.Duration
	// MaxRetryWait caps every wait: a Retry-After, a backoff step, a
	// rate-limit-header pause. Default 5m.
	MaxRetryWait time.Duration
	// Rates overrides DefaultRates per platform ("100/1m", or Unlimited).
	// A source's own rate in the story file overrides both.
	Rates map[reaction.Platform]string
	// BatchSize is the most reactions sent to the sink at once. Default 500.
	BatchSize int
	// BatchWait is the longest a reaction waits for its batch to fill.
	// Default 1s.
	BatchWait time.Duration
	// FlushTimeout bounds the final flush after the context is cancelled
	// (Ctrl-C). Default 30s.
	FlushTimeout time.Duration
	// Parallel bounds how many sources are crawled at once. Default 4.
	Parallel int
	// Registerer receives the crawler's metrics. Default: a private registry
	// (metrics are kept but not exposed).
	Registerer prometheus.Registerer
	// Log receives structured logs (never raw author handles). Default
	// slog.Default().
	Log *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Credentials are the platform accounts given to the adapters
	// (source.Credentials). Default: none, anonymous access.
	Credentials source.Credentials

	// OnPoll, when set, is called after every poll (every run of --once,
	// every poll of --follow) with that poll's runs, e.g. to print the
	// summary table.
	OnPoll func([]reaction.CrawlRun)

	// lookup finds a platform's adapter (default source.Lookup); tests
	// substitute fakes without touching the global registry.
	lookup func(reaction.Platform) (source.Adapter, bool)
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() (Config, error) {
	if c.Authors == nil {
		return c, errors.New("crawler config: Authors (the pseudonymizer) is required")
	}
	if c.StateDir == "" {
		c.StateDir = ".reactions"
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent(c.Contact)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxBodySize <= 0 {
		c.MaxBodySize = 32 << 20
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.RetryInitial <= 0 {
		c.RetryInitial = time.Second
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = 5 * time.Minute
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.BatchWait <= 0 {
		c.BatchWait = time.Second
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = 30 * time.Second
	}
	if c.Parallel <= 0 {
		c.Parallel = 4
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.lookup == nil {
		c.lookup = source.Lookup
	}
	for p, r := range c.Rates {
		if _, err := parseLimit(r); err != nil {
			return c, fmt.Errorf("crawler config: rate for %s: %w", p, err)
		}
	}
	return c, nil
}

// limitFor returns the request rate for a source: its own rate, else the
// configured platform rate, else the documented default.
func (c Config) limitFor(src *story.Source) (rate.Limit, error) {
	r := src.Rate
	if r == "" {
		r = c.Rates[src.Platform]
	}
	if r == "" {
		r = DefaultRates[src.Platform]
	}
	if r == "" {
		r = "1/1s"
	}
	return parseLimit(r)
}

func parseLimit(s string) (rate.Limit, error) {
	if strings.EqualFold(strings.TrimSpace(s), Unlimited) {
		return rate.Inf, nil
	}
	n, per, err := story.ParseRate(s)
	if err != nil {
		return 0, err
	}
	return rate.Limit(float64(n) / per.Seconds()), nil
}
