// Package crawler runs the sources of a story: it gives each platform adapter
// (crawler/source/<platform>) a polite HTTP fetcher, a persistent cursor
// store and an Emit function, sends what the adapters find to a Sink (the
// aggregator over HTTP, or in-process) in acknowledged batches, and records
// per source and run what was done (reaction.CrawlRun) for the completeness
// report, the summary table and /metrics.
//
// # Politeness
//
// Every request goes through one http.RoundTripper (transport.go) that
//   - waits on a per-host token bucket (golang.org/x/time/rate) sized to the
//     platform's documented limit (DefaultRates), overridable per source
//     (the story file's rate: "100/1m") and per platform (Config.Rates);
//   - retries HTTP 429 and 503 after Retry-After (delta-seconds or HTTP-date,
//     capped at Config.MaxRetryWait), other 5xx, timeouts and network errors
//     with capped exponential backoff and jitter, at most Config.MaxRetries
//     times; it pauses the whole host meanwhile, and also when Reddit's or
//     Mastodon's X-RateLimit-Remaining header reaches zero;
//   - never retries 401/403: they come back as source.ErrBlocked, so a
//     previously working endpoint that starts refusing us is reported as
//     "blocked / auth required" instead of being hammered;
//   - bounds each attempt with Config.Timeout and each body with
//     Config.MaxBodySize (source.ErrTooLarge).
//
// One honest User-Agent with a contact is sent everywhere (Config.UserAgent).
//
// # robots.txt
//
// robots.txt is obeyed (colly's IgnoreRobotsTxt=false) for the web platform,
// whose sources are HTML pages. It is not consulted for the API platforms
// (reddit, hackernews, mastodon, bluesky, discourse, lemmy): their JSON
// endpoints are governed by the platforms' API terms and documented rate
// limits, not by robots.txt, which addresses web crawlers. Reddit says so
// explicitly (its robots.txt "is for search engines, not Data API users",
// see docs/platforms.md), and Discourse's generated robots.txt disallows
// /search although /search.json is its documented API. We keep to the API
// limits above instead.
//
// # State
//
// A story's state lives in <state dir>/crawl/<story-id>/ (see state.go):
// an append-only log of what the sink acknowledged (id, content digest, first
// seen), fsynced per batch, and the sources' cursors, rewritten atomically
// (temp file + rename) only once everything emitted before them was
// acknowledged. A restarted crawl therefore resumes where it stopped, and
// re-running a finished crawl sends nothing.
//
// # Metrics
//
// All metrics are registered on Config.Registerer. Labels are bounded: the
// platform, a fixed outcome vocabulary, and for the last-run gauges the story
// id and source name, which come from the story file (a handful per
// installation), never from crawled data: no URLs, ids or handles.
package crawler
