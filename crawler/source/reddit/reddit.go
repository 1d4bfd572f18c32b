// Package reddit collects the comments of Reddit threads, and the threads a
// search finds, through Reddit's Data API with app-only OAuth: it walks
// searches by data.after, reads each thread with both kinds of "more" stub
// expanded, re-reads on later runs only the threads whose num_comments
// changed, and maps posts and comments to reactions (fullname ids, the
// post as thread starter, Markdown text, signed scores). The endpoints,
// limits, credentials and edge cases are in docs/platforms.md, "Reddit".
package reddit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// The environment variables from which the command takes the app's
// OAuth client credentials (source.Credentials), named in messages.
const (
	EnvClientID     = "REDDIT_CLIENT_ID"
	EnvClientSecret = "REDDIT_CLIENT_SECRET"
)

// WebOrigin is joined with Reddit's relative permalinks to make a
// reaction's URL (the human page, never the API URL).
const WebOrigin = "https://www.reddit.com"

const (
	commentLimit = 500 // comments per thread response (Reddit's maximum)
	moreBatch    = 100 // ids per morechildren call
	pageLimit    = 100 // results per search page, posts per info call
	listingCap   = 1000
	// maxSearchPages bounds one search walk: ten times the pages Reddit
	// lists (listingCap), so reaching it means the server never ends.
	maxSearchPages = 10 * listingCap / pageLimit
	// sortOrder is "old": earlier comments keep their place while new
	// ones arrive during a crawl.
	sortOrder = "old"
)

func init() {
	source.Register(reaction.Reddit, func() source.Adapter { return &Adapter{} })
}

// Adapter collects Reddit reactions with the app credentials of
// source.Env.Credentials. The zero value is ready to use; it keeps its
// access token between runs.
type Adapter struct {
	mu      sync.Mutex
	token   string
	expires time.Time
}

// Collect implements source.Adapter.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	r := &run{a: a, env: env, log: env.Log, emitted: map[string]bool{}, fails: source.Failures{Stats: env.Stats}}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.base = strings.TrimRight(env.Source.BaseURL, "/")
	if r.base == "" {
		r.base = story.DefaultBaseURL(reaction.Reddit)
	}
	r.tokenURL = env.Source.TokenURL
	if r.tokenURL == "" {
		r.tokenURL = story.DefaultRedditTokenURL
	}
	r.id, r.secret = env.Credentials.RedditClientID, env.Credentials.RedditClientSecret
	if r.id != "" && r.secret == "" {
		err := fmt.Errorf("reddit: %s is set but %s is empty: app-only OAuth needs both: %w", EnvClientID, EnvClientSecret, source.ErrBlocked)
		env.Stats.Blocked("token", err)
		return err
	}
	return r.collect(ctx)
}

// run is one Collect call.
type run struct {
	a              *Adapter
	env            *source.Env
	log            *slog.Logger
	base, tokenURL string
	id, secret     string
	emitted        map[string]bool
	fails          source.Failures
}

func (r *run) collect(ctx context.Context) error {
	tracked := parseTracked(r.env.State.Get(stateThreads))
	found, err := r.discover(ctx)
	if err != nil {
		return err
	}
	for _, id := range append(append([]string(nil), r.env.Source.Threads...), found...) {
		tracked.add(nativeID(id), -1, false)
	}
	// Posts a search found with no comments need no thread request: they
	// are emitted from the search result unless a thread crawl emits them.
	pending := map[string]*post{}
	var pendingOrder []string
	for _, q := range r.env.Source.Search {
		found, err := r.search(ctx, q, tracked)
		if err != nil {
			return err
		}
		for _, p := range found {
			if _, ok := pending[p.ID]; !ok {
				pendingOrder = append(pendingOrder, p.ID)
			}
			pending[p.ID] = p
		}
		r.env.State.Set(stateThreads, tracked.String())
	}
	if err := r.fails.Stopped(); err != nil {
		return err
	}

	fetch, err := r.changed(ctx, tracked)
	if err != nil {
		return err
	}
	for _, id := range fetch {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, complete, err := r.thread(ctx, id)
		if err != nil {
			return err
		}
		if complete {
			tracked.add(id, n, true)
			r.env.State.Set(stateThreads, tracked.String())
		}
	}
	for _, id := range pendingOrder {
		p := pending[id]
		if r.emitted[p.Name] {
			continue
		}
		if err := r.env.EmitOnce(r.emitted, r.postReaction(p)); err != nil {
			return err
		}
	}
	return r.fails.Err(reaction.Reddit)
}

