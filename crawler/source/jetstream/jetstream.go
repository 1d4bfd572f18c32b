// Package jetstream reads Bluesky's Jetstream: a websocket that sends every
// record change of the network as JSON, in time order, and replays from a
// time cursor (time_us, Unix microseconds) for as long as the instance
// keeps events (about 36 hours on Bluesky's public instances).
//
// Subscribe is the client: it connects, hands each event to a Handler,
// and on any failure reconnects from the last event's time_us after a
// capped exponential backoff with jitter, until its context ends. Messages
// are plain JSON by default (Jetstream's default); with a zstd dictionary
// it asks for compress=true and decodes each message with it (Jetstream
// compresses with a custom dictionary that the client must be given). The
// message shapes are in docs/platforms.md, "Bluesky".
package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/coder/websocket"
	"github.com/klauspost/compress/zstd"
)

// The kinds of event and the operations of a commit.
const (
	KindCommit   = "commit"
	KindIdentity = "identity"
	KindAccount  = "account"

	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
)

// Event is one Jetstream message: a commit (a record created, updated or
// deleted in DID's repository), an identity change (a new handle) or an
// account change (activated, deactivated, taken down).
type Event struct {
	DID string `json:"did"`
	// TimeUS is when Jetstream received the event, in Unix microseconds:
	// the stream's cursor.
	TimeUS int64   `json:"time_us"`
	Kind   string  `json:"kind"`
	Commit *Commit `json:"commit,omitempty"`
	// Identity and Account are kept as sent: the crawler only counts them.
	Identity json.RawMessage `json:"identity,omitempty"`
	Account  json.RawMessage `json:"account,omitempty"`
}

