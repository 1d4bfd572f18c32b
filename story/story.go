// Package story reads and validates a story file: the researcher's
// description of one news story (its subject, time window, event markers) and
// of the sources where people react to it.
package story

import (
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Story is one story definition, as written in a story file (YAML) or sent to
// the aggregator (YAML or JSON). Field names are the file's keys.
type Story struct {
	// ID names the story everywhere ([a-z0-9-]+). Required.
	ID string `yaml:"id" json:"id"`
	// Title is a human title for charts and export metadata.
	Title string `yaml:"title" json:"title"`
	// Subject lists who stance is about: names, handles, hashtags. Required.
	Subject []string `yaml:"subject" json:"subject"`
	// Published is the story's own moment (an event marker on charts).
	Published time.Time `yaml:"published" json:"published"`
	// URLs are the article's addresses: the publisher's page and any
	// syndicated copies. A source that names no threads finds them from
	// these (see Source.Discover); URLs are matched on their normalised
	// form (internal/urlnorm: scheme, www, trailing slash, tracking
	// parameters and AMP editions do not matter) and kept as written.
	URLs []string `yaml:"urls,omitempty" json:"urls,omitempty"`
	// Window optionally bounds the reactions collected and charted.
	Window *Window `yaml:"window,omitempty" json:"window,omitempty"`
	// Annotations are extra event markers for the chart.
	Annotations []Annotation `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	// Poll is the re-poll period in --follow mode. Default 5m; must be > 0.
	Poll Duration `yaml:"poll,omitempty" json:"poll,omitempty"`
	// Sources lists where to collect reactions. At least one is required.
	Sources []Source `yaml:"sources" json:"sources"`
	// Codebook tells coders what each code means (see Codebook); nil means
	// DefaultCodebook, the README's labelling rule.
	Codebook *Codebook `yaml:"codebook,omitempty" json:"codebook,omitempty"`
	// Demo marks a story whose reactions are generated deterministically
	// (the demo data set): the dashboard shows a "Demo data" banner.
	Demo bool `yaml:"demo,omitempty" json:"demo,omitempty"`
	// DemoReport is free text (JSON from the demo job) reporting how the
	// classifier agreed with the generator's intended stances; the dashboard
	// shows it in a small panel when present.
	DemoReport string `yaml:"demo_report,omitempty" json:"demo_report,omitempty"`
}

// Window is a half-open time range [From, To) in UTC.
type Window struct {
	From time.Time `yaml:"from" json:"from"`
	To   time.Time `yaml:"to" json:"to"`
}

// Annotation is an event marker on the chart.
type Annotation struct {
	At    time.Time `yaml:"at" json:"at"`
	Label string    `yaml:"label" json:"label"`
}

// Duration is a time.Duration written as "5m", "30s" in files and JSON.
type Duration time.Duration

// Source is one place to collect from. Which list fields apply depends on
// Platform; a list field that does not apply to the platform is an error.
// Every thread/status/story/topic/post value may be a native id or a URL
// (the id is taken out of the URL; fetching always goes through BaseURL).
type Source struct {
	// Platform is one of reaction.Platforms. Required.
	Platform reaction.Platform `yaml:"platform" json:"platform"`
	// Name labels the source in summaries and the crawl-runs table; default
	// the platform name (with "-2", "-3" … for a second source of a platform).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// BaseURL is the API root; every platform has a production default
	// (DefaultBaseURL). Tests and the demo point it at replicas.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// TokenURL is Reddit's app-only OAuth token endpoint
	// (default https://www.reddit.com/api/v1/access_token).
	TokenURL string `yaml:"token_url,omitempty" json:"token_url,omitempty"`
	// PDSURL is Bluesky's PDS for authenticated search (createSession and
	// searchPosts; default https://bsky.social). Threads use BaseURL.
	PDSURL string `yaml:"pds_url,omitempty" json:"pds_url,omitempty"`
	// JetstreamURL is the Bluesky Jetstream endpoint that --follow reads
	// live posts from, ws:// or wss:// (default DefaultJetstreamURL).
	JetstreamURL string `yaml:"jetstream_url,omitempty" json:"jetstream_url,omitempty"`
	// JetstreamReplay is how far back the Jetstream instance replays from
	// a saved position (default DefaultJetstreamReplay, what Bluesky's
	// public instances keep): a crawl resumed from an older position
	// reports the time in between as a gap.
	JetstreamReplay Duration `yaml:"jetstream_replay,omitempty" json:"jetstream_replay,omitempty"`
	// JetstreamDictionary is the path of the zstd dictionary the
	// Jetstream instance compresses with; when set, --follow asks for
	// compressed messages (compress=true) and decodes them with it.
	// Default none: plain JSON, Jetstream's default.
	JetstreamDictionary string `yaml:"jetstream_dictionary,omitempty" json:"jetstream_dictionary,omitempty"`
	// Rate overrides the platform's documented request rate, e.g. "100/1m".
	Rate string `yaml:"rate,omitempty" json:"rate,omitempty"`
	// Discover says whether the source finds threads from the story's
	// urls. Default: when the story has urls and the source names no
	// threads (Reddit threads, Hacker News stories, Mastodon statuses,
	// Bluesky threads, Lemmy posts); true also with named threads.
	// Discourse and web sources cannot discover.
	Discover *bool `yaml:"discover,omitempty" json:"discover,omitempty"`

	Stories  []string `yaml:"stories,omitempty" json:"stories,omitempty"`   // hackernews: story ids or item URLs
	Search   []string `yaml:"search,omitempty" json:"search,omitempty"`     // hackernews, reddit, bluesky: queries
	Threads  []string `yaml:"threads,omitempty" json:"threads,omitempty"`   // reddit: post ids/URLs; bluesky: at:// URIs or bsky.app URLs
	Hashtags []string `yaml:"hashtags,omitempty" json:"hashtags,omitempty"` // mastodon: tags without '#'
	Statuses []string `yaml:"statuses,omitempty" json:"statuses,omitempty"` // mastodon: status ids/URLs
	Topics   []string `yaml:"topics,omitempty" json:"topics,omitempty"`     // discourse: topic ids/URLs
	Posts    []string `yaml:"posts,omitempty" json:"posts,omitempty"`       // lemmy: post ids/URLs
	Pages    []string `yaml:"pages,omitempty" json:"pages,omitempty"`       // web: page URLs

	// Web only: CSS selector of one comment, field selectors, next-page link.
	Item   string     `yaml:"item,omitempty" json:"item,omitempty"`
	Fields *WebFields `yaml:"fields,omitempty" json:"fields,omitempty"`
	Next   string     `yaml:"next,omitempty" json:"next,omitempty"`
	JSONLD bool       `yaml:"jsonld,omitempty" json:"jsonld,omitempty"`
}

// WebFields are selectors relative to one comment element. A selector may end
// in "@attr" to read an attribute; "@id" alone reads the item's own attribute.
// Parent "ancestor" derives threading from nesting of item elements.
type WebFields struct {
	ID     string `yaml:"id,omitempty" json:"id,omitempty"`
	Author string `yaml:"author,omitempty" json:"author,omitempty"`
	Time   string `yaml:"time,omitempty" json:"time,omitempty"`
	Text   string `yaml:"text,omitempty" json:"text,omitempty"`
	Parent string `yaml:"parent,omitempty" json:"parent,omitempty"`
	Likes  string `yaml:"likes,omitempty" json:"likes,omitempty"`
	URL    string `yaml:"url,omitempty" json:"url,omitempty"`
}

// SubjectText is the subject as one string for the stance classifier
// ("Chrissy Teigen, John Legend, chrissyteigen").
func (s *Story) SubjectText() string { return strings.Join(s.Subject, ", ") }

// Discovers reports whether src finds threads from st's URLs (see
// Source.Discover).
func (src *Source) Discovers(st *Story) bool {
	if len(st.URLs) == 0 || !CanDiscover(src.Platform) {
		return false
	}
	if src.Discover != nil {
		return *src.Discover
	}
	return len(src.namedThreads()) == 0
}

// namedThreads returns the threads src names on its platform.
func (src *Source) namedThreads() []string {
	switch src.Platform {
	case reaction.Reddit, reaction.Bluesky:
		return src.Threads
	case reaction.HackerNews:
		return src.Stories
	case reaction.Mastodon:
		return src.Statuses
	case reaction.Lemmy:
		return src.Posts
	case reaction.Discourse:
		return src.Topics
	}
	return src.Pages
}

// CanDiscover reports whether platform p can find threads from an
// article's URL. Discourse cannot (NoDiscovery says why); web pages are
// named, not found.
func CanDiscover(p reaction.Platform) bool {
	switch p {
	case reaction.Reddit, reaction.HackerNews, reaction.Mastodon, reaction.Bluesky, reaction.Lemmy:
		return true
	}
	return false
}

// NoDiscovery says, in one sentence, why platform p cannot find threads
// from the story's URLs ("" when it can).
func NoDiscovery(p reaction.Platform) string {
	switch p {
	case reaction.Discourse:
		return "Discourse cannot find topics from the story's urls: a forum's robots.txt disallows /search (and its results are excerpts), so only the topics named are read"
	case reaction.Web:
		return "web sources read the pages they name; they do not search for the story's urls"
	}
	return ""
}
