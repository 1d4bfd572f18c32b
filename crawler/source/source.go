// Package source defines what a platform adapter is given and must do. The
// adapters live in the sub-packages (reddit, hackernews, mastodon, bluesky,
// discourse, lemmy, web); the crawler package runs them.
package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Adapter collects the reactions of one story source from one platform.
//
// Collect fetches everything currently reachable for src (following every
// paging scheme to its end), calls env.Emit for each reaction in the order
// found, keeps its cursors in env.State so that a later call (a --follow poll,
// or a restarted crawl) fetches only what is new, and returns when done or
// when ctx is cancelled. A failure of one thread or query should not stop the
// others: record it with env.Stats.Error and go on; return an error only when
// nothing more can be done (e.g. ErrBlocked on every endpoint).
type Adapter interface {
	Collect(ctx context.Context, env *Env) error
}

// Env is what the crawler gives an adapter for one run of one source.
type Env struct {
	Story  *story.Story
	Source *story.Source
	// Fetch does polite HTTP: rate limit, robots.txt, Retry-After, backoff.
	Fetch Fetcher
	// Emit hands one reaction to the crawler, which fills Story and
	// FirstSeen, skips what it already sent unchanged, and sends the rest on.
	// Author must already be pseudonymised with Authors. An error means stop.
	Emit func(reaction.Reaction) error
	// Authors pseudonymises author handles; never put a raw handle elsewhere.
	Authors *reaction.Pseudonymizer
	// State holds this source's cursors across runs and restarts.
	State State
	// Stats counts what the run did, for the completeness report.
	Stats Stats
	Log   *slog.Logger
	// Now is the clock (tests replace it).
	Now func() time.Time
	// UserAgent is the crawler's User-Agent, for connections the Fetcher
	// does not make (a live stream's websocket).
	UserAgent string
	// OnDiscover, when set, records a thread the source follows because
	// it links to one of the story's URLs; adapters call Discovered.
	OnDiscover func(reaction.Discovery)
	// OnGap, when set, records a period the source could not cover;
	// adapters call Gap.
	OnGap func(reaction.Gap)
	// Known, when set, reports whether a reaction with this id was
	// emitted for the story before (acknowledged by the sink, or on its
	// way): a stream uses it to tell a duplicate from a new post, and to
	// mark deleted only what was stored. Nil means nothing is known.
	Known func(id string) bool
	// OnStream, when set, counts one event of a live stream by its
	// outcome (one of the Stream… values) and the time the platform
	// stamped it with; adapters call Streamed.
	OnStream func(outcome string, at time.Time)
	// Credentials are the accounts the platforms of this run may ask for.
	Credentials Credentials
}

// Outcomes of a live stream's events (the outcome label of
// reactions_crawler_stream_events_total).
const (
	StreamKept      = "kept"      // emitted: it answers, quotes or links the story, or matches its terms
	StreamUnrelated = "unrelated" // a post about something else
	StreamDuplicate = "duplicate" // a post already collected (a replayed overlap, or seen by a walk)
	StreamDeleted   = "deleted"   // a deletion of a collected reaction, emitted as deleted
	StreamIdentity  = "identity"  // an identity or account event (counted, not used)
	StreamMalformed = "malformed" // a message that could not be read
	StreamOther     = "other"     // a record of another collection, or a deletion of something not collected
)

// IsKnown reports whether id was emitted for the story before (see
// Env.Known).
func (e *Env) IsKnown(id string) bool { return e.Known != nil && e.Known(id) }

// Streamed counts one stream event (see Env.OnStream).
func (e *Env) Streamed(outcome string, at time.Time) {
	if e.OnStream != nil {
		e.OnStream(outcome, at)
	}
}

// Streamer is an Adapter that can also follow its platform live. In
// --follow mode the crawler runs a source's first poll with Collect, as
// always, then calls Stream once instead of polling it again.
//
// Stream reads the platform's live stream until ctx ends, emitting the
// reactions the story wants as Collect would make them (same ids and
// fields). It resumes from the position it keeps in env.State (saved with
// State.Set, which commits only once what was emitted before is
// acknowledged), or, when it has none, from since: when the first poll
// began. A period the platform can no longer replay goes to env.Gap. It
// returns nil when ctx ends, and an error only when streaming cannot work
// at all (a bad configuration).
type Streamer interface {
	Adapter
	Stream(ctx context.Context, env *Env, since time.Time) error
}

// Discovered records a thread followed because it links to the story's
// URLs (for the completeness report): every run calls it for every
// thread it tracks, found this run or earlier.
func (e *Env) Discovered(d reaction.Discovery) {
	if e.OnDiscover != nil {
		e.OnDiscover(d)
	}
}

// Gap records a period the source could not cover (for the completeness
// report and the charts' coverage shading).
func (e *Env) Gap(g reaction.Gap) {
	if e.OnGap != nil {
		e.OnGap(g)
	}
}

