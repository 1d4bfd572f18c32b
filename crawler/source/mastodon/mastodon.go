// Package mastodon collects public statuses and their replies from a server
// that speaks the Mastodon API, without a token: hashtag timelines paged by
// their Link headers, the statuses a story names, and every reply below
// them through statuses/<id>/context, asked again for each reply that has
// more replies than an anonymous context shows. Ids are ActivityPub uris;
// the named statuses are the thread starters; spoiler_text is the content
// warning, kept apart from the text. The endpoints, limits and edge cases
// are in docs/platforms.md, "Mastodon".
package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

const (
	pageLimit = 40 // statuses per timeline page (Mastodon's maximum)
	// maxRefresh bounds the contexts asked again per run, within
	// Mastodon's anonymous budget of 300 requests per 5 minutes.
	maxRefresh = 100
	// followFor is how long a found status is watched for new replies.
	followFor = 7 * 24 * time.Hour
	// maxPages bounds one timeline walk.
	maxPages = 5000
	// maxUp bounds how many contexts are asked to climb to a root more
	// than 40 ancestors away.
	maxUp = 25
	// Descendants one context shows without and with a user token.
	contextCapAnonymous = 60
	contextCapUser      = 4096
)

// State keys.
const (
	stateTag     = "tag:"    // + tag: newest status id seen on its timeline
	stateLink    = "link:"   // + URL: newest status id seen on its link timeline
	stateThreads = "threads" // "id:found:asked,…" statuses watched for replies (Unix seconds)
)

func init() {
	source.Register(reaction.Mastodon, func() source.Adapter { return &Adapter{} })
}

// EnvAccessToken is the environment variable from which the command takes
// source.Credentials.MastodonAccessToken, named in messages.
const EnvAccessToken = "MASTODON_ACCESS_TOKEN"

// Adapter collects Mastodon reactions, as a user when
// source.Env.Credentials has a Mastodon access token. The zero value is
// ready to use.
type Adapter struct{}

// Collect implements source.Adapter.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	r := &run{
		env: env, log: env.Log, known: map[string]*status{}, asked: map[string]bool{},
		fails: source.Failures{Stats: env.Stats}, emitted: map[string]bool{}, seeds: map[string]bool{}, named: map[string]bool{}, contextCap: contextCapAnonymous,
	}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.base = strings.TrimRight(env.Source.BaseURL, "/")
	u, err := url.Parse(r.base)
	if err != nil || u.Host == "" {
		return fmt.Errorf("mastodon: base_url %q is not a server URL", env.Source.BaseURL)
	}
	r.baseURL = u
	if tok := env.Credentials.MastodonAccessToken; tok != "" {
		r.hdr = http.Header{"Authorization": {"Bearer " + tok}}
		r.contextCap = contextCapUser
	}
	return r.collect(ctx)
}

// flexID is an id sent as a string (Mastodon) or a number (some other
// servers).
type flexID string

// UnmarshalJSON accepts "123", 123 and null.
func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", b)
	}
	*f = flexID(n.String())
	return nil
}

// status is the part of a Status the adapter uses.
type status struct {
	ID              flexID  `json:"id"`
	URI             string  `json:"uri"`
	URL             *string `json:"url"`
	CreatedAt       string  `json:"created_at"`
	InReplyToID     flexID  `json:"in_reply_to_id"`
	SpoilerText     string  `json:"spoiler_text"`
	Visibility      string  `json:"visibility"`
	Language        *string `json:"language"`
	RepliesCount    int64   `json:"replies_count"`
	FavouritesCount int64   `json:"favourites_count"`
	Content         string  `json:"content"`
	Reblog          *status `json:"reblog"`
	Card            *struct {
		URL string `json:"url"`
	} `json:"card"`
	Account struct {
		Acct     string `json:"acct"`
		Username string `json:"username"`
		URL      string `json:"url"`
	} `json:"account"`
}

type threadContext struct {
	Ancestors   statusList `json:"ancestors"`
	Descendants statusList `json:"descendants"`
}

// statusList is a JSON array of statuses decoded one by one, so that one
// malformed status costs only itself.
type statusList struct {
	list []*status
	bad  []error
}

