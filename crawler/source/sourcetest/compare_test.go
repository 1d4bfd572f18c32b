package sourcetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCompare(t *testing.T) {
	at := time.Date(2020, 10, 1, 12, 0, 0, 0, time.UTC)
	a := reaction.Reaction{ID: "x:1", RootID: "x:1", Text: "root", CreatedAt: at, Replies: 1}
	b := reaction.Reaction{ID: "x:2", ParentID: "x:1", RootID: "x:1", Text: "reply", CreatedAt: at}
	want := map[string]reaction.Reaction{a.ID: a, b.ID: b}
	tests := []struct {
		name string
		got  []reaction.Reaction
		skip []string
		errs int
	}{
		{"equal", []reaction.Reaction{a, b}, nil, 0},
		{"equal but for sub-second time", []reaction.Reaction{a, func() reaction.Reaction { c := b; c.CreatedAt = at.Add(time.Millisecond); return c }()}, nil, 0},
		{"text differs", []reaction.Reaction{a, func() reaction.Reaction { c := b; c.Text = "other"; return c }()}, nil, 1},
		{"replies differ", []reaction.Reaction{func() reaction.Reaction { c := a; c.Replies = 0; return c }(), b}, nil, 1},
		{"replies skipped", []reaction.Reaction{func() reaction.Reaction { c := a; c.Replies = 0; return c }(), b}, []string{"replies"}, 0},
		{"twice", []reaction.Reaction{a, b, b}, nil, 1},
		{"missing", []reaction.Reaction{a}, nil, 1},
		{"extra", []reaction.Reaction{a, b, {ID: "x:3"}}, nil, 1},
	}
	for _, tt := range tests {
		r := &recorder{TB: t}
		Compare(r, tt.got, want, tt.skip...)
		if len(r.errs) != tt.errs {
			t.Errorf("%s: %d errors, want %d: %q", tt.name, len(r.errs), tt.errs, r.errs)
		}
	}
}