// Credentials are the accounts and tokens some platforms ask for. The
// command fills them from its environment (each adapter names its
// variables in its messages); an empty field means anonymous access,
// which each adapter handles as its platform allows.
type Credentials struct {
	// RedditClientID and RedditClientSecret are a Reddit app's
	// credentials for app-only OAuth: Reddit refuses anonymous API
	// requests. Without them requests go out unauthenticated, which only
	// works against an anonymous .json base_url.
	RedditClientID, RedditClientSecret string
	// MastodonAccessToken is a user access token for the server of
	// base_url. Public statuses need none, but a context read without a
	// user shows at most 60 replies, 20 levels deep: replies beyond that
	// which no deeper context reaches are reported as "truncated". With
	// a token a context shows up to 4,096.
	MastodonAccessToken string
	// BlueskyHandle and BlueskyAppPassword open the session that Bluesky
	// search needs (searchPosts refuses anonymous requests); threads are
	// public.
	BlueskyHandle, BlueskyAppPassword string
}

// Fetcher is polite HTTP on top of Colly.
type Fetcher interface {
	// Get fetches u and returns a 2xx response. Non-2xx responses come back
	// as *HTTPError (errors.Is(err, ErrBlocked) for 401/403, ErrNotFound for
	// 404 and 410) after the retries the policy allows (429/5xx).
	Get(ctx context.Context, u string, hdr http.Header) (*Response, error)
	// Post sends body (form or JSON, by contentType) to u, same contract as Get.
	Post(ctx context.Context, u, contentType string, body []byte, hdr http.Header) (*Response, error)
	// Collector returns a new Colly collector with the same politeness
	// (User-Agent, robots.txt, limits, transport, body size, timeouts) for
	// adapters that crawl HTML with OnHTML callbacks.
	Collector(ctx context.Context) *colly.Collector
}

// Response is a fetched 2xx response.
type Response struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   []byte
}

// State is a source's persistent key/value cursor store. Set values are
// saved once every reaction emitted before the Set call has been
// acknowledged downstream, so a crash never skips unsent reactions.
type State interface {
	Get(key string) string
	Set(key, value string)
}

// Stats counts a run's work. Requests and pages are counted by the fetcher;
// items and new items by Emit. Adapters report errors and blocks.
type Stats interface {
	// Error records one error of a kind ("http_5xx", "parse", "not_found", …);
	// kinds are a small fixed vocabulary: they become metric labels. See
	// ErrorKind for the kinds every adapter shares.
	Error(kind string, err error)
	// Blocked records that an endpoint refused us (403, auth required).
	Blocked(what string, err error)
	// Page records one page/listing parsed successfully.
	Page()
}

// Sentinel errors adapters and the crawler branch on.
var (
	ErrBlocked  = errors.New("blocked or authentication required")
	ErrNotFound = errors.New("not found")
	// ErrRobots is returned when robots.txt disallows a URL.
	ErrRobots = errors.New("disallowed by robots.txt")
	// ErrTooLarge is returned when a body exceeds the size limit.
	ErrTooLarge = errors.New("response body too large")
	// ErrParse marks an answer that arrived but cannot be read: JSON of
	// another shape than the platform sends. Adapters wrap it
	// (fmt.Errorf("…: %w", ErrParse)) or return a *ParseError, so that
	// ErrorKind files the error as "parse".
	ErrParse = errors.New("unexpected response shape")
	// ErrTimeout is a request that got no whole answer within the
	// crawler's per-request timeout, after the retries the policy allows.
	// It is that request's failure, never the run's end: it does not wrap
	// context.DeadlineExceeded.
	ErrTimeout = errors.New("request timed out")
	// ErrRedirectLoop is a URL that redirects in a circle (or more than
	// MaxRedirects times).
	ErrRedirectLoop = errors.New("redirect loop")
	// ErrThrottled is a platform that asks the crawler to wait longer than
	// it waits (a Retry-After beyond Config.MaxRetryWait): the source
	// stops at once, see *ThrottledError.
	ErrThrottled = errors.New("throttled")
)

// ThrottledError is a platform's request to come back later than the
// crawler waits; errors.Is(err, ErrThrottled) holds for it.
type ThrottledError struct {
	Host string
	// Until is when the platform says requests may resume.
	Until time.Time
	// Reason says what asked for the wait, e.g. "HTTP 429 with
	// Retry-After: 86400".
	Reason string
}

// Error names the host, the time and the reason.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s asks us to wait until %s (%s)", e.Host, ResumeTime(e.Until), e.Reason)
}

// Is makes errors.Is(err, ErrThrottled) work.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// ResumeTime formats a time to resume for people: UTC, to the minute,
// rounded up (never earlier than the platform asked), e.g.
// "2026-12-08T09:00Z".
func ResumeTime(t time.Time) string {
	t = t.UTC()
	if r := t.Truncate(time.Minute); r.Before(t) {
		t = r.Add(time.Minute)
	}
	return t.Format("2006-01-02T15:04Z")
}

