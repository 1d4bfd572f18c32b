package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
// rate-limit header) that holds every request to the host, and a throttle:
// a wait the platform asked for that is longer than Config.MaxRetryWait,
// which stops the sources of the host instead of holding them.
type hostLimiter struct {
	host string
	lim  *rate.Limiter

	mu        sync.Mutex
	until     time.Time // no request before
	why       string    // what asked for until
	resume    time.Time // throttled until
	resumeWhy string
}

// get returns the host's limiter; when two sources ask for different rates
// for one host, the slower one wins.
func (h *hostLimits) get(host string, l rate.Limit) *hostLimiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	hl, ok := h.hosts[host]
	if !ok {
		hl = &hostLimiter{host: host, lim: rate.NewLimiter(l, 1)}
		h.hosts[host] = hl
	} else if l < hl.lim.Limit() {
		hl.lim.SetLimit(l)
	}
	return hl
}

// pause holds the host until t, for the reason why (it never shortens a
// longer pause).
func (hl *hostLimiter) pause(t time.Time, why string) {
	hl.mu.Lock()
	if t.After(hl.until) {
		hl.until, hl.why = t, why
	}
	hl.mu.Unlock()
}

// throttle records that the host asks for no request before t.
func (hl *hostLimiter) throttle(t time.Time, why string) {
	hl.mu.Lock()
	if t.After(hl.resume) {
		hl.resume, hl.resumeWhy = t, why
	}
	hl.mu.Unlock()
}

// longWait is the wait from which every wait is logged at info, with its
// reason: a crawl that goes quiet for longer must say why.
const longWait = 30 * time.Second

