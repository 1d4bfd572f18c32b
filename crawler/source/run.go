package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/reactions-research/reactions/reaction"
)

// Failures is how an adapter files the failure of one request or item and
// goes on with the others, the same way on every platform. It counts the
// requests that were answered (OK) and those that were refused (a block,
// see Report), so that a run in which every request was refused ends
// blocked (Err), and it remembers a failure after which nothing more can
// be done (Stop). The zero value needs Stats set.
type Failures struct {
	// Stats receives every failure filed.
	Stats Stats

	answered, refused int
	stopped           error
}

// OK counts one request that was answered.
func (f *Failures) OK() { f.answered++ }

// Fail files err, the failure of what (as in "topic 5600"), so that the
// run goes on: it returns nil. It files nothing and returns the error that
// ends the run when there is one: the error Stop recorded, or err itself
// when it is the end of ctx (the run was cancelled or timed out).
func (f *Failures) Fail(ctx context.Context, what string, err error) error {
	switch {
	case f.stopped != nil:
		return f.stopped
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	if Report(f.Stats, what, err) {
		f.refused++
	}
	return nil
}

// Stop records that nothing more can be done in this run (the platform
// refuses the source's credentials): err, which must wrap ErrBlocked, goes
// to Stats.Blocked once, and Stop and every later Fail return it.
func (f *Failures) Stop(what string, err error) error {
	if f.stopped == nil {
		f.stopped = err
		f.refused++
		f.Stats.Blocked(what, err)
	}
	return f.stopped
}

// Stopped returns the error Stop recorded, or nil.
func (f *Failures) Stopped() error { return f.stopped }

// Err is the end of a run of platform: the error Stop recorded, an error
// wrapping ErrBlocked when requests were refused and none was answered
// (the whole source is blocked), or nil.
func (f *Failures) Err(platform reaction.Platform) error {
	switch {
	case f.stopped != nil:
		return f.stopped
	case f.refused > 0 && f.answered == 0:
		return fmt.Errorf("%s: every request was refused: %w", platform, ErrBlocked)
	}
	return nil
}

// EmitOnce hands r to e.Emit unless seen holds its id, and adds the id to
// seen: for adapters that meet one item more than once in a run (a search
// hit that is also in a thread they crawl).
func (e *Env) EmitOnce(seen map[string]bool, r reaction.Reaction) error {
	if seen[r.ID] {
		return nil
	}
	seen[r.ID] = true
	if err := e.Emit(r); err != nil {
		return fmt.Errorf("%s: emit %s: %w", r.Platform, r.ID, err)
	}
	return nil
}
