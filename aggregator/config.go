package aggregator

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/reactions-research/reactions/internal/storyshard"
	"github.com/reactions-research/reactions/reaction"
)

// Config configures an Aggregator. The zero value is ready to use: every
// field states its default, which validate fills in.
type Config struct {
	// Listen is the address the HTTP API listens on (used by the command,
	// not by New). Default "127.0.0.1:8081".
	Listen string

	// Shard makes this aggregator one of Shard.Count, owning the stories
	// whose hash mod Count is Shard.Index (package storyshard: ClickHouse's
	// cityHash64 of the story id); it answers the others with 421
	// Misdirected Request naming their owner. Default: the zero value,
	// every story.
	Shard storyshard.Shard

	// BatchSize is the most reactions written in one INSERT: the writer
	// merges the requests waiting for it up to this many, and splits a
	// larger request. A batch holds about 5 KB of memory per reaction
	// while it is written. Default 25,000.
	BatchSize int

	// MaxBodyBytes bounds a POST body, checked on the compressed and on
	// the decompressed stream (a gzip bomb stops there). Default 32 MiB.
	MaxBodyBytes int64
	// MaxLineBytes bounds one NDJSON line; a longer line is rejected and
	// the lines after it are read. Default 1 MiB.
	MaxLineBytes int
	// MaxStoryBytes bounds a story definition body. Default 1 MiB.
	MaxStoryBytes int64
	// MaxParallelParse bounds the request bodies parsed at once: a
	// request holds its slot, and up to MaxBodyBytes of decoded and
	// labelled reactions, from the moment its whole body has arrived (a
	// slow sender holds none) until the writer takes its reactions;
	// further requests wait. Default GOMAXPROCS, at least 2.
	MaxParallelParse int
	// BodyTimeout bounds reading one request body, from the first byte
	// to the last; a body that takes longer is answered 408 and its
	// connection closed. Default: the time MaxBodyBytes takes at 1 Mbit/s,
	// plus 30 s (4 min 58 s for 32 MiB).
	BodyTimeout time.Duration
	// BodyIdleTimeout bounds each wait for more of a body: a sender that
	// stops sending is answered 408 after this long, whatever BodyTimeout
	// allows. Default 30 s.
	BodyIdleTimeout time.Duration
	// MaxBufferedBytes bounds the memory of all request bodies being
	// received at once (each is read whole before it is parsed); a
	// request beyond it is answered 503 with Retry-After. Default
	// 4 × MaxBodyBytes.
	MaxBufferedBytes int64
	// StallAfter is how long every parse slot may stay held with none
	// given back before /healthz answers 503 "degraded": the requests
	// holding them are stuck (a classifier that hangs, a writer that
	// does not move). Default 30 s.
	StallAfter time.Duration

	// StateDir is the state directory. Default ".reactions".
	StateDir string
	// SpoolDir is the write-ahead log's directory. Default
	// <StateDir>/spool.
	SpoolDir string
	// SpoolMaxBytes bounds the spool in bytes: beyond it the API answers
	// 503 with Retry-After, and Send returns ErrSpoolFull. Requests that
	// had passed the check are still spooled, so the spool can exceed it
	// by a few requests. Default 1 GiB.
	SpoolMaxBytes int64
	// SpoolBufferBytes bounds the spool while ClickHouse is up and the
	// writer drains it (after an outage): requests that arrive meanwhile
	// are appended to the spool behind it and answered, up to this many
	// bytes of spool; beyond, they wait for the writer (backpressure).
	// Default 64 MiB.
	SpoolBufferBytes int64
	// SpoolSegmentBytes is the size of one spool segment file. Default 64 MiB.
	SpoolSegmentBytes int64

	// WriteTimeout bounds one ClickHouse write. Default 30 s.
	WriteTimeout time.Duration
	// RetryInitial and RetryMax are the first and the largest pause between
	// attempts to drain the spool into ClickHouse (exponential, with
	// jitter). Defaults 200 ms and 10 s.
	RetryInitial time.Duration
	RetryMax     time.Duration
	// RetryAfter is the Retry-After the API sends with a 503. Default 10 s.
	RetryAfter time.Duration

	// Token, when set, must be sent as "Authorization: Bearer <Token>" on
	// every /api/v1 request. Default: none (REACTIONS_INGEST_TOKEN in the
	// command).
	Token string
	// KeepAuthors accepts raw author handles. Without it every author must
	// be a pseudonym ("a_" and 16 hex digits, see reaction.Pseudonymizer)
	// or empty, and a reaction with anything else is rejected. Default false.
	KeepAuthors bool

	// ModelPath is a stance model file (stance.Load). Default: the
	// embedded model (stance.Default).
	ModelPath string
	// Labeler overrides ModelPath with a classifier of the caller's.
	Labeler Labeler

	// StoryLimit bounds the number of distinct stories the aggregator
	// accepts, and so the story label of reactions_total (at most
	// StoryLimit × 7 platforms × 3 stances series). Default 100.
	StoryLimit int
	// CountsCacheTTL is how long reactions_total reuses counts read from
	// ClickHouse when nothing was written in between. Default 2 s.
	CountsCacheTTL time.Duration

	// Registerer receives the metrics. Default prometheus.DefaultRegisterer.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics. Default: Registerer if it is a Gatherer,
	// else prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Logger receives structured logs (never author values). Default
	// slog.Default().
	Logger *slog.Logger
	// Version is reported by /healthz. Default "dev".
	Version string
}

