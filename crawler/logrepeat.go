package crawler

import (
	"context"
	"log/slog"
	"sort"
	"sync"
)

// Repeated warnings of a source run are counted, not printed each time: a
// platform that fails the same way on every page (a loop, a listing cap, a
// Link header to another host) would otherwise fill the log with
// thousands of identical lines and bury the one that matters. The counts
// also reach the run's error kinds, its message and the metrics.
const (
	// warnShown is how many warnings with one message (and error kind)
	// a source run logs; the rest are counted.
	warnShown = 5
	// warnKeys bounds the distinct messages counted per run; messages are
	// the code's constants, so this is never reached in practice.
	warnKeys = 200
)

// repeatLimiter counts a source run's warnings by message and error kind.
type repeatLimiter struct {
	next slog.Handler

	mu     sync.Mutex
	counts map[repeatKey]int
}

type repeatKey struct{ msg, kind string }

func newRepeatLimiter(next slog.Handler) *repeatLimiter {
	return &repeatLimiter{next: next, counts: map[repeatKey]int{}}
}

// handler returns the slog.Handler that logs through the limiter.
func (l *repeatLimiter) handler() slog.Handler { return repeatHandler{l: l, next: l.next} }

// count records one warning and returns how many there were with its key
// (0 when the key is not counted).
func (l *repeatLimiter) count(k repeatKey) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.counts[k]
	if !ok && len(l.counts) >= warnKeys {
		return 0
	}
	n++
	l.counts[k] = n
	return n
}

// flush logs, once, how many warnings of each key were not printed.
func (l *repeatLimiter) flush() {
	l.mu.Lock()
	keys := make([]repeatKey, 0, len(l.counts))
	for k, n := range l.counts {
		if n > warnShown {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].msg+keys[i].kind < keys[j].msg+keys[j].kind })
	counts := make([]int, len(keys))
	for i, k := range keys {
		counts[i] = l.counts[k]
		delete(l.counts, k)
	}
	l.mu.Unlock()
	for i, k := range keys {
		attrs := []any{"message", k.msg, "logged", warnShown, "not_logged", counts[i] - warnShown}
		if k.kind != "" {
			attrs = append(attrs, "kind", k.kind)
		}
		// Through the handler below the limiter: this line is not counted.
		slog.New(l.next).Warn("repeated warnings counted, not logged", attrs...)
	}
}

// repeatHandler passes records below warning level on, and of the
// warnings the first warnShown of each message and kind.
type repeatHandler struct {
	l     *repeatLimiter
	next  slog.Handler
	attrs []slog.Attr // added by WithAttrs, for the kind
}

func (h repeatHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h repeatHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	k := repeatKey{msg: r.Message}
	find := func(a slog.Attr) bool {
		if a.Key == "kind" {
			k.kind = a.Value.String()
			return false
		}
		return true
	}
	for _, a := range h.attrs {
		find(a)
	}
	r.Attrs(find)
	switch n := h.l.count(k); {
	case n > warnShown:
		return nil
	case n == warnShown:
		r = r.Clone()
		r.AddAttrs(slog.String("repeats", "further warnings like this one are counted, not logged"))
	}
	return h.next.Handle(ctx, r)
}

func (h repeatHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return repeatHandler{l: h.l, next: h.next.WithAttrs(attrs), attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h repeatHandler) WithGroup(name string) slog.Handler {
	return repeatHandler{l: h.l, next: h.next.WithGroup(name), attrs: h.attrs}
}