// wait returns when a request to the host may go: after its pause and a
// token of its rate. While the host is throttled for longer than maxWait
// it returns a *source.ThrottledError at once.
func (hl *hostLimiter) wait(ctx context.Context, maxWait time.Duration, log *slog.Logger) error {
	for {
		hl.mu.Lock()
		until, why, resume, resumeWhy := hl.until, hl.why, hl.resume, hl.resumeWhy
		hl.mu.Unlock()
		now := time.Now()
		if resume.Sub(now) > maxWait {
			return &source.ThrottledError{Host: hl.host, Until: resume, Reason: resumeWhy}
		}
		if resume.After(until) {
			until, why = resume, resumeWhy
		}
		d := until.Sub(now)
		if d <= 0 {
			break
		}
		logWait(log, hl.host, d, why)
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
	d := r.Delay()
	logWait(log, hl.host, d, fmt.Sprintf("the rate limit: one request every %s", time.Duration(float64(time.Second)/float64(hl.lim.Limit())).Round(time.Millisecond)))
	if err := sleep(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// logWait logs a wait of d before a request to host at info level when it
// is long (see longWait).
func logWait(log *slog.Logger, host string, d time.Duration, why string) {
	if d >= longWait {
		log.Info("waiting before the next request", "host", host, "wait", d.Round(time.Second),
			"until", time.Now().Add(d).UTC().Format(time.RFC3339), "reason", why)
	}
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
// exponential backoff, per-attempt timeout (body included: the body is
// read here), body size limit, metrics. A platform that asks for a wait
// longer than Config.MaxRetryWait stops the source (stop).
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
	// stop, when set, stops the source run with its cause (a
	// *source.ThrottledError).
	stop context.CancelCauseFunc
}

// RoundTrip implements http.RoundTripper. The response it returns has its
// whole body read (within the attempt's timeout, so that a body that
// drips is retried like any timeout).
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
		if err := hl.wait(ctx, t.cfg.MaxRetryWait, t.log); err != nil {
			var te *source.ThrottledError
			if errors.As(err, &te) {
				t.throttled(te)
			}
			return nil, err
		}
		resp, err := t.attempt(ctx, req)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, source.ErrTooLarge) || attempt >= t.cfg.MaxRetries {
				return nil, err
			}
			wait := min(bo.NextBackOff(), t.cfg.MaxRetryWait)
			t.retry(req, 0, wait, err)
			logWait(t.log, req.URL.Host, wait, fmt.Sprintf("retrying after: %v", err))
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		t.watchRateHeaders(hl, resp.Header)
		if !retryable(resp.StatusCode) {
			return resp, nil
		}
		ra := resp.Header.Get("Retry-After")
		wait, ok := retryAfter(ra, time.Now())
		if ok && wait > t.cfg.MaxRetryWait {
			// Longer than the crawler waits: stop the source now, and hold
			// the host (later polls, other sources) until then.
			why := fmt.Sprintf("HTTP %d with Retry-After: %s", resp.StatusCode, strings.TrimSpace(ra))
			until := time.Now().Add(wait)
			hl.throttle(until, why)
			te := &source.ThrottledError{Host: req.URL.Host, Until: until, Reason: why}
			t.throttled(te)
			return nil, te
		}
		if attempt >= t.cfg.MaxRetries {
			return resp, nil
		}
		if ok {
			// Honour the server's wait (capped), plus a little jitter so
			// that parallel clients do not return in lockstep, and hold
			// the whole host meanwhile: the next attempt waits for it.
			wait = min(wait+time.Duration(rand.Int64N(int64(wait/10)+1)), t.cfg.MaxRetryWait)
			hl.pause(time.Now().Add(wait), fmt.Sprintf("HTTP %d with Retry-After: %s", resp.StatusCode, strings.TrimSpace(ra)))
			t.retry(req, resp.StatusCode, wait, nil)
			continue
		}
		wait = min(bo.NextBackOff(), t.cfg.MaxRetryWait)
		t.retry(req, resp.StatusCode, wait, nil)
		logWait(t.log, req.URL.Host, wait, fmt.Sprintf("retrying after HTTP %d", resp.StatusCode))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends req once and reads its whole body, both within
// Config.Timeout: a response whose body drips past it is this request's
// timeout, like one that never starts. Each attempt is counted once, by
// its outcome.
func (t *transport) attempt(ctx context.Context, req *http.Request) (*http.Response, error) {
	plat := string(t.platform)
	actx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	t.m.inFlight.Inc()
	defer t.m.inFlight.Dec()
	t.stats.requests.Add(1)
	start := time.Now()
	resp, err := t.base.RoundTrip(req.WithContext(actx))
	t.m.duration.WithLabelValues(plat).Observe(time.Since(start).Seconds())
	if err == nil {
		var body []byte
		body, err = t.readBody(req, resp)
		if err == nil {
			t.m.requests.WithLabelValues(plat, outcome(resp.StatusCode)).Inc()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			return resp, nil
		}
	}
	timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	switch {
	case ctx.Err() != nil:
		t.m.requests.WithLabelValues(plat, outcomeCanceled).Inc()
		return nil, ctx.Err()
	case errors.Is(err, source.ErrTooLarge):
		t.m.requests.WithLabelValues(plat, outcomeTooLarge).Inc()
		return nil, err
	case timedOut:
		t.m.requests.WithLabelValues(plat, outcomeTimeout).Inc()
		// Not wrapped: a request's own timeout is a failure of this
		// request, and must not read as the run's deadline
		// (errors.Is(err, context.DeadlineExceeded) stops adapters).
		return nil, fmt.Errorf("%w: no answer within %s (%v)", ErrRequestTimeout, t.cfg.Timeout, err)
	}
	t.m.requests.WithLabelValues(plat, outcomeNetwork).Inc()
	return nil, err
}

// readBody reads resp's body (at most Config.MaxBodySize: a longer one is
// source.ErrTooLarge) and closes it.
func (t *transport) readBody(req *http.Request, resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	max := t.cfg.MaxBodySize
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%s %s: %w (%d bytes, the limit is %d)", req.Method, req.URL.Redacted(), source.ErrTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w (more than %d bytes)", req.URL.Redacted(), source.ErrTooLarge, max)
	}
	return b, nil
}

// throttled stops the source run: the platform asks for a longer wait than
// the crawler makes.
func (t *transport) throttled(te *source.ThrottledError) {
	if t.stop != nil {
		t.stop(te)
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
	hl.pause(until, fmt.Sprintf("the rate-limit budget is spent (X-Ratelimit-Remaining: %s, X-Ratelimit-Reset: %s)", rem, reset))
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

// ErrRequestTimeout is returned when one request got no whole answer
// within Config.Timeout (after the retries the policy allows): it is
// source.ErrTimeout, which deliberately does not wrap
// context.DeadlineExceeded ("the run is over").
var ErrRequestTimeout = source.ErrTimeout
