package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Sink receives what the crawler collects: the aggregator, over HTTP
// (NewHTTPSink) or in-process.
type Sink interface {
	// PutStory registers or updates the story definition.
	PutStory(ctx context.Context, s *story.Story) error
	// Send hands over a batch. A nil error means the batch was acknowledged
	// (stored or spooled durably); rejected lines are listed in the result.
	Send(ctx context.Context, rs []reaction.Reaction) (reaction.IngestResult, error)
	// PutCrawlRun records a crawl run (at its start and at its end).
	PutCrawlRun(ctx context.Context, run reaction.CrawlRun) error
}

// ErrPermanent marks a sink error that retrying cannot fix (a 4xx answer
// other than 429).
var ErrPermanent = errors.New("permanent sink error")

// HTTPSink sends to an aggregator's ingest API:
//
//	PUT  {base}/api/v1/stories/{id}   JSON story
//	POST {base}/api/v1/reactions      gzip NDJSON, answered with an IngestResult
//	PUT  {base}/api/v1/crawls         JSON CrawlRun
//
// Network errors, 5xx, 429 and 503 are retried (after Retry-After when
// given, else with capped exponential backoff and jitter) until the
// aggregator answers or the context ends; other 4xx are permanent errors
// naming the status and the body.
type HTTPSink struct {
	base   string
	token  string
	client *http.Client
	// RetryInitial is the first backoff wait (default 500ms); MaxWait caps
	// every wait (default 30s).
	RetryInitial, MaxWait time.Duration
}

// NewHTTPSink returns a sink posting to the aggregator at baseURL with the
// bearer token (may be empty).
func NewHTTPSink(baseURL, token string) *HTTPSink {
	return &HTTPSink{
		base:         strings.TrimRight(baseURL, "/"),
		token:        token,
		client:       &http.Client{Timeout: 2 * time.Minute},
		RetryInitial: 500 * time.Millisecond,
		MaxWait:      30 * time.Second,
	}
}

// PutStory implements Sink.
func (h *HTTPSink) PutStory(ctx context.Context, s *story.Story) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode story: %w", err)
	}
	_, err = h.do(ctx, http.MethodPut, "/api/v1/stories/"+url.PathEscape(s.ID), "application/json", false, b)
	return err
}

// PutCrawlRun implements Sink.
func (h *HTTPSink) PutCrawlRun(ctx context.Context, run reaction.CrawlRun) error {
	b, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encode crawl run: %w", err)
	}
	_, err = h.do(ctx, http.MethodPut, "/api/v1/crawls", "application/json", false, b)
	return err
}

// Send implements Sink.
func (h *HTTPSink) Send(ctx context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			return reaction.IngestResult{}, fmt.Errorf("encode reaction: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return reaction.IngestResult{}, err
	}
	body, err := h.do(ctx, http.MethodPost, "/api/v1/reactions", "application/x-ndjson", true, buf.Bytes())
	if err != nil {
		return reaction.IngestResult{}, err
	}
	var res reaction.IngestResult
	if err := json.Unmarshal(body, &res); err != nil {
		return reaction.IngestResult{}, fmt.Errorf("aggregator answer is not an ingest result: %w", err)
	}
	return res, nil
}

func (h *HTTPSink) do(ctx context.Context, method, path, contentType string, gz bool, body []byte) ([]byte, error) {
	bo := &backoff.ExponentialBackOff{InitialInterval: h.RetryInitial, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: h.MaxWait}
	bo.Reset()
	u := h.base + path
	for {
		b, wait, err := h.once(ctx, method, u, contentType, gz, body)
		if err == nil || errors.Is(err, ErrPermanent) {
			return b, err
		}
		if wait <= 0 {
			wait = bo.NextBackOff()
		}
		wait = min(wait, h.MaxWait)
		if serr := sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%s %s: gave up: %w (last error: %v)", method, u, serr, err)
		}
	}
}

// once makes one attempt; a non-permanent error may be retried after wait
// (0: use the backoff).
func (h *HTTPSink) once(ctx context.Context, method, u, contentType string, gz bool, body []byte) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", contentType)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("User-Agent", DefaultUserAgent(""))
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: read answer: %w", method, u, err)
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return b, 0, nil
	case retryable(resp.StatusCode):
		wait, _ := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, wait, fmt.Errorf("%s %s: aggregator answered %s", method, u, resp.Status)
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return nil, 0, fmt.Errorf("%w: %s %s: aggregator answered %s: %s", ErrPermanent, method, u, resp.Status, msg)
}
