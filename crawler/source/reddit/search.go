package reddit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
)

// State keys.
const (
	stateThreads = "threads" // tracked threads: "id:num_comments,…" (-1: never crawled completely)
	stateSearch  = "search:" // + query: "created_utc:fullname" of the newest result seen
)

// tracked is the ordered set of threads a source follows, with the
// num_comments of their last complete crawl.
type tracked struct {
	order []string
	count map[string]int64
}

func parseTracked(s string) *tracked {
	t := &tracked{count: map[string]int64{}}
	for _, f := range strings.Split(s, ",") {
		id, n, ok := strings.Cut(strings.TrimSpace(f), ":")
		if id == "" {
			continue
		}
		c, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil {
			c = -1
		}
		t.add(id, c, true)
	}
	return t
}

// add tracks id; with replace it records n as the crawled count.
func (t *tracked) add(id string, n int64, replace bool) {
	if id == "" {
		return
	}
	if _, ok := t.count[id]; !ok {
		t.order = append(t.order, id)
		t.count[id] = n
		return
	}
	if replace {
		t.count[id] = n
	}
}

func (t *tracked) String() string {
	var b strings.Builder
	for i, id := range t.order {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", id, t.count[id])
	}
	return b.String()
}

// search walks one query's results, newest first, by data.after until it
// is null (never inferring the end from a short page), stopping at results
// older than the newest an earlier run saw, and at the story window's
// start. Threads with comments are tracked for crawling; posts without
// comments are returned to be emitted from the result itself.
func (r *run) search(ctx context.Context, q string, tr *tracked) ([]*post, error) {
	key := stateSearch + q
	var since float64
	if v, _, ok := strings.Cut(r.env.State.Get(key), ":"); ok {
		since, _ = strconv.ParseFloat(v, 64)
	}
	var from, to float64
	if w := r.env.Story.Window; w != nil {
		if !w.From.IsZero() {
			from = float64(w.From.Unix())
		}
		if !w.To.IsZero() {
			to = float64(w.To.Unix())
		}
	}
	newest, newestName := since, ""
	var found []*post
	after := ""
	seen := 0
	walk := source.Walk{What: fmt.Sprintf("reddit: search %q", q), Max: maxSearchPages}
	capped := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := walk.Next(after); err != nil {
			// As after a failed request, the cursor stays where it was.
			return found, r.fails.Fail(ctx, "search", err)
		}
		params := url.Values{"q": {q}, "sort": {"new"}, "limit": {strconv.Itoa(pageLimit)}, "type": {"link"}, "t": {"all"}}
		if after != "" {
			params.Set("after", after)
			params.Set("count", strconv.Itoa(seen))
		}
		resp, err := r.get(ctx, "search", "/search.json", params)
		if err != nil {
			// The cursor stays where it was: the next run walks again.
			return found, r.fails.Fail(ctx, "search", fmt.Errorf("reddit: search %q: %w", q, err))
		}
		var l listing
		if err := json.Unmarshal(resp.Body, &l); err != nil {
			return found, r.fails.Fail(ctx, "search", fmt.Errorf("reddit: search %q: %w", q, err))
		}
		r.env.Stats.Page()
		stop := false
		for _, th := range l.Data.Children {
			if th.Kind != "t3" {
				continue
			}
			seen++
			p := new(post)
			if err := json.Unmarshal(th.Data, p); err != nil || p.ID == "" {
				r.env.Stats.Error("parse", fmt.Errorf("reddit: search %q: a result is not a post: %v", q, err))
				continue
			}
			if p.CreatedUTC < since || (from > 0 && p.CreatedUTC < from) {
				stop = true // sort=new: everything after this is older
				break
			}
			if to > 0 && p.CreatedUTC >= to {
				continue
			}
			if p.CreatedUTC > newest || newestName == "" {
				newest, newestName = max(newest, p.CreatedUTC), p.Name
			}
			if _, ok := tr.count[p.ID]; ok {
				continue // followed already: api/info tells whether it changed
			}
			if p.NumComments > 0 {
				tr.add(p.ID, -1, false)
			} else {
				tr.add(p.ID, 0, false)
				found = append(found, p)
			}
		}
		if stop || l.Data.After == nil || *l.Data.After == "" {
			break
		}
		if seen >= listingCap && !capped {
			capped = true
			r.env.Stats.Error("truncated", fmt.Errorf("reddit: search %q: Reddit lists at most about %d results; older ones were not reached", q, listingCap))
		}
		after = *l.Data.After
	}
	if newestName != "" {
		r.env.State.Set(key, strconv.FormatFloat(newest, 'f', -1, 64)+":"+newestName)
	}
	r.log.Info("reddit search walked", "results", seen, "tracked_threads", len(tr.order))
	return found, nil
}

// changed returns the tracked threads to crawl: those never crawled
// completely, and those whose num_comments differs from the last crawl
// (asked of api/info.json, 100 posts a call).
func (r *run) changed(ctx context.Context, tr *tracked) ([]string, error) {
	var fetch, known []string
	for _, id := range tr.order {
		if tr.count[id] < 0 {
			fetch = append(fetch, id)
		} else {
			known = append(known, id)
		}
	}
	start := time.Now()
	for len(known) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := known[:min(pageLimit, len(known))]
		known = known[len(batch):]
		names := make([]string, len(batch))
		for i, id := range batch {
			names[i] = "t3_" + id
		}
		resp, err := r.get(ctx, "info", "/api/info.json", url.Values{"id": {strings.Join(names, ",")}})
		var l listing
		if err == nil {
			err = json.Unmarshal(resp.Body, &l)
		}
		if err != nil {
			if err := r.fails.Fail(ctx, "info", fmt.Errorf("reddit: check threads for new comments: %w", err)); err != nil {
				return nil, err
			}
			continue
		}
		r.env.Stats.Page()
		for _, th := range l.Data.Children {
			var p post
			if th.Kind != "t3" || json.Unmarshal(th.Data, &p) != nil {
				continue
			}
			if n, ok := tr.count[p.ID]; ok && n != p.NumComments {
				fetch = append(fetch, p.ID)
			}
		}
	}
	r.log.Debug("reddit threads checked", "to_crawl", len(fetch), "took", time.Since(start))
	return fetch, nil
}