// UnmarshalJSON decodes every readable status and keeps the errors of the
// others.
func (l *statusList) UnmarshalJSON(b []byte) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	for i, raw := range raws {
		s := new(status)
		err := json.Unmarshal(raw, s)
		if err == nil && (s.ID == "" || s.URI == "") {
			err = fmt.Errorf("no id or uri: %w", source.ErrParse)
		}
		if err != nil {
			l.bad = append(l.bad, fmt.Errorf("status %d of %d: %w", i+1, len(raws), err))
			continue
		}
		l.list = append(l.list, s)
	}
	return nil
}

// report records the statuses that could not be read.
func (l *statusList) report(r *run, where string) {
	for _, err := range l.bad {
		r.env.Stats.Error("parse", fmt.Errorf("mastodon: %s: %w", where, err))
	}
}

type run struct {
	env     *source.Env
	log     *slog.Logger
	base    string
	baseURL *url.URL
	known   map[string]*status // local id -> status, everything seen this run
	asked   map[string]bool    // local ids whose context was asked this run
	emitted map[string]bool    // reaction ids emitted this run
	seeds   map[string]bool    // local ids found as tagged or named statuses this run
	named   map[string]bool    // local ids of the statuses the source names: its thread starters
	// children maps a local id to the ids of the replies seen to it.
	children map[string]map[string]bool
	hdr      http.Header // the Authorization of a user token, or nil
	// contextCap is how many descendants one context shows.
	contextCap int
	fails      source.Failures
}

func (r *run) now() time.Time {
	if r.env.Now != nil {
		return r.env.Now()
	}
	return time.Now()
}

func (r *run) collect(ctx context.Context) error {
	threads := parseThreads(r.env.State.Get(stateThreads))
	for _, id := range r.env.Source.Statuses {
		r.named[strings.TrimSpace(id)] = true // before any is emitted: one may answer another
	}
	for _, id := range r.env.Source.Statuses {
		id = strings.TrimSpace(id)
		var s status
		if _, err := r.get(ctx, r.base+"/api/v1/statuses/"+url.PathEscape(id), &s); err != nil {
			if err := r.fails.Fail(ctx, "status", fmt.Errorf("mastodon: status %s: %w", id, err)); err != nil {
				return err
			}
			continue
		}
		if err := r.seed(ctx, &s, threads); err != nil {
			return err
		}
	}
	for _, tag := range r.env.Source.Hashtags {
		if err := r.timeline(ctx, strings.TrimPrefix(strings.TrimSpace(tag), "#"), threads); err != nil {
			return err
		}
	}
	if err := r.discover(ctx, threads); err != nil {
		return err
	}
	if err := r.refresh(ctx, threads); err != nil {
		return err
	}
	threads.prune(r.now().Add(-followFor).Unix())
	r.env.State.Set(stateThreads, threads.String())
	return r.fails.Err(reaction.Mastodon)
}

