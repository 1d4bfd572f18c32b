package source

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors of a paging walk (see Walk): the walk stops, and the run's
// completeness report says so with the status "loop" or "truncated".
var (
	// ErrLoop is a server that pages in a circle: a cursor, URL or page
	// came back that this walk had already fetched.
	ErrLoop = errors.New("paging loop")
	// ErrTruncated is a walk cut at a page cap: what lies beyond it was
	// not collected.
	ErrTruncated = errors.New("page cap reached")
)

// DefaultMaxPages is the page cap of a Walk whose Max is not set.
const DefaultMaxPages = 10_000

// Walk guards one paging walk (a search, a timeline, a comment listing)
// against servers that never end it: call Next with what identifies each
// page (its cursor, URL or number) before fetching it. A cursor this walk
// already fetched is a loop; more than Max pages is a cut. Either way Next
// returns an error, the walk stops there, and the error goes to Report
// (its kind is "loop" or "truncated"). The zero value needs What set.
type Walk struct {
	// What names the walk in errors, e.g. `reddit: search "teigen"`.
	What string
	// Max is the page cap. Default DefaultMaxPages.
	Max int

	pages int
	seen  map[string]int // cursor → the page that fetched it (1-based)
}

// Next records the page identified by cursor as the walk's next one, and
// returns nil to fetch it, or an error wrapping ErrLoop (cursor was
// fetched before in this walk) or ErrTruncated (the walk has fetched Max
// pages).
func (w *Walk) Next(cursor string) error {
	max := w.Max
	if max <= 0 {
		max = DefaultMaxPages
	}
	if first, ok := w.seen[cursor]; ok {
		return &WalkError{What: w.What, Err: ErrLoop,
			Detail: fmt.Sprintf("page %d would fetch %s again, which page %d fetched", w.pages+1, describe(cursor), first)}
	}
	if w.pages >= max {
		return &WalkError{What: w.What, Err: ErrTruncated,
			Detail: fmt.Sprintf("stopped at the cap of %d pages; what lies beyond was not collected", max)}
	}
	if w.seen == nil {
		w.seen = map[string]int{}
	}
	w.pages++
	w.seen[cursor] = w.pages
	return nil
}

// Repeats returns the loop error of a page whose content repeats what
// the walk already had (a server that ignores its page parameter): detail
// says how, e.g. "page 3 holds only comments of earlier pages".
func (w *Walk) Repeats(detail string) error {
	return &WalkError{What: w.What, Err: ErrLoop, Detail: detail}
}

// Pages returns how many pages Next has let through.
func (w *Walk) Pages() int { return w.pages }

// WalkError is why a Walk stopped; errors.Is(err, ErrLoop) or
// errors.Is(err, ErrTruncated) tells which.
type WalkError struct {
	What   string
	Err    error // ErrLoop or ErrTruncated
	Detail string
}

// Error names the walk, the condition and the page.
func (e *WalkError) Error() string {
	if errors.Is(e.Err, ErrLoop) {
		return fmt.Sprintf("%s: %s: %s; the walk was stopped there", e.What, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.What, e.Detail)
}

// Unwrap returns ErrLoop or ErrTruncated.
func (e *WalkError) Unwrap() error { return e.Err }

// describe quotes a cursor for a message, shortened when long (a URL).
func describe(cursor string) string {
	if cursor == "" {
		return "the first page"
	}
	const max = 120
	if len(cursor) > max {
		cursor = cursor[:max] + "…"
	}
	return strconv.Quote(cursor)
}
