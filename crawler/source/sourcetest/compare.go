package sourcetest

import (
	"slices"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

// fields are the content fields Compare checks, by their export names.
var fields = []struct {
	name string
	of   func(r *reaction.Reaction) any
}{
	{"parent_id", func(r *reaction.Reaction) any { return r.ParentID }},
	{"root_id", func(r *reaction.Reaction) any { return r.RootID }},
	{"is_root", func(r *reaction.Reaction) any { return r.IsRoot }},
	{"url", func(r *reaction.Reaction) any { return r.URL }},
	{"created_at", func(r *reaction.Reaction) any { return r.CreatedAt }},
	{"content_warning", func(r *reaction.Reaction) any { return r.ContentWarning }},
	{"text", func(r *reaction.Reaction) any { return r.Text }},
	{"lang", func(r *reaction.Reaction) any { return r.Lang }},
	{"likes", func(r *reaction.Reaction) any { return r.Likes }},
	{"replies", func(r *reaction.Reaction) any { return r.Replies }},
	{"deleted", func(r *reaction.Reaction) any { return r.Deleted }},
	{"author", func(r *reaction.Reaction) any { return r.Author }},
}

// Compare checks got (what an adapter emitted, in order) against want (the
// ground truth, by id): every reaction emitted once, field by field,
// nothing missing, nothing extra. Both sides are compared normalized, as
// the crawler sends them. skip names fields (as in "replies") that the
// platform's ground truth does not model.
func Compare(t testing.TB, got []reaction.Reaction, want map[string]reaction.Reaction, skip ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, g := range got {
		seen[g.ID]++
		if seen[g.ID] == 2 {
			t.Errorf("%s emitted more than once", g.ID)
		}
		if seen[g.ID] > 1 {
			continue
		}
		w, ok := want[g.ID]
		if !ok {
			t.Errorf("%s emitted but not expected (text %q)", g.ID, g.Text)
			continue
		}
		g.Normalize()
		w.Normalize()
		for _, f := range fields {
			if slices.Contains(skip, f.name) {
				continue
			}
			if gv, wv := f.of(&g), f.of(&w); gv != wv {
				t.Errorf("%s: %s = %#v, want %#v", g.ID, f.name, gv, wv)
			}
		}
	}
	var missing []string
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d reactions missing, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
}
