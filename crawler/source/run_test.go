package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

var (
	refused = &HTTPError{URL: "https://example.org/x", Status: http.StatusForbidden}
	gone    = &HTTPError{URL: "https://example.org/y", Status: http.StatusNotFound}
)

// TestFailures: every adapter files failures and ends a run the same way:
// a run whose every request was refused is blocked, one with an answer is
// not; a cancelled run ends at once with nothing filed; after Stop every
// Fail ends the run with Stop's error.
func TestFailures(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name        string
		run         func(f *Failures) error // the last Fail's result
		wantEnd     bool                    // the last Fail ends the run
		wantBlocked bool                    // Err wraps ErrBlocked
		wantCalls   []string                // of Stats
	}{
		{"every request refused", func(f *Failures) error {
			f.Fail(ctx, "topic 1", refused)
			return f.Fail(ctx, "topic 2", refused)
		}, false, true, []string{"blocked topic 1", "blocked topic 2"}},
		{"one answered", func(f *Failures) error {
			f.OK()
			return f.Fail(ctx, "topic 2", refused)
		}, false, false, []string{"blocked topic 2"}},
		{"errors but no block", func(f *Failures) error {
			return f.Fail(ctx, "topic 1", gone)
		}, false, false, []string{"error not_found"}},
		{"cancelled run", func(f *Failures) error {
			return f.Fail(cancelled, "topic 1", refused)
		}, true, false, nil},
		{"a request ended by the run's context", func(f *Failures) error {
			return f.Fail(ctx, "topic 1", fmt.Errorf("get: %w", context.DeadlineExceeded))
		}, true, false, nil},
		{"stopped", func(f *Failures) error {
			f.OK()
			f.Stop("token", fmt.Errorf("credentials refused: %w", ErrBlocked))
			return f.Fail(ctx, "topic 1", gone)
		}, true, true, []string{"blocked token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &stats{}
			f := &Failures{Stats: s}
			last := tc.run(f)
			if (last != nil) != tc.wantEnd {
				t.Errorf("last Fail returned %v", last)
			}
			err := f.Err(reaction.Discourse)
			if errors.Is(err, ErrBlocked) != tc.wantBlocked {
				t.Errorf("Err() = %v, want blocked %v", err, tc.wantBlocked)
			}
			if tc.wantBlocked && tc.name != "stopped" && !strings.Contains(err.Error(), "discourse: every request was refused") {
				t.Errorf("Err() = %v", err)
			}
			if fmt.Sprint(s.calls) != fmt.Sprint(tc.wantCalls) {
				t.Errorf("filed %v, want %v", s.calls, tc.wantCalls)
			}
		})
	}
}

func TestEmitOnce(t *testing.T) {
	var got []string
	env := &Env{Emit: func(r reaction.Reaction) error {
		if r.ID == "reddit:t1_bad" {
			return errors.New("invalid")
		}
		got = append(got, r.ID)
		return nil
	}}
	seen := map[string]bool{}
	for _, id := range []string{"reddit:t1_a", "reddit:t1_b", "reddit:t1_a"} {
		if err := env.EmitOnce(seen, reaction.Reaction{Platform: reaction.Reddit, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, " ") != "reddit:t1_a reddit:t1_b" {
		t.Errorf("emitted %v", got)
	}
	err := env.EmitOnce(seen, reaction.Reaction{Platform: reaction.Reddit, ID: "reddit:t1_bad"})
	if err == nil || err.Error() != "reddit: emit reddit:t1_bad: invalid" {
		t.Errorf("err = %v", err)
	}
}