// get fetches u and decodes its JSON into v.
func (r *run) get(ctx context.Context, u string, v any) (*source.Response, error) {
	resp, err := r.env.Fetch.Get(ctx, u, r.hdr)
	if err != nil {
		if r.hdr != nil && errors.Is(err, source.ErrBlocked) {
			err = fmt.Errorf("the server refuses the access token in %s (invalid or revoked?): %w", EnvAccessToken, err)
		}
		return nil, err
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	r.fails.OK()
	r.env.Stats.Page()
	return resp, nil
}

// idLess orders Mastodon ids (decimal strings) as numbers.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// --- timelines ------------------------------------------------------------

// timeline walks one hashtag. The first walk goes back in time by
// rel="next" to the end (or the story window's start); later walks go
// forward from the newest status seen, by min_id and rel="prev".
func (r *run) timeline(ctx context.Context, tag string, threads *watched) error {
	return r.walkTimeline(ctx, "#"+tag, stateTag+strings.ToLower(tag), "/api/v1/timelines/tag/"+url.PathEscape(tag), nil, threads, nil)
}

// walkTimeline walks the timeline at path (with the parameters extra),
// keeping its cursor under key and naming it label; each, when set, is
// told of every status seeded. A link timeline answers 404 while its
// link is not trending: with each set, that is no error.
func (r *run) walkTimeline(ctx context.Context, label, key, path string, extra url.Values, threads *watched, each func(*status)) error {
	cursor := r.env.State.Get(key)
	q := url.Values{"limit": {strconv.Itoa(pageLimit)}}
	for k, v := range extra {
		q[k] = v
	}
	rel := "next"
	if cursor != "" {
		q.Set("min_id", cursor)
		rel = "prev"
	}
	u := r.base + path + "?" + q.Encode()
	var from, to time.Time
	if w := r.env.Story.Window; w != nil {
		from, to = w.From, w.To
	}
	newest, seen := cursor, 0
	walk := source.Walk{What: "mastodon: " + label, Max: maxPages}
	for u != "" {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := walk.Next(u); err != nil {
			if errors.Is(err, source.ErrLoop) && cursor == "" {
				// Walking back, the pages after the loop were not read:
				// the cursor stays, and the next run walks again.
				return r.fails.Fail(ctx, "timeline", err)
			}
			if err := r.fails.Fail(ctx, "timeline", err); err != nil {
				return err
			}
			break
		}
		var statuses statusList
		resp, err := r.get(ctx, u, &statuses)
		if err != nil {
			if each != nil && errors.Is(err, source.ErrNotFound) {
				return nil // a link that is not trending (now)
			}
			// The cursor stays: the next run walks this part again.
			return r.fails.Fail(ctx, "timeline", fmt.Errorf("mastodon: %s: %w", label, err))
		}
		statuses.report(r, label)
		page := statuses.list
		if len(page) == 0 && len(statuses.bad) == 0 {
			break
		}
		stop := false
		pageNewest := ""
		for _, s := range page {
			if s == nil {
				continue
			}
			if s.Reblog != nil {
				s = s.Reblog
			}
			if pageNewest == "" || idLess(pageNewest, string(s.ID)) {
				pageNewest = string(s.ID)
			}
			t := parseTime(s.CreatedAt)
			if !from.IsZero() && t.Before(from) {
				stop = true
				continue
			}
			if !to.IsZero() && !t.Before(to) {
				continue
			}
			seen++
			if each != nil {
				each(s)
			}
			if err := r.seed(ctx, s, threads); err != nil {
				return err
			}
		}
		if newest == "" || idLess(newest, pageNewest) {
			newest = pageNewest
		}
		if cursor != "" {
			// Paging forward: every page is contiguous with the cursor.
			r.env.State.Set(key, newest)
		}
		if stop {
			break
		}
		u = r.follow(linkRel(resp.Header.Values("Link"), rel))
	}
	if newest != "" {
		r.env.State.Set(key, newest)
	}
	r.log.Info("mastodon timeline walked", "statuses", seen)
	return nil
}

// follow returns a Link target to fetch: as given when it is on the
// base URL's host, else the same path and query on that host.
func (r *run) follow(link string) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	if u.Host == "" || !strings.EqualFold(u.Host, r.baseURL.Host) {
		r.log.Warn("mastodon Link header points at another host; following it on base_url", "host", u.Host)
		u.Scheme, u.Host = r.baseURL.Scheme, r.baseURL.Host
	}
	return u.String()
}

// linkRel returns the URL of the link with relation rel in Link headers.
func linkRel(values []string, rel string) string {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") {
					for _, name := range strings.Fields(strings.Trim(v, `"`)) {
						if strings.EqualFold(name, rel) {
							return target[1 : len(target)-1]
						}
					}
				}
			}
		}
	}
	return ""
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// discover walks the link timeline (Mastodon 4.3+) of every spelling of
// the story's URLs: the public statuses whose preview card is that URL,
// from accounts that allow discovery, and only while the link trends on
// the server (404 otherwise). Found statuses are reactions, like those of
// a hashtag timeline, and their replies are followed; the statuses found
// earlier stay followed after the link stops trending.
func (r *run) discover(ctx context.Context, threads *watched) error {
	d, on := source.LoadDiscoveries(r.env)
	if !on {
		return nil
	}
	for _, u := range d.URLs() {
		for _, form := range urlnorm.Forms(u) {
			err := r.walkTimeline(ctx, "link "+form, stateLink+form, "/api/v1/timelines/link", url.Values{"url": {form}}, threads, func(s *status) {
				link := form
				if s.Card != nil && s.Card.URL != "" {
					link = s.Card.URL
				}
				d.Add(string(s.ID), reaction.MakeID(reaction.Mastodon, s.URI), reaction.ViaMastodonLinkTrends, link)
			})
			if err != nil {
				return err
			}
		}
	}
	d.Save()
	return nil
}
