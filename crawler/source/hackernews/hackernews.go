// Package hackernews collects Hacker News stories and their comment trees
// through the Algolia HN Search API: items/<id> for whole trees, and
// search_by_date walked back in time past Algolia's 1,000-hit cap, with
// later runs asking one comment search per 100 followed stories which
// trees to read again. The story is the thread starter. The endpoints,
// limits and mapping are in docs/platforms.md, "Hacker News".
package hackernews

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/htmltext"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// ItemURL is the human page of an item; the id is appended.
const ItemURL = "https://news.ycombinator.com/item?id="

const (
	hitsPerPage = 200
	// indexLag is how far back a later run looks again, because Algolia
	// indexes items some minutes after they are posted.
	indexLag = 10 * 60
	// followFor is how long after it was posted a found story is watched
	// for new comments (HN threads rarely get any after two weeks).
	followFor = 14 * 24 * time.Hour
	// storiesPerQuery is how many story tags one comment search ORs.
	storiesPerQuery = 100
	// maxDepth bounds the nesting of a comment tree that is read.
	maxDepth = 10000
)

// State keys.
const (
	stateNewest   = "search:"   // + query: newest story created_at_i seen
	stateFollowed = "followed"  // "id:created_at_i,…" stories found by searches
	stateComments = "comments:" // + "since": newest comment created_at_i seen on followed stories
)

func init() {
	source.Register(reaction.HackerNews, func() source.Adapter { return &Adapter{} })
}

// Adapter collects Hacker News reactions. The zero value is ready to use.
type Adapter struct{}

// Collect implements source.Adapter.
func (a *Adapter) Collect(ctx context.Context, env *source.Env) error {
	r := &run{env: env, log: env.Log, emitted: map[string]bool{}, fails: source.Failures{Stats: env.Stats}}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.base = strings.TrimRight(env.Source.BaseURL, "/")
	if r.base == "" {
		r.base = story.DefaultBaseURL(reaction.HackerNews)
	}
	return r.collect(ctx)
}

type run struct {
	env     *source.Env
	log     *slog.Logger
	base    string
	emitted map[string]bool
	fails   source.Failures
}

func (r *run) now() time.Time {
	if r.env.Now != nil {
		return r.env.Now()
	}
	return time.Now()
}

func (r *run) collect(ctx context.Context) error {
	found, err := r.discover(ctx)
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, id := range append(append([]string(nil), r.env.Source.Stories...), found...) {
		if id = strings.TrimSpace(id); named[id] {
			continue
		}
		named[id] = true
		if _, err := r.tree(ctx, id); err != nil {
			return err
		}
	}
	followed := parseFollowed(r.env.State.Get(stateFollowed))
	before := len(followed.order)
	old := append([]string(nil), followed.order...)
	for _, q := range r.env.Source.Search {
		if err := r.search(ctx, q, followed); err != nil {
			return err
		}
	}
	if before > 0 {
		if err := r.refresh(ctx, old, followed); err != nil {
			return err
		}
	}
	followed.prune(r.now().Add(-followFor).Unix())
	r.env.State.Set(stateFollowed, followed.String())
	return r.fails.Err(reaction.HackerNews)
}

