package series

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// ErrNoStory is returned for a story with neither a stored definition nor
// stored reactions.
var ErrNoStory = errors.New("no such story")

// LoadStory returns a story's stored definition, or nil (and no error) when
// only its reactions are stored.
func LoadStory(ctx context.Context, st *store.Store, id string) (*store.StoryRecord, error) {
	rec, err := st.GetStory(ctx, id)
	if err == nil {
		return rec, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	first, _, err := st.Extent(ctx, id)
	if err != nil {
		return nil, err
	}
	if first.IsZero() {
		return nil, fmt.Errorf("%w: %q has no stored definition and no reactions", ErrNoStory, id)
	}
	return nil, nil
}

// DefaultRange is the range shown when none is asked for: the story window;
// else the stored reactions' extent; else, with nothing stored, the week
// from a day before the story was published, or the last 7 days. A window
// with one open end is closed by the extent (or a week).
func DefaultRange(ctx context.Context, st *store.Store, id string, rec *store.StoryRecord, now time.Time) (from, to time.Time, err error) {
	if rec != nil && rec.Story.Window != nil {
		from, to = rec.Story.Window.From, rec.Story.Window.To
	}
	if from.IsZero() || to.IsZero() {
		first, last, err := st.Extent(ctx, id)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		if !first.IsZero() {
			if from.IsZero() {
				from = first
			}
			if to.IsZero() {
				to = last.Add(time.Minute)
			}
		}
	}
	switch {
	case from.IsZero() && to.IsZero():
		if rec != nil && !rec.Story.Published.IsZero() {
			from = rec.Story.Published.Add(-24 * time.Hour)
		} else {
			from = now.Add(-7 * 24 * time.Hour)
		}
		to = from.Add(7 * 24 * time.Hour)
	case from.IsZero():
		from = to.Add(-7 * 24 * time.Hour)
	case to.IsZero() || !to.After(from):
		to = from.Add(7 * 24 * time.Hour)
	}
	return from.UTC(), to.UTC(), nil
}

// StorySources lists the sources a story defines (none for nil).
func StorySources(rec *store.StoryRecord) []Source {
	if rec == nil {
		return nil
	}
	var out []Source
	for _, s := range rec.Story.Sources {
		name := s.Name
		if name == "" {
			name = string(s.Platform)
		}
		out = append(out, Source{Name: name, Platform: s.Platform})
	}
	return out
}

// Poll is the story's --follow poll period (story.DefaultPoll when unset).
func Poll(rec *store.StoryRecord) time.Duration {
	if rec != nil && rec.Story.Poll > 0 {
		return time.Duration(rec.Story.Poll)
	}
	return story.DefaultPoll
}

// History returns, per platform, where a source's first run's history
// starts: the story window's start, else the platform's first reaction.
func History(ctx context.Context, st *store.Store, id string, rec *store.StoryRecord) (func(reaction.Platform) time.Time, error) {
	if rec != nil && rec.Story.Window != nil && !rec.Story.Window.From.IsZero() {
		from := rec.Story.Window.From
		return func(reaction.Platform) time.Time { return from }, nil
	}
	exts, err := st.PlatformExtents(ctx, id)
	if err != nil {
		return nil, err
	}
	first := map[reaction.Platform]time.Time{}
	for _, e := range exts {
		first[e.Platform] = e.First
	}
	return func(p reaction.Platform) time.Time { return first[p] }, nil
}

// Demo reports whether a story is demo data: its id starts with "demo-" or
// its definition says so.
func Demo(id string, rec *store.StoryRecord) bool {
	return len(id) > 5 && id[:5] == "demo-" || rec != nil && rec.Story.Demo
}
