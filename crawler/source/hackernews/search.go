package hackernews

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// hit is one search result.
type hit struct {
	ObjectID    string  `json:"objectID"`
	Author      *string `json:"author"`
	CreatedAt   string  `json:"created_at"`
	CreatedAtI  int64   `json:"created_at_i"`
	Title       *string `json:"title"`
	StoryText   *string `json:"story_text"`
	Points      *int64  `json:"points"`
	NumComments *int64  `json:"num_comments"`
	StoryID     *int64  `json:"story_id"`
	ParentID    *int64  `json:"parent_id"`
}

// searchPage is a search answer.
type searchPage struct {
	Hits    []hit  `json:"hits"`
	NbHits  int    `json:"nbHits"`
	NbPages int    `json:"nbPages"`
	Page    int    `json:"page"`
	Message string `json:"message"`
}

// Bounds of one search walk.
const (
	// maxWindowPages bounds the pages of one window: Algolia serves at
	// most 1,000 hits of a query (5 pages), then the walk steps back.
	maxWindowPages = 50
	// maxWindows bounds the windows of one walk (10 million hits).
	maxWindows = 10_000
)

// bounds are numericFilters on created_at_i; zero means none.
type bounds struct {
	above int64 // created_at_i > above
	below int64 // created_at_i < below
}

// walk pages through search_by_date for query and tags within b, newest
// first, calling fn once per hit. Beyond Algolia's 1,000 retrievable hits
// it walks back: the next window ends at the oldest second seen,
// inclusive, so that hits sharing that second are not lost; a window that
// brings nothing new (more than a page-cap of hits in one second) steps
// past that second. It returns false when a request failed (the walk is
// incomplete); err only when the run must stop.
func (r *run) walk(ctx context.Context, query, tags string, b bounds, fn func(hit) error) (complete bool, err error) {
	seen := map[string]bool{}
	upper, inclusive := b.below, false
	what := fmt.Sprintf("hackernews: search %q (%s)", query, tags)
	// Each window must end earlier than the one before: a window asked
	// again is a server that ignores the filter.
	windows := source.Walk{What: what, Max: maxWindows}
	for {
		if err := windows.Next(fmt.Sprintf("created_at_i<%d inclusive=%v", upper, inclusive)); err != nil {
			return false, r.fails.Fail(ctx, "search", err)
		}
		var filters []string
		if b.above > 0 {
			filters = append(filters, "created_at_i>"+strconv.FormatInt(b.above, 10))
		}
		switch {
		case inclusive:
			filters = append(filters, "created_at_i<="+strconv.FormatInt(upper, 10))
		case upper > 0:
			filters = append(filters, "created_at_i<"+strconv.FormatInt(upper, 10))
		}
		oldest, got, fresh, total := int64(math.MaxInt64), 0, 0, 0
		inWindow := map[string]bool{}
		for page := 0; ; page++ {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if page >= maxWindowPages {
				break // more than Algolia serves of one query: walk back from the oldest hit
			}
			q := url.Values{"query": {query}, "tags": {tags}, "hitsPerPage": {strconv.Itoa(hitsPerPage)}, "page": {strconv.Itoa(page)}}
			if len(filters) > 0 {
				q.Set("numericFilters", strings.Join(filters, ","))
			}
			var p searchPage
			if err := r.get(ctx, "/search_by_date", q, &p); err != nil {
				return false, r.fails.Fail(ctx, "search", fmt.Errorf("hackernews: search %q (%s): %w", query, tags, err))
			}
			if page == 0 {
				total = p.NbHits
			}
			repeats := page > 0 && len(p.Hits) > 0
			for _, h := range p.Hits {
				if !inWindow[h.ObjectID] {
					inWindow[h.ObjectID] = true
					repeats = false
				}
			}
			if repeats {
				return false, r.fails.Fail(ctx, "search", windows.Repeats(fmt.Sprintf("page %d repeats hits of earlier pages (the server ignores page)", page)))
			}
			for _, h := range p.Hits {
				got++
				oldest = min(oldest, h.CreatedAtI)
				if h.ObjectID == "" || seen[h.ObjectID] {
					continue
				}
				seen[h.ObjectID] = true
				fresh++
				if err := fn(h); err != nil {
					return false, err
				}
			}
			if len(p.Hits) == 0 || page+1 >= p.NbPages {
				break
			}
		}
		if total <= got || got == 0 {
			return true, nil // the window held every hit
		}
		// Capped: walk back from the oldest second seen.
		switch {
		case fresh > 0 && !(inclusive && oldest == upper):
			upper, inclusive = oldest, true
		case inclusive:
			r.log.Warn("hackernews: more hits share one second than Algolia serves; stepping past it", "second", upper)
			r.env.Stats.Error("truncated", fmt.Errorf("hackernews: search %q: more than %d hits at created_at_i=%d", query, got, upper))
			inclusive = false
		default:
			return true, nil
		}
	}
}

