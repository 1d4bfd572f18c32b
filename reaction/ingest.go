package reaction

import "time"

// IngestResult is the aggregator's answer to a batch of reactions (the JSON
// body of POST /api/v1/reactions).
type IngestResult struct {
	// Accepted counts reactions stored (new, or a newer version of one), or
	// safe in the aggregator's spool: see Spooled.
	Accepted int `json:"accepted"`
	// Duplicates counts reactions identical to one already stored.
	Duplicates int `json:"duplicates"`
	// Spooled counts the reactions among Accepted that were acknowledged
	// from the aggregator's spool (write-ahead log) because the writer was
	// busy or ClickHouse down. They are safe and will be written, but were
	// not yet compared with the stored reactions: a duplicate among them is
	// counted as accepted here, and found (written once, counted in
	// reactions_aggregator_duplicates_total) when the spool is drained.
	Spooled int `json:"spooled"`
	// Rejected lists the lines (1-based, in the body) that were not valid:
	// only a bad identifying field (story, platform, id, created_at), or a
	// line that is not a JSON object, rejects a reaction.
	Rejected []Rejection `json:"rejected"`
	// Repaired counts, by field (see SideFields), the side fields that were
	// cleared or fixed in reactions that were kept (Reaction.Repair).
	Repaired map[string]int `json:"repaired,omitempty"`
}

// Rejection names one rejected line and why.
type Rejection struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// Crawl-run statuses.
const (
	RunRunning = "running" // started, not finished (or the crawler died)
	RunOK      = "ok"      // finished, items found, no errors
	RunWarning = "warning" // finished with errors, or found nothing
	RunBlocked = "blocked" // the platform refused us (403, auth required)
	RunFailed  = "failed"  // stopped mid-way
	RunStopped = "stopped" // interrupted (Ctrl-C); everything fetched was kept
	// RunLoop: the platform paged in a circle (a cursor or URL came back),
	// so a listing was stopped there; what lies beyond it is missing.
	RunLoop = "loop"
	// RunTruncated: a page cap was reached; what lies beyond it is missing.
	RunTruncated = "truncated"
	// RunThrottled: the platform asked for a longer wait than the crawler
	// makes (a day-long Retry-After), so the source stopped; the message
	// says until when.
	RunThrottled = "throttled"
)

// CrawlRun is one run of one source of a story: the completeness record that
// the crawler writes (through the aggregator) and the dashboard shows.
type CrawlRun struct {
	Story    string    `json:"story"`
	Source   string    `json:"source"`   // the source's name, e.g. "reddit" or "mastodon-2"
	Platform Platform  `json:"platform"` // its platform
	RunID    string    `json:"run_id"`   // unique per run (crawler start time + random)
	Started  time.Time `json:"started"`
	// Finished is zero while the run is still going.
	Finished time.Time `json:"finished"`
	Requests int64     `json:"requests"`
	Pages    int64     `json:"pages"`
	Items    int64     `json:"items"`     // reactions seen this run
	NewItems int64     `json:"new_items"` // of which new or changed
	Errors   int64     `json:"errors"`
	// ErrorKinds counts errors by kind ("http_5xx", "parse", …).
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// Repaired counts, by field (see SideFields), the side fields of this
	// run's reactions that were cleared or fixed (Reaction.Repair); the
	// reactions themselves were kept.
	Repaired map[string]int64 `json:"repaired,omitempty"`
	Blocked  int64            `json:"blocked"`
	// Discovered lists the threads this source follows because they link
	// to the story's URLs (story.Story.URLs), found this run or an earlier
	// one, each with how it was found.
	Discovered []Discovery `json:"discovered,omitempty"`
	// Gaps are periods this run could not cover, e.g. a live stream whose
	// saved position is older than the platform can replay.
	Gaps   []Gap  `json:"gaps,omitempty"`
	Status string `json:"status"`
	// Message says, in one sentence, what a researcher should know (why a
	// source is blocked, that it returned nothing, …).
	Message string `json:"message"`
}

// Discovery is one thread a source follows because it links to one of the
// story's URLs.
type Discovery struct {
	// Thread is the reaction id of the thread's root post.
	Thread string `json:"thread"`
	// Via says how it was found, one of the Via… values.
	Via string `json:"via"`
	// Link is the URL the thread links to, as the platform gave it.
	Link string `json:"link"`
}

// How a thread was discovered: the values of Discovery.Via.
const (
	ViaHNURLSearch        = "hackernews_url_search"  // Algolia search restricted to the story URL
	ViaRedditInfo         = "reddit_info"            // /api/info?url= for one URL form
	ViaRedditURLSearch    = "reddit_url_search"      // /search?q=url:<host+path>
	ViaBlueskyURLSearch   = "bluesky_url_search"     // searchPosts?url= (a session)
	ViaBlueskyStream      = "bluesky_stream"         // a live Jetstream post linking to the story
	ViaMastodonLinkTrends = "mastodon_link_timeline" // timelines/link?url= while the link trends
	ViaLemmyURLSearch     = "lemmy_url_search"       // search?type_=Url
)

// Gap is a period a source could not cover, with the reason.
type Gap struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
}
