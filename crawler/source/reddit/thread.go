package reddit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// thing is one element of a Listing: a t1 comment, t3 post or more stub.
type thing struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// listing is Reddit's Listing wrapper.
type listing struct {
	Kind string `json:"kind"`
	Data struct {
		After    *string `json:"after"`
		Children []thing `json:"children"`
	} `json:"data"`
}

// post is the part of a t3 the adapter uses.
type post struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Title             string  `json:"title"`
	Selftext          string  `json:"selftext"`
	Author            string  `json:"author"`
	Permalink         string  `json:"permalink"`
	CreatedUTC        float64 `json:"created_utc"`
	Score             int64   `json:"score"`
	NumComments       int64   `json:"num_comments"`
	RemovedByCategory *string `json:"removed_by_category"`
}

// comment is the part of a t1 the adapter uses.
type comment struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	LinkID     string  `json:"link_id"`
	ParentID   string  `json:"parent_id"`
	Author     string  `json:"author"`
	Body       string  `json:"body"`
	Permalink  string  `json:"permalink"`
	CreatedUTC float64 `json:"created_utc"`
	Score      int64   `json:"score"`
	Replies    replies `json:"replies"`
}

// replies is the union Reddit sends: a Listing, or "" when there are none.
type replies struct{ listing *listing }

// UnmarshalJSON accepts a Listing object, a string (""), or null.
func (rp *replies) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		rp.listing = nil
		return nil
	}
	rp.listing = new(listing)
	return json.Unmarshal(b, rp.listing)
}

// more is a "more" stub: "load more comments" (children to ask
// morechildren for) or "continue this thread" (id "_", no children).
type more struct {
	Count    int      `json:"count"`
	Name     string   `json:"name"`
	ID       string   `json:"id"`
	ParentID string   `json:"parent_id"`
	Children []string `json:"children"`
}

func (m more) isContinue() bool { return m.ID == "_" || (len(m.Children) == 0 && m.Count == 0) }

// threadCrawl collects one thread before emitting it, so that every
// comment's Replies counts the replies that later requests brought.
type threadCrawl struct {
	article  string
	post     *post
	order    []string
	comments map[string]*comment
	replies  map[string]int64 // parent fullname -> direct replies seen
	asked    map[string]int   // times a comment id was asked of morechildren or as a sub-thread
	queue    []more
}

func (t *threadCrawl) add(c *comment) error {
	if c.Name == "" {
		c.Name = "t1_" + c.ID
	}
	if _, ok := t.comments[c.Name]; !ok {
		t.comments[c.Name] = c
		t.order = append(t.order, c.Name)
		t.replies[c.ParentID]++
	}
	if c.Replies.listing != nil {
		return t.walk(c.Replies.listing.Data.Children)
	}
	return nil
}

// walk takes the comments and stubs of one listing level.
func (t *threadCrawl) walk(children []thing) error {
	var firstErr error
	for _, th := range children {
		switch th.Kind {
		case "t1":
			var c comment
			if err := json.Unmarshal(th.Data, &c); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("comment in thread %s: %w", t.article, err)
				}
				continue
			}
			if err := t.add(&c); err != nil && firstErr == nil {
				firstErr = err
			}
		case "more":
			var m more
			if err := json.Unmarshal(th.Data, &m); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("more stub in thread %s: %w", t.article, err)
				}
				continue
			}
			t.queue = append(t.queue, m)
		}
	}
	return firstErr
}

// thread crawls one thread to its end and emits it. It returns the post's
// num_comments and whether every request succeeded; err only when the run
// must stop.
func (r *run) thread(ctx context.Context, article string) (numComments int64, complete bool, err error) {
	t := &threadCrawl{article: article, comments: map[string]*comment{}, replies: map[string]int64{}, asked: map[string]int{}}
	resp, err := r.get(ctx, "comments", "/comments/"+url.PathEscape(article)+".json",
		url.Values{"limit": {fmt.Sprint(commentLimit)}, "sort": {sortOrder}})
	if err != nil {
		return 0, false, r.fails.Fail(ctx, "comments", fmt.Errorf("reddit: thread %s: %w", article, err))
	}
	var page []listing
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		return 0, false, r.fails.Fail(ctx, "comments", fmt.Errorf("reddit: thread %s: %w", article, err))
	}
	if len(page) != 2 || len(page[0].Data.Children) == 0 || page[0].Data.Children[0].Kind != "t3" {
		return 0, false, r.fails.Fail(ctx, "comments", fmt.Errorf("reddit: thread %s: want an array of two Listings with the post first: %w", article, source.ErrParse))
	}
	t.post = new(post)
	if err := json.Unmarshal(page[0].Data.Children[0].Data, t.post); err != nil {
		return 0, false, r.fails.Fail(ctx, "comments", fmt.Errorf("reddit: thread %s: post: %w", article, err))
	}
	r.env.Stats.Page()
	complete = true
	if err := t.walk(page[1].Data.Children); err != nil {
		complete = false
		r.env.Stats.Error("parse", fmt.Errorf("reddit: %w", err))
	}

	for len(t.queue) > 0 {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		m := t.queue[0]
		t.queue = t.queue[1:]
		var err error
		if m.isContinue() {
			err = r.subThread(ctx, t, m)
		} else {
			err = r.moreChildren(ctx, t, m)
		}
		if err != nil {
			if err := r.fails.Fail(ctx, "comments", err); err != nil {
				return 0, false, err
			}
			complete = false
		}
	}

	if err := r.env.EmitOnce(r.emitted, r.postReaction(t.post)); err != nil {
		return 0, false, err
	}
	for _, name := range t.order {
		if err := r.env.EmitOnce(r.emitted, r.commentReaction(t.comments[name], t.article, t.replies[name])); err != nil {
			return 0, false, err
		}
	}
	r.log.Debug("reddit thread crawled", "thread", article, "comments", len(t.order), "complete", complete)
	return t.post.NumComments, complete, nil
}

