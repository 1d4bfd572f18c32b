package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/htmltext"
	"github.com/reactions-research/reactions/reaction"
)

// remember keeps a status for parent and root lookups.
func (r *run) remember(s *status) {
	if s == nil || s.ID == "" {
		return
	}
	if old, ok := r.known[string(s.ID)]; ok && old.URI != "" && s.URI == "" {
		return
	}
	r.known[string(s.ID)] = s
	if r.children == nil {
		r.children = map[string]map[string]bool{}
	}
	if p := string(s.InReplyToID); p != "" {
		if r.children[p] == nil {
			r.children[p] = map[string]bool{}
		}
		r.children[p][string(s.ID)] = true
	}
}

// missing reports whether s has replies not seen yet.
func (r *run) missing(s *status) bool {
	return s.RepliesCount < 0 || s.RepliesCount > int64(len(r.children[string(s.ID)]))
}

// seed takes a status found on a timeline or named by the source: it is
// emitted with every reply below it, and watched for new ones.
func (r *run) seed(ctx context.Context, s *status, threads *watched) error {
	if s.ID == "" || s.URI == "" {
		r.env.Stats.Error("parse", fmt.Errorf("mastodon: a status without id or uri: %w", source.ErrParse))
		return nil
	}
	r.remember(s)
	r.seeds[string(s.ID)] = true
	threads.add(string(s.ID), r.now().Unix())
	var below []*status
	if !r.asked[string(s.ID)] && (r.incomplete(s) || (s.InReplyToID != "" && r.known[string(s.InReplyToID)] == nil)) {
		var err error
		if below, err = r.conversation(ctx, s); err != nil {
			if err := r.fails.Fail(ctx, "context", err); err != nil {
				return err
			}
		}
		threads.asked(string(s.ID), r.now().Unix())
	}
	if err := r.emit(ctx, s); err != nil {
		return err
	}
	for _, d := range below {
		if err := r.emit(ctx, d); err != nil {
			return err
		}
	}
	// Replies below s may be known without s's context having been asked:
	// a reply further down, found first, brought them as its ancestors.
	// They are part of s's conversation all the same.
	for _, d := range r.knownBelow(s) {
		if err := r.emit(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// incomplete reports whether s, or any reply known below it, has replies
// not seen yet. Replies learnt as the ancestors of other statuses make a
// status's direct replies look complete while a deeper one is not.
func (r *run) incomplete(s *status) bool {
	if r.missing(s) {
		return true
	}
	for _, d := range r.knownBelow(s) {
		if r.missing(d) {
			return true
		}
	}
	return false
}

// knownBelow returns the statuses known to be in the reply tree below s,
// parents before their replies.
func (r *run) knownBelow(s *status) []*status {
	var out []*status
	seen := map[string]bool{string(s.ID): true}
	queue := []string{string(s.ID)}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		kids := make([]string, 0, len(r.children[id]))
		for k := range r.children[id] {
			kids = append(kids, k)
		}
		sort.Slice(kids, func(i, j int) bool { return idLess(kids[i], kids[j]) })
		for _, k := range kids {
			if seen[k] {
				continue
			}
			seen[k] = true
			if d := r.known[k]; d != nil && d.URI != "" {
				out = append(out, d)
			}
			queue = append(queue, k)
		}
	}
	return out
}

// context asks statuses/<id>/context and remembers what it shows.
func (r *run) context(ctx context.Context, id string) (*threadContext, error) {
	r.asked[id] = true
	var c threadContext
	if _, err := r.get(ctx, r.base+"/api/v1/statuses/"+url.PathEscape(id)+"/context", &c); err != nil {
		return nil, fmt.Errorf("mastodon: context of %s: %w", id, err)
	}
	c.Ancestors.report(r, "context of "+id)
	c.Descendants.report(r, "context of "+id)
	for _, a := range c.Ancestors.list {
		r.remember(a)
	}
	for _, d := range c.Descendants.list {
		r.remember(d)
	}
	return &c, nil
}

// conversation returns every reply below s, in the order found: its
// context, then the context of every descendant whose replies_count says
// that replies are missing (beyond the 60 descendants or 20 levels an
// anonymous context shows), until none are. It returns the error of s's
// own context unrecorded; later errors are recorded and skipped.
func (r *run) conversation(ctx context.Context, s *status) ([]*status, error) {
	var out []*status
	in := map[string]bool{string(s.ID): true}
	take := func(c *threadContext) {
		for _, d := range c.Descendants.list {
			if !in[string(d.ID)] {
				in[string(d.ID)] = true
				out = append(out, d)
			}
		}
	}
	c, err := r.context(ctx, string(s.ID))
	if err != nil {
		return nil, err // the caller decides: a watched status may be gone
	}
	take(c)
	capped := len(c.Descendants.list)+len(c.Descendants.bad) >= r.contextCap
	if s.RepliesCount < 0 && capped {
		// A watched status asked again: learn its replies_count.
		var fresh status
		if _, err := r.get(ctx, r.base+"/api/v1/statuses/"+url.PathEscape(string(s.ID)), &fresh); err == nil {
			s.RepliesCount = fresh.RepliesCount
		}
	}
	for {
		var todo []*status
		for _, x := range append([]*status{s}, out...) {
			if !r.asked[string(x.ID)] && r.missing(x) {
				todo = append(todo, x)
			}
		}
		if len(todo) == 0 {
			break
		}
		for _, x := range todo {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			c, err := r.context(ctx, string(x.ID))
			if err != nil {
				if err := r.fails.Fail(ctx, "context", err); err != nil {
					return out, err
				}
				continue
			}
			take(c)
			capped = capped || len(c.Descendants.list)+len(c.Descendants.bad) >= r.contextCap
		}
	}
	// Replies cut off by a full context that no deeper context reaches
	// (siblings beyond the cap) cannot be read: say so.
	if capped {
		var lost int64
		for _, x := range append([]*status{s}, out...) {
			if x.RepliesCount > 0 && r.missing(x) {
				lost += x.RepliesCount - int64(len(r.children[string(x.ID)]))
			}
		}
		if lost > 0 {
			hint := ""
			if r.hdr == nil {
				hint = fmt.Sprintf(" (a context read without a user shows %d; set %s to read up to %d)", contextCapAnonymous, EnvAccessToken, contextCapUser)
			}
			r.env.Stats.Error("truncated", fmt.Errorf("mastodon: about %d replies below status %s could not be read%s", lost, s.ID, hint))
		}
	}
	return out, nil
}

// lineage returns the reaction ids of s's parent and of its
// conversation's root, asking contexts to climb past 40 ancestors.
func (r *run) lineage(ctx context.Context, s *status) (parent, root string, err error) {
	id := func(x *status) string { return reaction.MakeID(reaction.Mastodon, x.URI) }
	if s.InReplyToID == "" {
		return "", id(s), nil
	}
	cur, seen := s, map[string]bool{}
	for climbs := 0; ; {
		seen[string(cur.ID)] = true
		up := r.known[string(cur.InReplyToID)]
		if up == nil && !r.asked[string(cur.ID)] && climbs < maxUp {
			climbs++
			if _, err := r.context(ctx, string(cur.ID)); err != nil {
				if err := r.fails.Fail(ctx, "context", err); err != nil {
					return "", "", err
				}
			}
			continue
		}
		if up == nil || seen[string(up.ID)] {
			break // the parent is not readable (or a loop): cur is as high as we get
		}
		cur = up
		if cur.InReplyToID == "" {
			break
		}
	}
	if p := r.known[string(s.InReplyToID)]; p != nil && p.URI != "" {
		parent = id(p)
	} else {
		parent = reaction.MakeID(reaction.Mastodon, r.base+"/api/v1/statuses/"+string(s.InReplyToID))
	}
	return parent, id(cur), nil
}

// emit sends the reaction of s once per run.
func (r *run) emit(ctx context.Context, s *status) error {
	re, err := r.reaction(ctx, s)
	if err != nil {
		return err
	}
	return r.env.EmitOnce(r.emitted, re)
}

func (r *run) reaction(ctx context.Context, s *status) (reaction.Reaction, error) {
	parent, root, err := r.lineage(ctx, s)
	if err != nil {
		return reaction.Reaction{}, err
	}
	re := reaction.Reaction{
		Platform:       reaction.Mastodon,
		ID:             reaction.MakeID(reaction.Mastodon, s.URI),
		ParentID:       parent,
		RootID:         root,
		URL:            s.URI,
		CreatedAt:      parseTime(s.CreatedAt),
		Author:         r.env.Authors.Author(reaction.Mastodon, r.handle(s)),
		Text:           htmltext.FromHTML(s.Content),
		ContentWarning: strings.TrimSpace(s.SpoilerText),
		Likes:          max(s.FavouritesCount, 0),
		Replies:        max(s.RepliesCount, 0),
		IsRoot:         r.named[string(s.ID)],
	}
	if s.URL != nil && *s.URL != "" {
		re.URL = *s.URL
	}
	if s.Language != nil {
		re.Lang = *s.Language
	}
	return re, nil
}

// handle is the author as user@domain: acct, with the domain of the
// account's URL (else of base_url) for local accounts.
func (r *run) handle(s *status) string {
	acct := strings.TrimPrefix(s.Account.Acct, "@")
	if acct == "" {
		acct = s.Account.Username
	}
	if acct == "" || strings.Contains(acct, "@") {
		return acct
	}
	host := r.baseURL.Hostname()
	if u, err := url.Parse(s.Account.URL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return acct + "@" + host
}

// refresh asks again the contexts of statuses found by earlier runs, least
// recently asked first, for replies posted since.
func (r *run) refresh(ctx context.Context, threads *watched) error {
	var due []string
	for _, id := range threads.order {
		if !r.seeds[id] && !r.asked[id] {
			due = append(due, id)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return threads.last[due[i]] < threads.last[due[j]] })
	if len(due) > maxRefresh {
		r.log.Info("mastodon: more watched statuses than one run asks again; the rest wait for the next run", "watched", len(due), "asked", maxRefresh)
		due = due[:maxRefresh]
	}
	for _, id := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The watched status itself is not fetched: its replies_count is
		// unknown (-1), so only a full context makes it ask for more.
		stub := &status{ID: flexID(id), RepliesCount: -1}
		if s := r.known[id]; s != nil {
			stub = s
		}
		below, err := r.conversation(ctx, stub)
		if errors.Is(err, source.ErrNotFound) {
			threads.drop(id) // deleted since: nothing more to watch
			continue
		}
		if err != nil {
			if err := r.fails.Fail(ctx, "context", err); err != nil {
				return err
			}
		}
		threads.asked(id, r.now().Unix())
		for _, d := range below {
			if err := r.emit(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// watched are the statuses whose replies later runs look for, each for
// followFor after this crawler first found it (not after it was posted:
// a story studied years later is still followed for new replies).
type watched struct {
	order   []string
	created map[string]int64 // when first found (Unix seconds)
	last    map[string]int64 // when its context was last asked
}

func parseThreads(s string) *watched {
	w := &watched{created: map[string]int64{}, last: map[string]int64{}}
	for _, e := range strings.Split(s, ",") {
		f := strings.Split(strings.TrimSpace(e), ":")
		if f[0] == "" {
			continue
		}
		var c, l int64
		if len(f) > 1 {
			c, _ = strconv.ParseInt(f[1], 10, 64)
		}
		if len(f) > 2 {
			l, _ = strconv.ParseInt(f[2], 10, 64)
		}
		w.add(f[0], c)
		w.last[f[0]] = l
	}
	return w
}

// add watches id from found on; a status already watched keeps its time.
func (w *watched) add(id string, found int64) {
	if _, ok := w.created[id]; ok {
		return
	}
	w.order = append(w.order, id)
	w.created[id] = found
}

func (w *watched) asked(id string, at int64) { w.last[id] = at }

func (w *watched) drop(id string) {
	if _, ok := w.created[id]; ok {
		w.created[id] = -1 << 62 // pruned
	}
}

// prune stops watching statuses first found before cutoff.
func (w *watched) prune(cutoff int64) {
	keep := w.order[:0]
	for _, id := range w.order {
		if w.created[id] >= cutoff {
			keep = append(keep, id)
			continue
		}
		delete(w.created, id)
		delete(w.last, id)
	}
	w.order = keep
}

func (w *watched) String() string {
	var b strings.Builder
	for i, id := range w.order {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d:%d", id, w.created[id], w.last[id])
	}
	return b.String()
}
