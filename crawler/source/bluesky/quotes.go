package bluesky

import (
	"context"
	"fmt"
	"net/url"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// MaxQuotePages bounds the getQuotes pages (100 posts each) of one post
// per run.
const MaxQuotePages = 10

// quotes collects the quote posts of every thread root crawled this run
// (app.bsky.feed.getQuotes, public on the AppView): a quote post is a
// reaction whose parent is the post it quotes, with relation "quote"; it
// starts a thread of its own (root_id is itself). Replies to quote posts
// are not followed.
func (c *crawl) quotes(ctx context.Context, _ map[string]bool) error {
	env := c.env
	for _, uri := range c.roots {
		cursor := ""
		walk := source.Walk{What: "bluesky: quotes of " + uri, Max: MaxQuotePages}
		for {
			if err := walk.Next(cursor); err != nil {
				source.Report(env.Stats, walk.What, err)
				break
			}
			v := url.Values{"uri": {uri}, "limit": {"100"}}
			if cursor != "" {
				v.Set("cursor", cursor)
			}
			var res struct {
				Cursor string     `json:"cursor"`
				Posts  []postView `json:"posts"`
			}
			if err := c.getJSON(ctx, c.base+"/xrpc/app.bsky.feed.getQuotes?"+v.Encode(), nil, &res); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.record("quotes of "+uri, err)
				break
			}
			env.Stats.Page()
			for i := range res.Posts {
				p := &res.Posts[i]
				if c.seen[p.URI] || p.Record.Embed.quoted() != uri {
					continue
				}
				r, ok := c.reaction(p, "", "")
				if !ok {
					continue
				}
				asQuote(&r, uri)
				c.seen[p.URI] = true
				if err := c.emit(r); err != nil {
					return fmt.Errorf("bluesky: emit: %w", err)
				}
			}
			if len(res.Posts) == 0 || res.Cursor == "" {
				break
			}
			cursor = res.Cursor
		}
	}
	return nil
}

// asQuote makes r, a post quoting the post quoted, the quote reaction:
// its parent is the quoted post and it starts a thread of its own, unless
// it is also a reply (its parent is then the post it answers).
func asQuote(r *reaction.Reaction, quoted string) {
	q := reaction.MakeID(reaction.Bluesky, quoted)
	if r.ParentID == "" { // a quote that is not also a reply
		r.ParentID, r.RootID = q, r.ID
	}
	if r.ParentID == q {
		r.Relation = reaction.RelationQuote
	}
}