// search walks one query's stories. A new story with comments gets its
// tree fetched; one without is emitted from its hit. Found stories are
// followed for new comments.
func (r *run) search(ctx context.Context, q string, f *followed) error {
	key := stateNewest + q
	b := bounds{}
	if v, err := strconv.ParseInt(r.env.State.Get(key), 10, 64); err == nil && v > indexLag {
		b.above = v - indexLag
	}
	if w := r.env.Story.Window; w != nil {
		if !w.From.IsZero() {
			b.above = max(b.above, w.From.Unix()-1)
		}
		if !w.To.IsZero() {
			b.below = w.To.Unix()
		}
	}
	newest, _ := strconv.ParseInt(r.env.State.Get(key), 10, 64)
	var withComments []string
	hits := 0
	complete, err := r.walk(ctx, q, "story", b, func(h hit) error {
		hits++
		newest = max(newest, h.CreatedAtI)
		if _, ok := f.created[h.ObjectID]; ok {
			return nil // followed already: the comment search covers it
		}
		f.add(h.ObjectID, h.CreatedAtI)
		if h.NumComments != nil && *h.NumComments > 0 {
			withComments = append(withComments, h.ObjectID)
			return nil
		}
		return r.env.EmitOnce(r.emitted, r.storyHit(h))
	})
	if err != nil {
		return err
	}
	newestComment, _ := strconv.ParseInt(r.env.State.Get(stateComments+"since"), 10, 64)
	for _, id := range withComments {
		n, err := r.tree(ctx, id)
		if err != nil {
			return err
		}
		newestComment = max(newestComment, n)
	}
	r.env.State.Set(stateComments+"since", strconv.FormatInt(newestComment, 10))
	if complete {
		r.env.State.Set(key, strconv.FormatInt(newest, 10))
	}
	r.log.Info("hackernews search walked", "hits", hits, "trees", len(withComments), "complete", complete)
	return nil
}

// refresh asks one comment search per 100 followed stories for comments
// newer than the newest seen, and fetches again the trees that have some.
func (r *run) refresh(ctx context.Context, ids []string, f *followed) error {
	since, _ := strconv.ParseInt(r.env.State.Get(stateComments+"since"), 10, 64)
	b := bounds{}
	if since > indexLag {
		b.above = since - indexLag
	}
	newest := since
	changed := map[string]bool{}
	var order []string
	allOK := true
	for len(ids) > 0 {
		batch := ids[:min(storiesPerQuery, len(ids))]
		ids = ids[len(batch):]
		tags := "comment,(story_" + strings.Join(batch, ",story_") + ")"
		complete, err := r.walk(ctx, "", tags, b, func(h hit) error {
			newest = max(newest, h.CreatedAtI)
			if h.StoryID == nil {
				return nil
			}
			id := strconv.FormatInt(*h.StoryID, 10)
			if !changed[id] {
				changed[id] = true
				order = append(order, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		allOK = allOK && complete
	}
	for _, id := range order {
		if r.emitted[reaction.MakeID(reaction.HackerNews, id)] {
			continue
		}
		n, err := r.tree(ctx, id)
		if err != nil {
			return err
		}
		newest = max(newest, n)
	}
	if allOK {
		r.env.State.Set(stateComments+"since", strconv.FormatInt(newest, 10))
	}
	return nil
}

func (r *run) storyHit(h hit) reaction.Reaction {
	re := reaction.Reaction{
		Platform:  reaction.HackerNews,
		ID:        reaction.MakeID(reaction.HackerNews, h.ObjectID),
		URL:       ItemURL + h.ObjectID,
		CreatedAt: created(h.CreatedAtI, h.CreatedAt),
		Author:    r.env.Authors.Author(reaction.HackerNews, str(h.Author)),
		Text:      storyText(str(h.Title), str(h.StoryText)),
	}
	re.RootID, re.IsRoot = re.ID, true
	if h.Points != nil {
		re.Likes = *h.Points
	}
	if h.NumComments != nil {
		re.Replies = max(*h.NumComments, 0)
	}
	return re
}

// followed are the stories found by searches, watched for new comments.
type followed struct {
	order   []string
	created map[string]int64
}

func parseFollowed(s string) *followed {
	f := &followed{created: map[string]int64{}}
	for _, e := range strings.Split(s, ",") {
		id, t, _ := strings.Cut(strings.TrimSpace(e), ":")
		if id == "" {
			continue
		}
		n, _ := strconv.ParseInt(t, 10, 64)
		f.add(id, n)
	}
	return f
}

func (f *followed) add(id string, created int64) {
	if _, ok := f.created[id]; !ok {
		f.order = append(f.order, id)
	}
	f.created[id] = created
}

// prune stops following stories posted before cutoff (Unix seconds).
func (f *followed) prune(cutoff int64) {
	keep := f.order[:0]
	for _, id := range f.order {
		if f.created[id] >= cutoff {
			keep = append(keep, id)
		} else {
			delete(f.created, id)
		}
	}
	f.order = keep
}

func (f *followed) String() string {
	var b strings.Builder
	for i, id := range f.order {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", id, f.created[id])
	}
	return b.String()
}
