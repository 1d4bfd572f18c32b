// Package crawler runs the sources of a story: it gives each platform
// adapter (crawler/source/<platform>) a polite HTTP fetcher (rate limits,
// Retry-After, backoff, robots.txt for web pages), a persistent cursor
// store and an Emit function, sends what the adapters find to a Sink (the
// aggregator over HTTP, or in-process) in acknowledged batches, and
// records per source and run what was done (reaction.CrawlRun) for the
// completeness report, the summary table and /metrics. docs/architecture.md
// ("The crawler") describes its politeness, state and metrics.
package crawler