// subThread follows "continue this thread": the sub-thread rooted at the
// stub's parent comment.
func (r *run) subThread(ctx context.Context, t *threadCrawl, m more) error {
	parent, ok := strings.CutPrefix(m.ParentID, "t1_")
	if !ok || parent == "" {
		return fmt.Errorf("reddit: thread %s: continue stub with parent %q: %w", t.article, m.ParentID, source.ErrParse)
	}
	if t.asked["_"+parent] > 0 {
		return nil
	}
	t.asked["_"+parent]++
	resp, err := r.get(ctx, "comments", "/comments/"+url.PathEscape(t.article)+"/_/"+url.PathEscape(parent)+".json",
		url.Values{"limit": {fmt.Sprint(commentLimit)}, "sort": {sortOrder}})
	if err != nil {
		return fmt.Errorf("reddit: thread %s below %s: %w", t.article, parent, err)
	}
	var page []listing
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		return fmt.Errorf("reddit: thread %s below %s: %w", t.article, parent, err)
	}
	if len(page) != 2 {
		return fmt.Errorf("reddit: thread %s below %s: want two Listings: %w", t.article, parent, source.ErrParse)
	}
	// Reddit answers an unknown comment id with the whole thread: accept
	// the answer only if it is the one comment asked for (a sub-thread's
	// top level holds nothing else).
	kids := page[1].Data.Children
	var first comment
	if len(kids) != 1 || kids[0].Kind != "t1" || json.Unmarshal(kids[0].Data, &first) != nil || first.ID != parent {
		return fmt.Errorf("reddit: thread %s: the sub-thread of comment %s came back as another listing (comment gone?): %w", t.article, parent, source.ErrParse)
	}
	r.env.Stats.Page()
	return t.walk(kids)
}

// moreChildren expands a "load more comments" stub, 100 ids a call.
func (r *run) moreChildren(ctx context.Context, t *threadCrawl, m more) error {
	// An id asked before may come back in a stub when the answer ran out of
	// room; ask it once more, never more (a deleted comment never comes).
	var ids []string
	for _, id := range m.Children {
		if id != "" && t.asked[id] < 2 && t.comments["t1_"+id] == nil {
			ids = append(ids, id)
		}
	}
	for len(ids) > 0 {
		batch := ids[:min(moreBatch, len(ids))]
		ids = ids[len(batch):]
		for _, id := range batch {
			t.asked[id]++
		}
		resp, err := r.get(ctx, "morechildren", "/api/morechildren.json", url.Values{
			"api_type": {"json"}, "link_id": {"t3_" + t.article}, "children": {strings.Join(batch, ",")},
			"limit_children": {"false"}, "sort": {sortOrder},
		})
		if err != nil {
			return fmt.Errorf("reddit: thread %s: more comments: %w", t.article, err)
		}
		var ans struct {
			JSON struct {
				Errors []json.RawMessage `json:"errors"`
				Data   struct {
					Things []thing `json:"things"`
				} `json:"data"`
			} `json:"json"`
		}
		if err := json.Unmarshal(resp.Body, &ans); err != nil {
			return fmt.Errorf("reddit: thread %s: more comments: %w", t.article, err)
		}
		if len(ans.JSON.Errors) > 0 {
			return fmt.Errorf("reddit: thread %s: more comments: Reddit says %s: %w", t.article, ans.JSON.Errors[0], source.ErrParse)
		}
		r.env.Stats.Page()
		if err := t.walk(ans.JSON.Data.Things); err != nil {
			return fmt.Errorf("reddit: %w", err)
		}
	}
	return nil
}

// --- mapping ------------------------------------------------------------------

func deletedText(s string) bool { return s == "[deleted]" || s == "[removed]" }

func permalink(p string) string {
	if strings.HasPrefix(p, "/") {
		return WebOrigin + p
	}
	return p
}

func unix(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

func (r *run) postReaction(p *post) reaction.Reaction {
	name := p.Name
	if name == "" {
		name = "t3_" + p.ID
	}
	re := reaction.Reaction{
		Platform:  reaction.Reddit,
		ID:        reaction.MakeID(reaction.Reddit, name),
		URL:       permalink(p.Permalink),
		CreatedAt: unix(p.CreatedUTC),
		Author:    r.env.Authors.Author(reaction.Reddit, p.Author),
		Likes:     p.Score,
		Replies:   max(p.NumComments, 0),
		Deleted:   deletedText(p.Selftext) || (p.RemovedByCategory != nil && *p.RemovedByCategory != ""),
		IsRoot:    true,
	}
	re.RootID = re.ID
	if !re.Deleted {
		re.Text = p.Title
		if p.Selftext != "" {
			re.Text += "\n\n" + p.Selftext
		}
	}
	return re
}

func (r *run) commentReaction(c *comment, article string, replies int64) reaction.Reaction {
	link := c.LinkID
	if link == "" {
		link = "t3_" + article
	}
	re := reaction.Reaction{
		Platform:  reaction.Reddit,
		ID:        reaction.MakeID(reaction.Reddit, c.Name),
		ParentID:  reaction.MakeID(reaction.Reddit, c.ParentID),
		RootID:    reaction.MakeID(reaction.Reddit, link),
		URL:       permalink(c.Permalink),
		CreatedAt: unix(c.CreatedUTC),
		Author:    r.env.Authors.Author(reaction.Reddit, c.Author),
		Likes:     c.Score,
		Replies:   replies,
		Deleted:   deletedText(c.Body),
	}
	if !re.Deleted {
		re.Text = c.Body
	}
	return re
}
