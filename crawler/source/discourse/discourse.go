// Package discourse collects the posts of Discourse topics: t/<id>.json
// and its post stream, the other posts fetched 20 ids at a time in stream
// order, later runs reading only the ids not read before. Post #1 is the
// thread starter; only regular posts are reactions; quoted posts are left
// out of the text. The endpoints, limits and edge cases are in
// docs/platforms.md, "Discourse".
package discourse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/idset"
	"github.com/reactions-research/reactions/reaction"
)

func init() {
	source.Register(reaction.Discourse, func() source.Adapter { return &Adapter{} })
}

// BatchSize is how many post ids one posts.json request asks for (what
// Discourse's own client asks for).
const BatchSize = 20

// Adapter collects Discourse topics. The zero value is ready to use.
type Adapter struct{}

// post is the part of a Discourse post object the crawler reads.
type post struct {
	ID                int64           `json:"id"`
	Username          string          `json:"username"`
	CreatedAt         string          `json:"created_at"`
	Cooked            *string         `json:"cooked"`
	PostNumber        int             `json:"post_number"`
	PostType          int             `json:"post_type"`
	ReplyCount        int64           `json:"reply_count"`
	ReplyToPostNumber *int            `json:"reply_to_post_number"`
	TopicID           int64           `json:"topic_id"`
	DeletedAt         *string         `json:"deleted_at"`
	UserDeleted       bool            `json:"user_deleted"`
	Hidden            bool            `json:"hidden"`
	LikeCount         *int64          `json:"like_count"`
	ActionsSummary    []actionSummary `json:"actions_summary"`
}

type actionSummary struct {
	ID    int   `json:"id"`
	Count int64 `json:"count"`
}

type topicPage struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	PostStream struct {
		Posts  []post  `json:"posts"`
		Stream []int64 `json:"stream"`
	} `json:"post_stream"`
}

// Collect reads every topic of the source.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	base := strings.TrimRight(env.Source.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("discourse: base_url %q is not an http(s) URL", env.Source.BaseURL)
	}
	c := &crawl{env: env, base: base, host: strings.ToLower(u.Hostname()), fails: source.Failures{Stats: env.Stats}}
	for _, t := range env.Source.Topics {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			env.Stats.Error("bad_input", fmt.Errorf("discourse: topic %q is not a topic id", t))
			continue
		}
		if err := c.topic(ctx, t); err != nil {
			return err
		}
	}
	return c.fails.Err(reaction.Discourse)
}

// crawl is one Collect call.
type crawl struct {
	env   *source.Env
	base  string
	host  string
	fails source.Failures
}

// topicState is what a topic's crawl knows while it runs.
type topicState struct {
	id      string
	rootID  int64
	byNum   map[int]int64 // post_number -> post id, for every post seen this run
	missing map[int]bool  // post numbers that by_number could not find
	// counts for the log
	emitted, skipped, deleted, hidden, failed int
}

// topic crawls one topic; it returns an error only when the crawl must stop
// (context cancelled, Emit failed).
func (c *crawl) topic(ctx context.Context, id string) error {
	env := c.env
	var page topicPage
	if err := c.getJSON(ctx, c.base+"/t/"+id+".json", &page); err != nil {
		return c.fails.Fail(ctx, "topic "+id, fmt.Errorf("discourse: topic %s: %w", id, err))
	}
	env.Stats.Page()
	ts := &topicState{id: id, byNum: map[int]int64{}, missing: map[int]bool{}}
	for _, p := range page.PostStream.Posts {
		ts.byNum[p.PostNumber] = p.ID
		if p.PostNumber == 1 {
			ts.rootID = p.ID
		}
	}
	if len(page.PostStream.Stream) == 0 {
		// No stream (not seen on current forums): the embedded posts are
		// all there is to read.
		for _, p := range page.PostStream.Posts {
			page.PostStream.Stream = append(page.PostStream.Stream, p.ID)
		}
	}
	if ts.rootID == 0 && len(page.PostStream.Stream) > 0 {
		ts.rootID = page.PostStream.Stream[0]
	}
	stateKey := "topic/" + id + "/read"
	read := idset.Decode[int64](env.State.Get(stateKey))
	have := map[int64]post{}
	for _, p := range page.PostStream.Posts {
		have[p.ID] = p
	}
	var todo []int64 // stream ids not read before, in stream order
	for _, pid := range page.PostStream.Stream {
		if !read[pid] {
			todo = append(todo, pid)
		}
	}
	// Posts come in stream order: emit the embedded ones first, then fetch
	// the rest in batches, saving the read set after each batch.
	for len(todo) > 0 {
		var fetch []int64
		n := 0
		for n < len(todo) && (len(fetch) < BatchSize) {
			if _, ok := have[todo[n]]; !ok {
				fetch = append(fetch, todo[n])
			}
			n++
		}
		batch := todo[:n]
		todo = todo[n:]
		batchOK := true
		if len(fetch) > 0 {
			got, err := c.fetchPosts(ctx, id, fetch)
			if err != nil {
				if cerr := c.fails.Fail(ctx, "posts of topic "+id, fmt.Errorf("discourse: posts of topic %s: %w", id, err)); cerr != nil {
					return cerr
				}
				ts.failed += len(fetch)
				batchOK = false
			}
			for _, p := range got {
				have[p.ID] = p
				ts.byNum[p.PostNumber] = p.ID
			}
		}
		for _, pid := range batch {
			p, ok := have[pid]
			if !ok {
				continue // failed batch: left unread for the next run
			}
			if err := c.emit(ctx, ts, p); err != nil {
				return err
			}
			read[pid] = true
		}
		// A post that posts.json did not return although asked (deleted
		// meanwhile) is not retried forever.
		for _, pid := range fetch {
			if _, ok := have[pid]; !ok && batchOK {
				read[pid] = true
			}
		}
		env.State.Set(stateKey, idset.Encode(read))
	}
	env.Log.Info("discourse topic read", "topic", id, "posts", len(page.PostStream.Stream),
		"emitted", ts.emitted, "skipped_non_regular", ts.skipped, "deleted", ts.deleted,
		"hidden", ts.hidden, "unfetched", ts.failed)
	return nil
}