// Labeler labels stance: *stance.Classifier implements it.
type Labeler interface {
	// Classify returns the stance of text toward subject and a score in [0, 1].
	Classify(text, subject string) (reaction.Stance, float64)
	// Version names the classifier (stored with every label).
	Version() string
}

// validate fills defaults and returns an error naming a bad field.
func (c *Config) validate() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8081"
	}
	if c.BatchSize == 0 {
		c.BatchSize = 25000
	}
	if c.BatchSize < 0 {
		return fmt.Errorf("batch size %d: must be positive", c.BatchSize)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 32 << 20
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max body bytes %d: must be at least 1024", c.MaxBodyBytes)
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = 1 << 20
	}
	if c.MaxLineBytes < 1024 {
		return fmt.Errorf("max line bytes %d: must be at least 1024", c.MaxLineBytes)
	}
	if c.MaxStoryBytes == 0 {
		c.MaxStoryBytes = 1 << 20
	}
	if c.MaxParallelParse <= 0 {
		c.MaxParallelParse = max(2, runtime.GOMAXPROCS(0))
	}
	if c.BodyTimeout <= 0 {
		const slowLink = 1e6 / 8 // bytes per second at 1 Mbit/s
		c.BodyTimeout = time.Duration(float64(c.MaxBodyBytes)/slowLink*float64(time.Second)) + 30*time.Second
	}
	if c.BodyIdleTimeout <= 0 {
		c.BodyIdleTimeout = 30 * time.Second
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = 4 * c.MaxBodyBytes
	}
	if c.MaxBufferedBytes < c.MaxBodyBytes {
		return fmt.Errorf("max buffered bytes %d: must be at least the max body bytes (%d)", c.MaxBufferedBytes, c.MaxBodyBytes)
	}
	if c.StallAfter <= 0 {
		c.StallAfter = 30 * time.Second
	}
	if c.StateDir == "" {
		c.StateDir = ".reactions"
	}
	if c.SpoolDir == "" {
		c.SpoolDir = filepath.Join(c.StateDir, "spool")
	}
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = 1 << 30
	}
	if c.SpoolMaxBytes < 0 {
		return fmt.Errorf("spool max bytes %d: must be positive", c.SpoolMaxBytes)
	}
	if c.SpoolBufferBytes <= 0 {
		c.SpoolBufferBytes = 64 << 20
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.RetryInitial <= 0 {
		c.RetryInitial = 200 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 10 * time.Second
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 10 * time.Second
	}
	if c.StoryLimit == 0 {
		c.StoryLimit = 100
	}
	if c.StoryLimit < 0 {
		return fmt.Errorf("story limit %d: must be positive", c.StoryLimit)
	}
	if c.CountsCacheTTL <= 0 {
		c.CountsCacheTTL = 2 * time.Second
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.Gatherer == nil {
		if g, ok := c.Registerer.(prometheus.Gatherer); ok {
			c.Gatherer = g
		} else {
			c.Gatherer = prometheus.DefaultGatherer
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return nil
}
