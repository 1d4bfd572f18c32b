package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// hostLimits holds one limiter per host for the whole crawl, so that two
// sources on the same host share its budget.
type hostLimits struct {
	mu    sync.Mutex
	hosts map[string]*hostLimiter
}

func newHostLimits() *hostLimits { return &hostLimits{hosts: map[string]*hostLimiter{}} }

// hostLimiter is a token bucket plus a pause (after a 429 or an exhausted
// rate-limit header) that holds every request to the host.
type hostLimiter struct {
	lim *rate.Limiter

	mu    sync.Mutex
	until time.Time
}

// get returns the host's limiter; when two sources ask for different rates
// for one host, the slower one wins.
func (h *hostLimits) get(host string, l rate.Limit) *hostLimiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	hl, ok := h.hosts[host]
	if !ok {
		hl = &hostLimiter{lim: rate.NewLimiter(l, 1)}
		h.hosts[host] = hl
	} else if l < hl.lim.Limit() {
		hl.lim.SetLimit(l)
	}
	return hl
}

// pause holds the host until t (it never shortens a longer pause).
func (hl *hostLimiter) pause(t time.Time) {
	hl.mu.Lock()
	if t.After(hl.until) {
		hl.until = t
	}
	hl.mu.Unlock()
}

func (hl *hostLimiter) wait(ctx context.Context) error {
	for {
		hl.mu.Lock()
		d := time.Until(hl.until)
		hl.mu.Unlock()
		if d <= 0 {
			break
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if hl.lim.Allow() { // a token is free now: no wait (and no reservation to allocate)
		return nil
	}
	// Reserve and sleep rather than Wait: Wait fails at once when the
	// delay would pass the context's deadline, which would look like a
	// network error instead of the cancellation it is.
	r := hl.lim.Reserve()
	if !r.OK() {
		return fmt.Errorf("rate limiter: reservation refused")
	}
	if err := sleep(ctx, r.Delay()); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// transport is the polite http.RoundTripper under every collector of one
// source run: per-host rate limit, retries with Retry-After and capped
// exponential backoff, per-attempt timeout, body size limit, metrics.
type transport struct {
	base     http.RoundTripper
	platform reaction.Platform
	limit    rate.Limit
	hosts    *hostLimits
	cfg      *Config
	m        *metrics
	stats    *runStats
	log      *slog.Logger
	// ctx cancels requests made without a cancellable context (colly's
	// robots.txt fetch), so that Ctrl-C stops them too.
	ctx context.Context
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if ctx.Done() == nil {
		ctx = t.ctx
	}
	bo := &backoff.ExponentialBackOff{
		InitialInterval: t.cfg.RetryInitial, RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: t.cfg.MaxRetryWait,
	}
	bo.Reset()
	hl := t.hosts.get(req.URL.Host, t.limit)
	plat := string(t.platform)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if req.Body != nil && req.Body != http.NoBody {
				if req.GetBody == nil {
					return nil, fmt.Errorf("%s %s: cannot retry a request whose body cannot be replayed", req.Method, req.URL.Redacted())
				}
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				req.Body = b
			}
		}
		if err := hl.wait(ctx); err != nil {
			return nil, err
		}
		actx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
		t.m.inFlight.Inc()
		t.stats.requests.Add(1)
		start := time.Now()
		resp, err := t.base.RoundTrip(req.WithContext(actx))
		t.m.duration.WithLabelValues(plat).Observe(time.Since(start).Seconds())
		if err != nil {
			t.m.inFlight.Dec()
			timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
			cancel()
			switch {
			case ctx.Err() != nil:
				t.m.requests.WithLabelValues(plat, outcomeCanceled).Inc()
				return nil, ctx.Err()
			case timedOut:
				t.m.requests.WithLabelValues(plat, outcomeTimeout).Inc()
				// Not wrapped: a request's own timeout is a network error of
				// this request, and must not read as the run's deadline
				// (errors.Is(err, context.DeadlineExceeded) stops adapters).
				err = fmt.Errorf("%w within %s (%v)", ErrRequestTimeout, t.cfg.Timeout, err)
			default:
				t.m.requests.WithLabelValues(plat, outcomeNetwork).Inc()
			}
			if attempt >= t.cfg.MaxRetries {
				return nil, err
			}
			wait := min(bo.NextBackOff(), t.cfg.MaxRetryWait)
			t.retry(req, 0, wait, err)
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		t.m.requests.WithLabelValues(plat, outcome(resp.StatusCode)).Inc()
		t.watchRateHeaders(hl, resp.Header)
		if retryable(resp.StatusCode) && attempt < t.cfg.MaxRetries {
			wait, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
			if ok {
				// Honour the server's wait (capped), plus a little jitter so
				// that parallel clients do not return in lockstep, and hold
				// the whole host meanwhile.
				wait = min(wait+time.Duration(rand.Int64N(int64(wait/10)+1)), t.cfg.MaxRetryWait)
				hl.pause(time.Now().Add(wait))
			} else {
				wait = min(bo.NextBackOff(), t.cfg.MaxRetryWait)
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			cancel()
			t.m.inFlight.Dec()
			t.retry(req, resp.StatusCode, wait, nil)
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		max := t.cfg.MaxBodySize
		if resp.ContentLength > max {
			resp.Body.Close()
			cancel()
			t.m.inFlight.Dec()
			t.m.requests.WithLabelValues(plat, outcomeTooLarge).Inc()
			return nil, fmt.Errorf("%s %s: %w (%d bytes, the limit is %d)", req.Method, req.URL.Redacted(), source.ErrTooLarge, resp.ContentLength, max)
		}
		resp.Body = &limitedBody{rc: resp.Body, left: max, limit: max, url: req.URL, t: t, cancel: cancel}
		return resp, nil
	}
}

func (t *transport) retry(req *http.Request, status int, wait time.Duration, err error) {
	t.m.retries.WithLabelValues(string(t.platform)).Inc()
	t.stats.retries.Add(1)
	attrs := []any{"host", req.URL.Host, "wait", wait.Round(time.Millisecond)}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	t.log.Debug("retrying request", attrs...)
}

// watchRateHeaders pauses the host when Reddit's or Mastodon's rate-limit
// headers say the budget is spent: X-Ratelimit-Remaining below 1 and
// X-Ratelimit-Reset in seconds (Reddit) or as a timestamp (Mastodon).
func (t *transport) watchRateHeaders(hl *hostLimiter, h http.Header) {
	rem := h.Get("X-Ratelimit-Remaining")
	if rem == "" {
		return
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(rem), 64)
	if err != nil || n >= 1 {
		return
	}
	reset := strings.TrimSpace(h.Get("X-Ratelimit-Reset"))
	var until time.Time
	if secs, err := strconv.ParseFloat(reset, 64); err == nil && secs >= 0 {
		until = time.Now().Add(time.Duration(secs * float64(time.Second)))
	} else if ts, err := time.Parse(time.RFC3339Nano, reset); err == nil {
		until = ts
	} else {
		return
	}
	if max := time.Now().Add(t.cfg.MaxRetryWait); until.After(max) {
		until = max
	}
	hl.pause(until)
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported)
}

func outcome(status int) string {
	switch {
	case status >= 200 && status < 300:
		return outcomeOK
	case status == http.StatusNotFound || status == http.StatusGone:
		return outcomeNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return outcomeBlocked
	case status == http.StatusTooManyRequests:
		return outcomeRateLimited
	case status >= 500:
		return outcomeServerError
	}
	return outcomeClientError
}

// retryAfter reads a Retry-After value: delta-seconds ("120") or an
// HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT").
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// limitedBody fails with source.ErrTooLarge past the size limit and releases
// the attempt's context and in-flight count when closed.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
	url         *url.URL
	t           *transport
	cancel      context.CancelFunc
	released    atomic.Bool
}

// done releases the attempt, once (Close may race with a failing Read).
func (b *limitedBody) done() {
	if b.released.CompareAndSwap(false, true) {
		b.cancel()
		b.t.m.inFlight.Dec()
	}
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			b.t.m.requests.WithLabelValues(string(b.t.platform), outcomeTooLarge).Inc()
			return 0, fmt.Errorf("%s: %w (more than %d bytes)", b.url.Redacted(), source.ErrTooLarge, b.limit)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.done()
	}
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.rc.Close()
	b.done()
	return err
}

// ErrRequestTimeout is returned when one request got no answer within
// Config.Timeout (after the retries the policy allows). It deliberately does
// not wrap context.DeadlineExceeded, which means "the run is over".
var ErrRequestTimeout = errors.New("no answer")