// get fetches base+path?q and decodes the JSON answer into v.
func (r *run) get(ctx context.Context, path string, q url.Values, v any) error {
	u := r.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := r.env.Fetch.Get(ctx, u, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	r.fails.OK()
	r.env.Stats.Page()
	return nil
}

// --- trees ----------------------------------------------------------------

// item is a node of items/<id>.
type item struct {
	ID         int64   `json:"id"`
	CreatedAt  string  `json:"created_at"`
	CreatedAtI int64   `json:"created_at_i"`
	Type       string  `json:"type"`
	Author     *string `json:"author"`
	Title      *string `json:"title"`
	Text       *string `json:"text"`
	Points     *int64  `json:"points"`
	ParentID   *int64  `json:"parent_id"`
	StoryID    *int64  `json:"story_id"`
	// Children are decoded one by one, so that one malformed node costs
	// only its own subtree.
	Children []json.RawMessage `json:"children"`
}

// tree fetches items/<id> and emits the item and everything below it. It
// returns the newest comment time seen; err only when the run must stop.
func (r *run) tree(ctx context.Context, id string) (newest int64, err error) {
	var root item
	if err := r.get(ctx, "/items/"+url.PathEscape(id), nil, &root); err != nil {
		return 0, r.fails.Fail(ctx, "items", fmt.Errorf("hackernews: story %s: %w", id, err))
	}
	if root.ID == 0 {
		return 0, r.fails.Fail(ctx, "items", fmt.Errorf("hackernews: story %s: the answer has no id: %w", id, errShape))
	}
	storyID := root.ID
	if root.StoryID != nil && *root.StoryID != 0 {
		storyID = *root.StoryID
	}
	var walk func(it *item, depth int) error
	walk = func(it *item, depth int) error {
		re := r.itemReaction(it, storyID)
		if it.ID != storyID {
			newest = max(newest, re.CreatedAt.Unix())
		}
		if err := r.env.EmitOnce(r.emitted, re); err != nil {
			return err
		}
		if depth > maxDepth {
			r.env.Stats.Error("truncated", fmt.Errorf("hackernews: story %s: replies nested more than %d deep below item %d were not read: %w",
				id, maxDepth, it.ID, source.ErrTruncated))
			return nil
		}
		for _, raw := range it.Children {
			var c item
			if err := json.Unmarshal(raw, &c); err != nil || c.ID == 0 {
				if err == nil {
					err = errShape
				}
				r.env.Stats.Error("parse", fmt.Errorf("hackernews: story %s: a reply to %d is unreadable: %w", id, it.ID, err))
				continue
			}
			if err := walk(&c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return newest, walk(&root, 0)
}

// errShape marks JSON that parses but is not the shape Algolia sends.
var errShape = source.ErrParse

// descendants counts the comments below it that are not deleted.
func descendants(it *item) int64 {
	var n int64
	for _, raw := range it.Children {
		var c item
		if json.Unmarshal(raw, &c) != nil {
			continue
		}
		if !deletedItem(&c) {
			n++
		}
		n += descendants(&c)
	}
	return n
}

func deletedItem(it *item) bool {
	if it.Type == "story" || (it.ParentID == nil && it.Title != nil) {
		return it.Author == nil && it.Title == nil
	}
	return it.Author == nil && it.Text == nil
}

func created(i int64, s string) time.Time {
	if i > 0 {
		return time.Unix(i, 0).UTC()
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// storyText is a story's title, a blank line and its text.
func storyText(title, html string) string {
	text := strings.TrimSpace(title)
	if body := htmltext.FromHTML(html); body != "" {
		if text != "" {
			text += "\n\n"
		}
		text += body
	}
	return text
}

func (r *run) itemReaction(it *item, storyID int64) reaction.Reaction {
	id := strconv.FormatInt(it.ID, 10)
	re := reaction.Reaction{
		Platform:  reaction.HackerNews,
		ID:        reaction.MakeID(reaction.HackerNews, id),
		RootID:    reaction.MakeID(reaction.HackerNews, strconv.FormatInt(storyID, 10)),
		URL:       ItemURL + id,
		CreatedAt: created(it.CreatedAtI, it.CreatedAt),
		Author:    r.env.Authors.Author(reaction.HackerNews, str(it.Author)),
		Deleted:   deletedItem(it),
	}
	if it.ParentID != nil && *it.ParentID != 0 && it.ID != storyID {
		re.ParentID = reaction.MakeID(reaction.HackerNews, strconv.FormatInt(*it.ParentID, 10))
	}
	if re.ParentID == "" {
		re.RootID, re.IsRoot = re.ID, true
	}
	if it.Points != nil {
		re.Likes = *it.Points
	}
	if it.ID == storyID {
		re.Replies = descendants(it)
	} else {
		re.Replies = int64(len(it.Children))
	}
	if !re.Deleted {
		if it.ID == storyID {
			re.Text = storyText(str(it.Title), str(it.Text))
		} else {
			re.Text = htmltext.FromHTML(str(it.Text))
		}
	}
	return re
}
