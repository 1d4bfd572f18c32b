package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/idset"
	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

// searches runs every query of the source with one session.
func (c *crawl) searches(ctx context.Context) error {
	env := c.env
	ident, pass := env.Credentials.BlueskyHandle, env.Credentials.BlueskyAppPassword
	if ident == "" || pass == "" {
		env.Stats.Blocked("search", errNoCredentials)
		c.searchBlocked = errNoCredentials
		return nil
	}
	s := &searcher{crawl: c, key: c.pds + "\x00" + ident, ident: ident, pass: pass}
	for _, q := range env.Source.Search {
		if err := ctx.Err(); err != nil {
			return err
		}
		stop, err := s.query(ctx, q, nil)
		if err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
	if c.found == nil {
		return nil
	}
	// The story's URLs: searchPosts with url (and the URL as q, which
	// Bluesky's query parser turns into the same filter) finds the posts
	// whose link facets or link card hold it, normalised lossily (no www,
	// trailing slash or tracking parameters) but with the scheme and the
	// AMP edition as given, so every spelling is asked for.
	asked := map[string]bool{}
	for _, u := range c.found.URLs() {
		for _, form := range urlnorm.Forms(u) {
			if k := lossy(form); asked[k] {
				continue
			} else {
				asked[k] = true
			}
			stop, err := s.query(ctx, form, url.Values{"url": {form}})
			if err != nil {
				return err
			}
			if stop {
				return nil
			}
		}
	}
	return nil
}

// lossy is the spelling of u that Bluesky's search cannot tell apart
// from others: scheme, path and AMP edition kept, www and a trailing
// slash dropped.
func lossy(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Scheme + "://" + strings.TrimPrefix(strings.ToLower(p.Host), "www.") + strings.TrimRight(p.EscapedPath(), "/") + "?" + p.RawQuery
}

// discovered records the thread of a post that the URL search found, when
// the post links to a copy of one of the story's articles.
func (s *searcher) discovered(p *postView) {
	links := p.Record.links()
	root := p.URI
	if rp := p.Record.Reply; rp != nil && rp.Root.URI != "" {
		root = rp.Root.URI
	}
	for _, l := range links {
		if _, ok := s.found.Match(l); ok {
			s.found.Add(root, reaction.MakeID(reaction.Bluesky, root), reaction.ViaBlueskyURLSearch, l)
			return
		}
	}
}

type searcher struct {
	*crawl
	key, ident, pass string
}

// hit is one post a query scanned, for the overlap of the next run.
type hit struct {
	h  uint64
	at time.Time
}

// query pages through one search. stop reports that search as a whole is
// refused (no session, 403), so the other queries need not be tried.
func (s *searcher) query(ctx context.Context, q string, extra url.Values) (stop bool, err error) {
	env := s.env
	key := "search/" + q
	var newest time.Time
	if v := env.State.Get(key + "/newest"); v != "" {
		newest, _ = time.Parse(time.RFC3339Nano, v)
	}
	recent := idset.Decode[uint64](env.State.Get(key + "/recent"))
	var stopAt time.Time
	if !newest.IsZero() {
		stopAt = newest.Add(-searchOverlap)
	}
	var scanned []hit
	maxAt := newest
	cursor := ""
	emitted := 0
	walk := source.Walk{What: fmt.Sprintf("bluesky: search %q", q), Max: MaxSearchPages}
	for {
		if err := walk.Next(cursor); err != nil {
			env.Stats.Error(source.ErrorKind(err), err)
			if errors.Is(err, source.ErrLoop) {
				return false, nil // as after a failed request: the next run starts again from the last saved point
			}
			break
		}
		v := url.Values{"q": {q}, "sort": {"latest"}, "limit": {fmt.Sprint(SearchLimit)}}
		for k, x := range extra {
			v[k] = x
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		var res struct {
			Cursor string     `json:"cursor"`
			Posts  []postView `json:"posts"`
		}
		err := s.authedGet(ctx, s.pds+"/xrpc/app.bsky.feed.searchPosts?"+v.Encode(), &res)
		if err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			s.record(fmt.Sprintf("search %q", q), err)
			if errors.Is(err, source.ErrBlocked) {
				s.searchBlocked = err
				return true, nil
			}
			return false, nil // the next run starts again from the last saved point
		}
		env.Stats.Page()
		older := false
		for i := range res.Posts {
			p := &res.Posts[i]
			at, err := parseTime(p.IndexedAt)
			if err != nil {
				at, err = createdAt(p)
			}
			if err == nil && at.After(maxAt) {
				maxAt = at
			}
			if err == nil && !stopAt.IsZero() && at.Before(stopAt) {
				older = true
				continue
			}
			h := hashURI(p.URI)
			scanned = append(scanned, hit{h: h, at: at})
			if extra != nil {
				s.discovered(p)
			}
			if recent[h] || s.seen[p.URI] || s.isNamed(p) {
				continue // a named thread's starter is the thread walk's to emit
			}
			r, ok := s.reaction(p, "", "")
			if !ok {
				continue
			}
			s.seen[p.URI] = true
			if err := s.emit(r); err != nil {
				return true, err
			}
			emitted++
			if p.Record.Reply == nil && p.ReplyCount > 0 {
				s.hitURIs = append(s.hitURIs, p.URI)
			}
		}
		if older || len(res.Posts) == 0 || res.Cursor == "" {
			break
		}
		cursor = res.Cursor
	}
	if !maxAt.IsZero() {
		keep := map[uint64]bool{}
		for _, h := range scanned {
			if !h.at.Before(maxAt.Add(-searchOverlap)) {
				keep[h.h] = true
			}
		}
		env.State.Set(key+"/newest", maxAt.UTC().Format(time.RFC3339Nano))
		env.State.Set(key+"/recent", idset.Encode(keep))
	}
	env.Log.Info("bluesky search read", "emitted", emitted, "scanned", len(scanned))
	return false, nil
}

// authedGet GETs u with the session's bearer token, renewing the session
// once when the token has expired.
func (s *searcher) authedGet(ctx context.Context, u string, v any) error {
	for attempt := 0; ; attempt++ {
		tok, err := s.token(ctx, attempt > 0)
		if err != nil {
			return err
		}
		err = s.getJSON(ctx, u, http.Header{"Authorization": {"Bearer " + tok}}, v)
		if attempt == 0 && isExpired(err) {
			continue
		}
		return err
	}
}

func isExpired(err error) bool {
	var he *source.HTTPError
	if !errors.As(err, &he) {
		return false
	}
	name := xrpcError(err)
	return he.Status == http.StatusUnauthorized || name == "ExpiredToken" || name == "InvalidToken"
}

// token returns a valid access token: the cached one, a refreshed one, or
// a new session. renew forces a refresh.
func (s *searcher) token(ctx context.Context, renew bool) (string, error) {
	sessions.Lock()
	defer sessions.Unlock()
	cur := sessions.m[s.key]
	if cur != nil && !renew && (cur.expires.IsZero() || time.Until(cur.expires) > 5*time.Minute) {
		return cur.access, nil
	}
	if cur != nil && cur.refresh != "" {
		ns, err := s.session(ctx, "com.atproto.server.refreshSession", nil, cur.refresh)
		if err == nil {
			sessions.m[s.key] = ns
			return ns.access, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		s.env.Log.Info("bluesky: session refresh failed, creating a new session", "error", err)
	}
	body, _ := json.Marshal(map[string]string{"identifier": s.ident, "password": s.pass})
	ns, err := s.session(ctx, "com.atproto.server.createSession", body, "")
	if err != nil {
		delete(sessions.m, s.key)
		var he *source.HTTPError
		if errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusBadRequest) {
			//lint:ignore ST1005 the sentence starts with the platform's name
			return "", fmt.Errorf("Bluesky refused the account in %s/%s (%w): %w", HandleEnv, PasswordEnv, source.ErrBlocked, err)
		}
		return "", fmt.Errorf("create session: %w", err)
	}
	sessions.m[s.key] = ns
	return ns.access, nil
}

func (s *searcher) session(ctx context.Context, method string, body []byte, bearer string) (*session, error) {
	var hdr http.Header
	if bearer != "" {
		hdr = http.Header{"Authorization": {"Bearer " + bearer}}
	}
	resp, err := s.env.Fetch.Post(ctx, s.pds+"/xrpc/"+method, "application/json", body, hdr)
	if err != nil {
		return nil, err
	}
	var res struct {
		AccessJwt  string `json:"accessJwt"`
		RefreshJwt string `json:"refreshJwt"`
	}
	if err := json.Unmarshal(resp.Body, &res); err != nil || res.AccessJwt == "" {
		if err == nil {
			err = errors.New("no accessJwt")
		}
		return nil, &source.ParseError{URL: method, Err: err}
	}
	return &session{access: res.AccessJwt, refresh: res.RefreshJwt, expires: jwtExpiry(res.AccessJwt)}, nil
}
