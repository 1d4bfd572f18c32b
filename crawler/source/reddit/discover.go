package reddit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

// discoverPages bounds the pages of one url: search (100 posts each).
const discoverPages = 5

// discover finds the link posts of the story's URLs: api/info?url= for
// every spelling of each article (Reddit matches a URL exactly apart from
// case and www), then search?q=url:<host+path> (which splits the URL into
// words, and so also finds shares with tracking parameters), keeping the
// posts whose url is a copy of the article. It returns every discovered
// post id, earlier runs' included.
func (r *run) discover(ctx context.Context) ([]string, error) {
	d, on := source.LoadDiscoveries(r.env)
	if !on {
		return nil, nil
	}
	take := func(what, via string, body []byte) bool {
		var l listing
		if err := json.Unmarshal(body, &l); err != nil {
			r.env.Stats.Error("parse", fmt.Errorf("reddit: %s: %w", what, err))
			return false
		}
		r.env.Stats.Page()
		for _, th := range l.Data.Children {
			var p struct {
				ID  string `json:"id"`
				URL string `json:"url"`
			}
			if th.Kind != "t3" || json.Unmarshal(th.Data, &p) != nil || p.ID == "" {
				continue
			}
			if _, ok := d.Match(p.URL); ok {
				d.Add(p.ID, reaction.MakeID(reaction.Reddit, "t3_"+p.ID), via, p.URL)
			}
		}
		return l.Data.After != nil && *l.Data.After != ""
	}
	for _, u := range d.URLs() {
		for _, form := range urlnorm.Forms(u) {
			resp, err := r.get(ctx, "info", "/api/info.json", url.Values{"url": {form}, "limit": {"100"}})
			if err != nil {
				if err := r.fails.Fail(ctx, "reddit: info "+form, err); err != nil {
					return nil, err
				}
				continue
			}
			take("info "+form, reaction.ViaRedditInfo, resp.Body)
		}
		q := url.Values{"q": {"url:" + urlnorm.HostPath(u)}, "sort": {"new"}, "type": {"link"}, "t": {"all"}, "limit": {"100"}}
		walk := source.Walk{What: fmt.Sprintf("reddit: url search %q", u), Max: discoverPages}
		after := ""
		for {
			if err := walk.Next(after); err != nil {
				if err := r.fails.Fail(ctx, walk.What, err); err != nil {
					return nil, err
				}
				break
			}
			if after != "" {
				q.Set("after", after)
			}
			resp, err := r.get(ctx, "search", "/search.json", q)
			if err != nil {
				if err := r.fails.Fail(ctx, walk.What, err); err != nil {
					return nil, err
				}
				break
			}
			if !take(walk.What, reaction.ViaRedditURLSearch, resp.Body) {
				break
			}
			var l listing
			_ = json.Unmarshal(resp.Body, &l)
			after = *l.Data.After
		}
	}
	d.Save()
	return d.Natives(), nil
}
