package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// ThreadJSON is one thread in GET /api/v1/threads.
type ThreadJSON struct {
	RootID   string            `json:"root_id"`
	Platform reaction.Platform `json:"platform"`
	// URL and Text are the thread starter's, when it is stored (Text cut
	// to a line); both empty otherwise.
	URL            string    `json:"url"`
	Text           string    `json:"text"`
	Reactions      int64     `json:"reactions"`
	Support        int64     `json:"support"`
	Criticism      int64     `json:"criticism"`
	Neutral        int64     `json:"neutral"`
	CriticismShare *float64  `json:"criticism_share"`
	Deleted        int64     `json:"deleted"`
	Authors        int64     `json:"authors"`
	First          time.Time `json:"first"`
	Last           time.Time `json:"last"`
	// Drill is the dashboard's link listing the thread's reactions.
	Drill string `json:"drill"`
}

// ThreadsJSON is the answer of GET /api/v1/threads.
type ThreadsJSON struct {
	Story    string            `json:"story"`
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	Platform reaction.Platform `json:"platform,omitempty"`
	// MinSize is the fewest support + criticism reactions a thread needs
	// to be ranked by criticism share.
	MinSize     int64        `json:"min_size"`
	BySize      []ThreadJSON `json:"by_size"`
	ByCriticism []ThreadJSON `json:"by_criticism"`
}

// Default and largest min_size of /api/v1/threads.
const (
	defaultThreadMinSize = 10
	maxThreadMinSize     = 1_000_000
)

// threadTextRunes bounds the starter's text shown with a thread.
const threadTextRunes = 140

func (s *Server) threads(r *http.Request) (any, error) {
	p, e := newParams(r, "story", "from", "to", "platform", "limit", "min_size")
	if e != nil {
		return nil, e
	}
	q := store.ReactionQuery{}
	if q.Story, e = p.story(); e != nil {
		return nil, e
	}
	if q.From, q.To, e = p.rangeParams(); e != nil {
		return nil, e
	}
	if q.Platforms, e = p.platforms(); e != nil {
		return nil, e
	}
	limit := 10
	if p.get("limit") != "" {
		if limit, e = p.limit(); e != nil {
			return nil, e
		}
	}
	minSize := int64(defaultThreadMinSize)
	if v := p.get("min_size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > maxThreadMinSize {
			return nil, badParam("min_size", "%s is not a whole number from 1 to %d", strconv.QuoteToASCII(truncate(v, 80)), maxThreadMinSize)
		}
		minSize = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rec, err := s.loadStory(ctx, q.Story)
	if err != nil {
		return nil, err
	}
	if err := s.defaultRange(ctx, &q.From, &q.To, q.Story, rec); err != nil {
		return nil, err
	}
	out := &ThreadsJSON{Story: q.Story, From: q.From, To: q.To, MinSize: minSize}
	if len(q.Platforms) == 1 {
		out.Platform = q.Platforms[0]
	}
	bySize, err := s.st.Threads(ctx, store.ThreadQuery{Reactions: q, By: store.BySize, Limit: limit})
	if err != nil {
		return nil, err
	}
	byCrit, err := s.st.Threads(ctx, store.ThreadQuery{Reactions: q, By: store.ByCriticismShare, MinSize: minSize, Limit: limit})
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, ts := range [][]store.ThreadStat{bySize, byCrit} {
		for _, t := range ts {
			roots = append(roots, t.RootID)
		}
	}
	starters, err := s.st.ReactionsByID(ctx, q.Story, roots)
	if err != nil {
		return nil, err
	}
	list := func(ts []store.ThreadStat) []ThreadJSON {
		out := []ThreadJSON{}
		for _, t := range ts {
			j := ThreadJSON{RootID: t.RootID, Platform: t.Platform, Reactions: t.Reactions, Support: t.Support,
				Criticism: t.Criticism, Neutral: t.Neutral, Deleted: t.Deleted, Authors: t.Authors, First: t.First, Last: t.Last,
				Drill: "/?" + url.Values{"story": {q.Story}, "thread": {t.RootID}}.Encode()}
			if d := t.Support + t.Criticism; d > 0 {
				v := float64(t.Criticism) / float64(d)
				j.CriticismShare = &v
			}
			if st, ok := starters[t.RootID]; ok {
				j.URL, j.Text = st.URL, firstLine(st.Text, threadTextRunes)
			}
			out = append(out, j)
		}
		return out
	}
	out.BySize, out.ByCriticism = list(bySize), list(byCrit)
	return out, nil
}

// firstLine returns the first line of s, cut to at most n runes ("…"
// marks a cut).
func firstLine(s string, n int) string {
	for i, r := range s {
		if r == '\n' {
			s = s[:i]
			break
		}
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + "…"
}
