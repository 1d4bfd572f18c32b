package hackernews

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

// discoverPages bounds the pages of one URL search (200 hits each).
const discoverPages = 5

// discover finds the stories that link to the story's URLs: Algolia's
// search restricted to the url attribute, asked for each article's host
// and path (Algolia splits both into words, so every spelling of the URL
// is found), keeping the hits whose url is a copy of the article
// (urlnorm.Key). It returns every discovered story id, earlier runs'
// included.
func (r *run) discover(ctx context.Context) ([]string, error) {
	d, on := source.LoadDiscoveries(r.env)
	if !on {
		return nil, nil
	}
	for _, u := range d.URLs() {
		for page := 0; page < discoverPages; page++ {
			var res struct {
				Hits []struct {
					ObjectID string  `json:"objectID"`
					URL      *string `json:"url"`
				} `json:"hits"`
				NbPages int `json:"nbPages"`
			}
			q := url.Values{"query": {urlnorm.HostPath(u)}, "restrictSearchableAttributes": {"url"}, "tags": {"story"},
				"hitsPerPage": {"200"}, "page": {strconv.Itoa(page)}}
			if err := r.get(ctx, "/search", q, &res); err != nil {
				if err := r.fails.Fail(ctx, fmt.Sprintf("hackernews: url search %q", u), err); err != nil {
					return nil, err
				}
				break
			}
			r.env.Stats.Page()
			for _, h := range res.Hits {
				if h.URL == nil {
					continue
				}
				if _, ok := d.Match(*h.URL); ok {
					d.Add(h.ObjectID, reaction.MakeID(reaction.HackerNews, h.ObjectID), reaction.ViaHNURLSearch, *h.URL)
				}
			}
			if page+1 >= res.NbPages {
				break
			}
		}
	}
	d.Save()
	return d.Natives(), nil
}