// --- HTTP and OAuth ---------------------------------------------------------

// get fetches base+path with q (raw_json=1 always) as the authenticated app.
func (r *run) get(ctx context.Context, what, path string, q url.Values) (*source.Response, error) {
	q.Set("raw_json", "1")
	u := r.base + path + "?" + q.Encode()
	for attempt := 0; ; attempt++ {
		hdr, err := r.auth(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := r.env.Fetch.Get(ctx, u, hdr)
		if err != nil && r.id == "" && errors.Is(err, source.ErrBlocked) {
			return nil, r.fails.Stop(what, fmt.Errorf("reddit: %s refused an unauthenticated request: set %s and %s to the credentials of a Reddit app (app-only OAuth): %w",
				r.base, EnvClientID, EnvClientSecret, err))
		}
		var he *source.HTTPError
		if err == nil {
			r.fails.OK()
			return resp, nil
		}
		if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
			return nil, err
		}
		// 401: the token expired or was revoked; get a new one once.
		if attempt > 0 {
			return nil, r.fails.Stop(what, fmt.Errorf("reddit: %s rejects the access token from %s: %w", r.base, r.tokenURL, err))
		}
		r.a.mu.Lock()
		r.a.token = ""
		r.a.mu.Unlock()
	}
}

// auth returns the Authorization header, fetching a token when needed.
func (r *run) auth(ctx context.Context) (http.Header, error) {
	if r.id == "" {
		return nil, nil
	}
	r.a.mu.Lock()
	defer r.a.mu.Unlock()
	now := r.now()
	if r.a.token == "" || !now.Before(r.a.expires) {
		tok, ttl, err := r.fetchToken(ctx)
		if err != nil {
			return nil, r.fails.Stop("token", err)
		}
		r.a.token, r.a.expires = tok, now.Add(ttl-time.Minute)
	}
	return http.Header{"Authorization": {"bearer " + r.a.token}}, nil
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Error       string `json:"error"`
}

func (r *run) fetchToken(ctx context.Context) (string, time.Duration, error) {
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(r.id) + ":" + url.QueryEscape(r.secret)))
	resp, err := r.env.Fetch.Post(ctx, r.tokenURL, "application/x-www-form-urlencoded",
		[]byte("grant_type=client_credentials"), http.Header{"Authorization": {"Basic " + basic}})
	if err != nil {
		if errors.Is(err, source.ErrBlocked) {
			return "", 0, fmt.Errorf("reddit: the token endpoint %s refused the client credentials (check %s and %s): %w",
				r.tokenURL, EnvClientID, EnvClientSecret, err)
		}
		return "", 0, fmt.Errorf("reddit: get an access token from %s: %w", r.tokenURL, err)
	}
	var ans tokenAnswer
	if err := json.Unmarshal(resp.Body, &ans); err != nil {
		return "", 0, fmt.Errorf("reddit: token endpoint %s answered something that is not a token: %w", r.tokenURL, err)
	}
	if ans.AccessToken == "" {
		msg := ans.Error
		if msg == "" {
			msg = "no access_token"
		}
		return "", 0, fmt.Errorf("reddit: the token endpoint %s gave no token (%s): %w", r.tokenURL, msg, source.ErrBlocked)
	}
	ttl := time.Duration(ans.ExpiresIn) * time.Second
	if ttl < 2*time.Minute {
		ttl = 2 * time.Minute
	}
	return ans.AccessToken, ttl, nil
}

func (r *run) now() time.Time {
	if r.env.Now != nil {
		return r.env.Now()
	}
	return time.Now()
}

// nativeID accepts "j2rm5q" and "t3_j2rm5q".
func nativeID(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "t3_"); ok {
		return rest
	}
	return s
}