// MaxRedirects is how many redirects one request follows (Go's default).
const MaxRedirects = 10

// CheckRedirect is the crawler's redirect rule for one request (a colly
// redirect handler): it returns an error wrapping ErrRedirectLoop when req
// goes back to a URL of the chain via, or after MaxRedirects redirects. A
// first return to the URL first asked for is allowed: sites that set a
// cookie redirect back that way once.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return fmt.Errorf("%s: %w: more than %d redirects", via[0].URL.Redacted(), ErrRedirectLoop, MaxRedirects)
	}
	to := req.URL.String()
	n := 0
	for _, v := range via {
		if v.URL.String() == to {
			n++
		}
	}
	if n > 1 || n == 1 && to != via[0].URL.String() {
		return fmt.Errorf("%s: %w: it redirects back to %s", via[0].URL.Redacted(), ErrRedirectLoop, req.URL.Redacted())
	}
	return nil
}

// ParseError is an answer from URL (or an API method) that could not be
// decoded; errors.Is(err, ErrParse) holds for it.
type ParseError struct {
	URL string
	Err error
}

// Error names the URL and the decoding error.
func (e *ParseError) Error() string { return fmt.Sprintf("parse %s: %v", e.URL, e.Err) }

// Unwrap returns the decoding error.
func (e *ParseError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrParse) work.
func (e *ParseError) Is(target error) bool { return target == ErrParse }

// ErrorKind maps a failed request or answer to the error kinds all adapters
// share. The kinds become metric labels, so the vocabulary is small and
// fixed:
//
//	not_found     404 or 410 (ErrNotFound)
//	robots        disallowed by robots.txt (ErrRobots)
//	too_large     body over the size limit (ErrTooLarge)
//	parse         an answer that cannot be read (ErrParse, *ParseError,
//	              *json.SyntaxError, *json.UnmarshalTypeError)
//	loop          a paging walk that came back to a page (ErrLoop, see Walk)
//	truncated     a walk cut at a page cap (ErrTruncated)
//	redirect_loop a URL that redirects in a circle (ErrRedirectLoop)
//	timeout       no answer within the per-request timeout (ErrTimeout)
//	throttled     the platform asks to wait longer than the crawler does
//	              (ErrThrottled; the crawler then stops the source)
//	rate_limited  429 after the retries
//	http_5xx      5xx after the retries
//	http_4xx      any other non-2xx *HTTPError
//	network       anything else (connection, TLS)
//
// A block (ErrBlocked) is not an error kind: it goes to Stats.Blocked (see
// Report). Adapters that have kinds of their own ("truncated",
// "bad_input", "deleted_unknown_time", …) check for them first and fall
// back to ErrorKind.
func ErrorKind(err error) string {
	var he *HTTPError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrRobots):
		return "robots"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrParse), errors.As(err, &se), errors.As(err, &te):
		return "parse"
	case errors.Is(err, ErrLoop):
		return "loop"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, ErrRedirectLoop):
		return "redirect_loop"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrThrottled):
		return "throttled"
	case errors.As(err, &he) && he.Status == http.StatusTooManyRequests:
		return "rate_limited"
	case errors.As(err, &he) && he.Status >= 500:
		return "http_5xx"
	case errors.As(err, &he):
		return "http_4xx"
	}
	return "network"
}

// Report files the failure err of one request or item (what names it, as
// in "topic 5600") so that the run can go on with the others: a block goes
// to stats.Blocked and Report returns true; anything else goes to
// stats.Error under ErrorKind. Whether the run must stop (its context is
// done) is the caller's to decide before calling Report.
func Report(stats Stats, what string, err error) (blocked bool) {
	if errors.Is(err, ErrBlocked) {
		stats.Blocked(what, err)
		return true
	}
	stats.Error(ErrorKind(err), err)
	return false
}

// HTTPError is a non-2xx response after retries.
type HTTPError struct {
	URL    string
	Status int
	Body   []byte // at most a few KiB, for messages
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.Status) }

// Is makes errors.Is(err, ErrBlocked) and errors.Is(err, ErrNotFound) work.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrBlocked:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound || e.Status == http.StatusGone
	}
	return false
}

var registry = map[reaction.Platform]func() Adapter{}

// Register makes an adapter available for a platform. Adapter packages call
// it from an init function; the crawler imports them for that side effect.
func Register(p reaction.Platform, newAdapter func() Adapter) { registry[p] = newAdapter }

// Lookup returns a new adapter for p, or false if none is registered.
func Lookup(p reaction.Platform) (Adapter, bool) {
	f, ok := registry[p]
	if !ok {
		return nil, false
	}
	return f(), true
}
