package aggregator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Request bodies are read whole, under read deadlines, before a request
// takes a parse slot: a sender that sends slowly, or stops after a byte,
// holds memory for what it sent and a goroutine until its deadline, never
// a slot that other senders need.

// Chunk sizes of a body being read: small for the first bytes (a sender
// that stops after one byte holds 4 KiB), then up to 64 KiB.
const (
	firstChunk = 4 << 10
	maxChunk   = 64 << 10
)

// errBodyTimeout is a body that did not arrive in time (answered 408).
type errBodyTimeout struct {
	got           int64
	idle, timeout time.Duration
	whole         bool // the whole-body bound ran out, not a pause
}

func (e errBodyTimeout) Error() string {
	if e.whole {
		return fmt.Sprintf("request body not received in time: %d bytes arrived, and a body must arrive within %s: send smaller batches or check the link", e.got, e.timeout)
	}
	return fmt.Sprintf("request body not received in time: %d bytes arrived, then nothing for %s: send the body again", e.got, e.idle)
}

// errBodiesBusy is a body refused because the bodies being received hold
// Config.MaxBufferedBytes (answered 503 with Retry-After).
type errBodiesBusy struct{ limit int64 }

func (e errBodiesBusy) Error() string {
	return fmt.Sprintf("too many request bodies are arriving at once (%s held): retry later", sizeText(e.limit))
}

// bufferedBody is a request body read into memory in chunks, counted in
// the aggregator's buffer budget until release.
type bufferedBody struct {
	a      *Aggregator
	chunks [][]byte
	held   int64 // bytes of the budget taken (the chunks' capacity)
	n      int64 // bytes read
}

// reader returns the body's bytes.
func (b *bufferedBody) reader() io.Reader {
	rs := make([]io.Reader, len(b.chunks))
	for i, c := range b.chunks {
		rs[i] = bytes.NewReader(c)
	}
	return io.MultiReader(rs...)
}

// release gives the body's memory back to the budget; b is empty after.
func (b *bufferedBody) release() {
	if b.held > 0 {
		b.a.buffered.Add(-b.held)
	}
	b.chunks, b.held, b.n = nil, 0, 0
}

// grow adds a chunk of size bytes, if the budget has room.
func (b *bufferedBody) grow(size int64) error {
	limit := b.a.cfg.MaxBufferedBytes
	for {
		cur := b.a.buffered.Load()
		if cur+size > limit {
			b.a.m.bodiesRefused.WithLabelValues("memory").Inc()
			return errBodiesBusy{limit}
		}
		if b.a.buffered.CompareAndSwap(cur, cur+size) {
			break
		}
	}
	b.held += size
	b.chunks = append(b.chunks, make([]byte, 0, size))
	return nil
}

// readBody reads r's body whole: at most limit bytes (errTooLarge past
// it), each read within Config.BodyIdleTimeout and all of it within
// Config.BodyTimeout (errBodyTimeout), into memory counted against
// Config.MaxBufferedBytes (errBodiesBusy). The caller releases the body.
func (a *Aggregator) readBody(w http.ResponseWriter, r *http.Request, limit int64) (*bufferedBody, error) {
	b := &bufferedBody{a: a}
	rc := http.NewResponseController(w)
	start := time.Now()
	end := start.Add(a.cfg.BodyTimeout)
	size := int64(firstChunk)
	if r.ContentLength > 0 {
		size = min(max(r.ContentLength+1, firstChunk), maxChunk)
	}
	for {
		last := len(b.chunks) - 1
		if last < 0 || len(b.chunks[last]) == cap(b.chunks[last]) {
			if last >= 0 {
				size = min(2*size, maxChunk)
			}
			if err := b.grow(size); err != nil {
				b.release()
				return nil, err
			}
			last++
		}
		c := b.chunks[last]
		deadline := time.Now().Add(a.cfg.BodyIdleTimeout)
		if deadline.After(end) {
			deadline = end
		}
		// A writer without deadlines (no net.Conn below) leaves the
		// server's ReadTimeout as the only bound.
		_ = rc.SetReadDeadline(deadline)
		n, err := r.Body.Read(c[len(c):cap(c)])
		b.chunks[last] = c[:len(c)+n]
		b.n += int64(n)
		if b.n > limit {
			b.release()
			return nil, errTooLarge{limit}
		}
		switch {
		case err == io.EOF:
			_ = rc.SetReadDeadline(time.Time{})
			return b, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			got := b.n
			b.release()
			a.m.bodiesRefused.WithLabelValues("timeout").Inc()
			return nil, errBodyTimeout{got: got, idle: a.cfg.BodyIdleTimeout, timeout: a.cfg.BodyTimeout, whole: !deadline.Before(end)}
		case err != nil:
			b.release()
			return nil, err
		}
	}
}

// bodyError answers a failed readBody.
func (a *Aggregator) bodyError(w http.ResponseWriter, err error) {
	var tl errTooLarge
	var bt errBodyTimeout
	var bb errBodiesBusy
	switch {
	case errors.As(err, &tl):
		httpError(w, http.StatusRequestEntityTooLarge, tl.Error())
	case errors.As(err, &bt):
		w.Header().Set("Connection", "close")
		httpError(w, http.StatusRequestTimeout, bt.Error())
	case errors.As(err, &bb):
		a.unavailable(w, bb.Error())
	default:
		httpError(w, http.StatusBadRequest, fmt.Sprintf("read request body: %v", err))
	}
}