// Commit is the record change of a commit event. Record is absent from
// deletes.
type Commit struct {
	Rev        string          `json:"rev"`
	Operation  string          `json:"operation"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	CID        string          `json:"cid,omitempty"`
	Record     json.RawMessage `json:"record,omitempty"`
}

// Time returns TimeUS as a time.
func (e *Event) Time() time.Time { return time.UnixMicro(e.TimeUS).UTC() }

// Config says where and how to subscribe. Zero fields take the defaults
// their comments state.
type Config struct {
	// URL is the subscribe endpoint, ws:// or wss://, e.g.
	// wss://jetstream2.us-east.bsky.network/subscribe. Required. Query
	// parameters it carries are kept.
	URL string
	// Collections are sent as wantedCollections (the NSIDs of the records
	// wanted, e.g. app.bsky.feed.post). Default none: every collection.
	Collections []string
	// Dictionary, when set, is the zstd dictionary the instance compresses
	// with: the client then asks for compress=true and decodes every
	// message with it. Default none: plain JSON.
	Dictionary []byte
	// ReadLimit bounds one message, in bytes. Default 4 MiB.
	ReadLimit int64
	// RetryInitial is the first wait before a reconnect; it doubles per
	// failure with ±50% jitter up to MaxRetryWait, and starts over once a
	// connection has delivered an event. Default 1s.
	RetryInitial time.Duration
	// MaxRetryWait caps the reconnect wait. Default 1m.
	MaxRetryWait time.Duration
	// PingEvery is how often an idle connection is pinged; a ping not
	// answered within PingEvery drops the connection (and reconnects).
	// Default 30s.
	PingEvery time.Duration
	// HTTPClient makes the handshake. Default http.DefaultClient.
	HTTPClient *http.Client
	// UserAgent is sent with the handshake. Default none.
	UserAgent string
	// Log receives reconnects. Default slog.Default().
	Log *slog.Logger
}

// Handler receives what a subscription reads.
type Handler interface {
	// Event handles one event, in stream order. An error ends Subscribe
	// with it (after closing the connection).
	Event(ev *Event) error
	// Malformed is told about a message that cannot be read (not JSON of
	// an event, bad compression); the stream goes on.
	Malformed(err error)
	// Disconnected is told why a connection failed or ended before
	// Subscribe waits wait and reconnects.
	Disconnected(err error, wait time.Duration)
}

// ErrConfig marks a configuration that cannot work (a URL that is not
// ws(s), a dictionary zstd cannot load).
var ErrConfig = errors.New("jetstream: bad configuration")

func (c Config) withDefaults() (Config, error) {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || (u.Scheme != "ws" && u.Scheme != "wss") {
		return c, fmt.Errorf("%w: %q is not a ws(s) URL", ErrConfig, c.URL)
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 4 << 20
	}
	if c.RetryInitial <= 0 {
		c.RetryInitial = time.Second
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = time.Minute
	}
	if c.PingEvery <= 0 {
		c.PingEvery = 30 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c, nil
}

// SubscribeURL returns the URL a subscription from cursor (Unix
// microseconds; 0 for the live tail) connects to.
func (c Config) SubscribeURL(cursor int64) string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return c.URL
	}
	q := u.Query()
	q.Del("wantedCollections")
	for _, col := range c.Collections {
		q.Add("wantedCollections", col)
	}
	q.Del("cursor")
	if cursor > 0 {
		q.Set("cursor", strconv.FormatInt(cursor, 10))
	}
	q.Del("compress")
	if len(c.Dictionary) > 0 {
		q.Set("compress", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Subscribe reads the stream from cursor (Unix microseconds; 0 for the
// live tail) and hands every event to h, until ctx ends (it then returns
// nil, promptly: the connection is closed at once) or h.Event returns an
// error (returned). Any other failure (handshake, network, a dropped
// connection, an unanswered ping) is told to h.Disconnected and followed
// by a reconnect from the time_us of the last event handled, after a
// backoff: delivery is at least once, and the event at the cursor may
// come again.
func Subscribe(ctx context.Context, cfg Config, cursor int64, h Handler) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	var dec *zstd.Decoder
	if len(cfg.Dictionary) > 0 {
		dec, err = zstd.NewReader(nil, zstd.WithDecoderDicts(cfg.Dictionary), zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(uint64(cfg.ReadLimit)*16))
		if err != nil {
			return fmt.Errorf("%w: zstd dictionary: %v", ErrConfig, err)
		}
		defer dec.Close()
	}
	bo := &backoff.ExponentialBackOff{InitialInterval: cfg.RetryInitial, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: cfg.MaxRetryWait}
	bo.Reset()
	s := &session{cfg: cfg, h: h, dec: dec, cursor: cursor}
	for {
		delivered, err := s.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var he *handlerError
		if errors.As(err, &he) {
			return he.err
		}
		if delivered {
			bo.Reset()
		}
		wait := bo.NextBackOff()
		h.Disconnected(err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// handlerError is an error of Handler.Event, which ends Subscribe.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }

// session is a subscription across its connections.
type session struct {
	cfg    Config
	h      Handler
	dec    *zstd.Decoder
	cursor int64 // time_us of the last event handled (0: none yet)
	buf    []byte
}

// run makes one connection and reads it until it fails; delivered says
// whether it handed over at least one event.
func (s *session) run(ctx context.Context) (delivered bool, err error) {
	hdr := http.Header{}
	if s.cfg.UserAgent != "" {
		hdr.Set("User-Agent", s.cfg.UserAgent)
	}
	u := s.cfg.SubscribeURL(s.cursor)
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: s.cfg.HTTPClient, HTTPHeader: hdr})
	cancel()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", redact(u), err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(s.cfg.ReadLimit)

	// Pings run beside the reads (an answer is read by Read); one that
	// is not answered in time drops the connection.
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	pingErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(s.cfg.PingEvery)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
			}
			pctx, pcancel := context.WithTimeout(cctx, s.cfg.PingEvery)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && cctx.Err() == nil {
				pingErr <- fmt.Errorf("ping unanswered: %w", err)
				conn.CloseNow()
				return
			}
		}
	}()
	for {
		typ, msg, err := conn.Read(cctx)
		if err != nil {
			select {
			case perr := <-pingErr:
				err = perr
			default:
			}
			return delivered, fmt.Errorf("read from %s: %w", redact(s.cfg.URL), err)
		}
		ev, err := s.decode(typ, msg)
		if err != nil {
			s.h.Malformed(err)
			continue
		}
		if err := s.h.Event(ev); err != nil {
			conn.Close(websocket.StatusNormalClosure, "")
			return delivered, &handlerError{err}
		}
		delivered = true
		if ev.TimeUS > s.cursor {
			s.cursor = ev.TimeUS
		}
	}
}

// decode reads one message: JSON, or zstd-compressed JSON with a
// dictionary.
func (s *session) decode(typ websocket.MessageType, msg []byte) (*Event, error) {
	if s.dec != nil && typ == websocket.MessageBinary {
		var err error
		s.buf, err = s.dec.DecodeAll(msg, s.buf[:0])
		if err != nil {
			return nil, fmt.Errorf("decompress a message of %d bytes: %w", len(msg), err)
		}
		msg = s.buf
	}
	var ev Event
	if err := json.Unmarshal(msg, &ev); err != nil {
		return nil, fmt.Errorf("message is not a Jetstream event: %w", err)
	}
	if ev.TimeUS <= 0 || ev.Kind == "" {
		return nil, fmt.Errorf("message is not a Jetstream event: no time_us or kind in %s", clip(msg))
	}
	return &ev, nil
}

func clip(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// redact drops the query (a cursor changes every time) from a URL for
// messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.RawQuery = ""
	p.User = nil
	return p.String()
}