func (c *crawl) fetchPosts(ctx context.Context, topic string, ids []int64) ([]post, error) {
	q := url.Values{}
	for _, id := range ids {
		q.Add("post_ids[]", strconv.FormatInt(id, 10))
	}
	var page topicPage
	if err := c.getJSON(ctx, c.base+"/t/"+topic+"/posts.json?"+q.Encode(), &page); err != nil {
		return nil, err
	}
	c.env.Stats.Page()
	return page.PostStream.Posts, nil
}

// parentOf returns the post id p answers.
func (c *crawl) parentOf(ctx context.Context, ts *topicState, p post) (int64, error) {
	if p.ReplyToPostNumber == nil || *p.ReplyToPostNumber <= 1 {
		return ts.rootID, nil
	}
	n := *p.ReplyToPostNumber
	if id, ok := ts.byNum[n]; ok {
		return id, nil
	}
	if ts.missing[n] {
		return ts.rootID, nil
	}
	var q post
	err := c.getJSON(ctx, fmt.Sprintf("%s/posts/by_number/%s/%d.json", c.base, ts.id, n), &q)
	switch {
	case err == nil && q.ID != 0:
		ts.byNum[n] = q.ID
		return q.ID, nil
	case errors.Is(err, source.ErrNotFound), errors.Is(err, source.ErrBlocked):
		// Deleted by staff or otherwise invisible: the topic is all we know.
		ts.missing[n] = true
		return ts.rootID, nil
	case ctx.Err() != nil:
		return 0, ctx.Err()
	default:
		if err == nil {
			err = fmt.Errorf("post without id: %w", source.ErrParse)
		}
		c.env.Stats.Error(source.ErrorKind(err), fmt.Errorf("discourse: parent #%d in topic %s: %w", n, ts.id, err))
		ts.missing[n] = true
		return ts.rootID, nil
	}
}

func (c *crawl) emit(ctx context.Context, ts *topicState, p post) error {
	env := c.env
	if p.PostType != 1 && p.PostType != 0 {
		ts.skipped++
		return nil
	}
	created, err := time.Parse(time.RFC3339Nano, p.CreatedAt)
	if err != nil {
		env.Stats.Error("parse", fmt.Errorf("discourse: post %d of topic %s: created_at %q: %w", p.ID, ts.id, p.CreatedAt, err))
		return nil
	}
	r := reaction.Reaction{
		Platform:  reaction.Discourse,
		ID:        c.id(p.ID),
		RootID:    c.id(ts.rootID),
		URL:       c.base + "/p/" + strconv.FormatInt(p.ID, 10),
		CreatedAt: created.UTC(),
		Replies:   max(p.ReplyCount, 0),
		Likes:     likes(p),
		IsRoot:    p.ID == ts.rootID,
	}
	if p.ID != ts.rootID {
		parent, err := c.parentOf(ctx, ts, p)
		if err != nil {
			return err
		}
		r.ParentID = c.id(parent)
	}
	switch {
	case p.UserDeleted || p.DeletedAt != nil:
		r.Deleted = true
		ts.deleted++
	default:
		r.Author = env.Authors.Author(reaction.Discourse, p.Username+"@"+c.host)
		if p.Cooked != nil {
			r.Text = cookedText(*p.Cooked)
		}
		if p.Hidden {
			ts.hidden++
		}
	}
	ts.emitted++
	if err := env.Emit(r); err != nil {
		return fmt.Errorf("discourse: emit: %w", err)
	}
	return nil
}

func (c *crawl) id(postID int64) string {
	return reaction.MakeID(reaction.Discourse, c.host+":"+strconv.FormatInt(postID, 10))
}

func likes(p post) int64 {
	for _, a := range p.ActionsSummary {
		if a.ID == 2 {
			return max(a.Count, 0)
		}
	}
	if p.LikeCount != nil {
		return max(*p.LikeCount, 0)
	}
	return 0
}

func (c *crawl) getJSON(ctx context.Context, u string, v any) error {
	resp, err := c.env.Fetch.Get(ctx, u, nil)
	if err != nil {
		return err
	}
	c.fails.OK()
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return &source.ParseError{URL: u, Err: err}
	}
	return nil
}
