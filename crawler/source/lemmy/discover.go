package lemmy

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

// discoverPages bounds the pages of one URL search (50 posts each).
const discoverPages = 5

// discover finds the posts that link to the story's URLs with
// search?type_=Url, which compares a post's stored URL (tracking
// parameters removed) exactly, so every spelling of each article is asked
// for. It returns every discovered post id, earlier runs' included.
func (c *crawl) discover(ctx context.Context) ([]string, error) {
	d, on := source.LoadDiscoveries(c.env)
	if !on {
		return nil, nil
	}
	for _, u := range d.URLs() {
		for _, form := range urlnorm.Forms(u) {
			for page := 1; page <= discoverPages; page++ {
				var res struct {
					Posts []struct {
						Post struct {
							ID   int64   `json:"id"`
							URL  *string `json:"url"`
							APID string  `json:"ap_id"`
						} `json:"post"`
					} `json:"posts"`
				}
				q := url.Values{"q": {form}, "type_": {"Url"}, "listing_type": {"All"}, "sort": {"New"},
					"limit": {"50"}, "page": {strconv.Itoa(page)}}
				if err := c.getJSON(ctx, c.api+"/search?"+q.Encode(), &res); err != nil {
					if err := c.fails.Fail(ctx, fmt.Sprintf("lemmy: url search %q", form), err); err != nil {
						return nil, err
					}
					break
				}
				c.env.Stats.Page()
				for _, p := range res.Posts {
					if p.Post.URL == nil || p.Post.ID == 0 {
						continue
					}
					if _, ok := d.Match(*p.Post.URL); ok {
						d.Add(strconv.FormatInt(p.Post.ID, 10), reaction.MakeID(reaction.Lemmy, p.Post.APID), reaction.ViaLemmyURLSearch, *p.Post.URL)
					}
				}
				if len(res.Posts) < 50 {
					break
				}
			}
		}
	}
	d.Save()
	return d.Natives(), nil
}
