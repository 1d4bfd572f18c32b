// Package aggregator is where reactions become data a researcher can
// trust: it takes reactions from crawlers (NDJSON over HTTP, or in process
// through Send), rejects bad records line by line, labels their stance
// toward the story's subject, and writes them to ClickHouse through one
// writer goroutine, with exact deduplication (store.Write), falling back
// to an fsynced spool (package spool) while ClickHouse cannot take them,
// so that nothing acknowledged is lost and nothing is counted twice.
// docs/architecture.md describes the write path, its guarantees and its
// metrics.
package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/reactions-research/reactions/aggregator/spool"
	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// ErrSpoolFull is returned (and answered as 503 with Retry-After) while the
// spool holds more than Config.SpoolMaxBytes: ClickHouse has been away for
// long; senders should back off and retry.
var ErrSpoolFull = errors.New("the aggregator's spool is full (ClickHouse has been unavailable for a while): retry later")

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("aggregator is closed")

// ErrUnknownStory is wrapped by errors about a story the aggregator does
// not know.
var ErrUnknownStory = errors.New("story is not registered")

// ErrStoryLimit is returned when registering one more story would exceed
// Config.StoryLimit.
var ErrStoryLimit = errors.New("story limit reached")

// Spool record kinds.
const (
	kindReactions byte = 1 // reactions in the binary form of codec.go
	kindStory     byte = 2 // JSON story.Story
	kindCrawlRun  byte = 3 // JSON reaction.CrawlRun
	kindReconcile byte = 4 // JSON reconcileRecord: after a write with an unknown outcome
)

// Aggregator labels, deduplicates and stores reactions. Build it with New,
// run its writer with Run, serve Handler, and stop it with Close.
type Aggregator struct {
	cfg     Config
	st      *store.Store
	labeler Labeler
	spool   *spool.Spool
	log     *slog.Logger
	m       *metrics

	storiesMu sync.RWMutex
	stories   map[string]*story.Story

	in    chan *job     // requests to the writer (writer.go); unbuffered
	kick  chan struct{} // a story or crawl run was spooled: the writer looks at the spool
	parse *slots        // request bodies being parsed (MaxParallelParse)

	buffered atomic.Int64  // bytes of request bodies being received (MaxBufferedBytes, body.go)
	held     atomic.Int64  // reactions the writer has taken and not yet written or spooled
	writeGen atomic.Uint64 // incremented after every write to ClickHouse (the counts' cache)
	outage   atomic.Bool   // a write failed since the spool was last empty

	mu      sync.Mutex
	running bool
	closing bool
	stop    chan struct{} // closed by Close: the writer finishes and returns
	done    chan struct{} // closed when the writer has returned
}

// job is one request's reactions, handed to the writer.
type job struct {
	rs  []reaction.Reaction
	res chan jobResult // buffered: the writer never blocks on it
}

// jobResult is what became of a request's reactions: accepted counts
// those written or spooled, duplicates those found identical to the
// stored state, spooled those of accepted that went to the spool (not yet
// compared with the stored state).
type jobResult struct {
	accepted, duplicates, spooled int
	err                           error
}

// New builds an aggregator on st: it loads the classifier, opens the spool
// (cutting a torn record left by a crash), and loads the registered stories
// from ClickHouse and from the spool.
func New(ctx context.Context, cfg Config, st *store.Store) (*Aggregator, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("aggregator config: %w", err)
	}
	a := &Aggregator{
		cfg: cfg, st: st, log: cfg.Logger, stories: map[string]*story.Story{},
		in: make(chan *job), kick: make(chan struct{}, 1), parse: newSlots(cfg.MaxParallelParse),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	switch {
	case cfg.Labeler != nil:
		a.labeler = cfg.Labeler
	case cfg.ModelPath != "":
		c, err := stance.Load(cfg.ModelPath)
		if err != nil {
			return nil, err
		}
		a.labeler = c
	default:
		a.labeler = stance.Default()
	}
	sp, info, err := spool.Open(cfg.SpoolDir, spool.Options{SegmentBytes: cfg.SpoolSegmentBytes})
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	a.spool = sp
	if info.TornBytes > 0 {
		a.log.Warn("spool: removed an incomplete record left by a crash (it was never acknowledged)",
			"dir", cfg.SpoolDir, "bytes", info.TornBytes)
	}
	if info.Records > 0 {
		a.log.Info("spool: replaying records from an earlier run", "records", info.Records, "bytes", info.Bytes)
	}
	recs, err := st.Stories(ctx)
	if err != nil {
		sp.Close()
		return nil, fmt.Errorf("load stories: %w", err)
	}
	for i := range recs {
		s := recs[i].Story
		a.stories[s.ID] = &s
	}
	// Stories registered while ClickHouse was away are newer than the stored ones.
	err = sp.Each(func(r spool.Record) error {
		if r.Kind != kindStory {
			return nil
		}
		var s story.Story
		if err := json.Unmarshal(r.Data, &s); err != nil {
			return fmt.Errorf("spooled story does not decode: %w", err)
		}
		a.stories[s.ID] = &s
		return nil
	})
	if err != nil {
		sp.Close()
		return nil, fmt.Errorf("read spool: %w", err)
	}
	if len(a.stories) > cfg.StoryLimit {
		a.log.Warn("more stories are stored than the story limit allows; no new story will be accepted",
			"stories", len(a.stories), "limit", cfg.StoryLimit)
	}
	if a.m, err = newMetrics(cfg.Registerer, a); err != nil {
		sp.Close()
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return a, nil
}

// Labeler returns the classifier in use.
func (a *Aggregator) Labeler() Labeler { return a.labeler }

// Close stops the writer after it has written (or spooled) every reaction
// it had taken, waiting at most until ctx ends, and closes the spool.
// Reactions in the spool stay there for the next start. The store is not
// closed.
func (a *Aggregator) Close(ctx context.Context) error {
	a.mu.Lock()
	first := !a.closing
	a.closing = true
	running := a.running
	if first {
		close(a.stop)
		if !running {
			close(a.done)
		}
	}
	a.mu.Unlock()
	select {
	case <-a.done:
	case <-ctx.Done():
		return fmt.Errorf("close aggregator: %w", ctx.Err())
	}
	return a.spool.Close()
}

func (a *Aggregator) hasStory(id string) bool {
	a.storiesMu.RLock()
	defer a.storiesMu.RUnlock()
	_, ok := a.stories[id]
	return ok
}

// Story returns a registered story, or nil.
func (a *Aggregator) Story(id string) *story.Story {
	a.storiesMu.RLock()
	defer a.storiesMu.RUnlock()
	return a.stories[id]
}

func (a *Aggregator) storyIDs() []string {
	a.storiesMu.RLock()
	defer a.storiesMu.RUnlock()
	ids := make([]string, 0, len(a.stories))
	for id := range a.stories {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// PutStory registers or updates a story definition (the crawler does this
// when it starts), so that reactions for it are accepted and labelled
// against its subject. It is stored in ClickHouse, or spooled when
// ClickHouse is unavailable.
func (a *Aggregator) PutStory(ctx context.Context, s *story.Story) error {
	_, err := a.putStory(ctx, s)
	return err
}

func (a *Aggregator) putStory(ctx context.Context, s *story.Story) (where string, err error) {
	if s == nil {
		return "", errors.New("story is nil")
	}
	c := *s
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("story %q: %w", s.ID, err)
	}
	a.storiesMu.Lock()
	defer a.storiesMu.Unlock()
	if _, ok := a.stories[c.ID]; !ok && len(a.stories) >= a.cfg.StoryLimit {
		return "", fmt.Errorf("%w: the aggregator keeps at most %d stories (its story limit, which also bounds the "+
			"reactions_total metric); raise it with --story-limit", ErrStoryLimit, a.cfg.StoryLimit)
	}
	where, err = a.storeOrSpool(ctx, kindStory, &c, func(ctx context.Context) error { return a.st.PutStory(ctx, &c) })
	if err != nil {
		return "", err
	}
	a.stories[c.ID] = &c
	a.log.Info("story registered", "story", c.ID, "stored", where)
	return where, nil
}

// PutCrawlRun stores the latest state of a crawl run (the completeness
// record), or spools it when ClickHouse is unavailable.
func (a *Aggregator) PutCrawlRun(ctx context.Context, run reaction.CrawlRun) error {
	_, err := a.putCrawlRun(ctx, run)
	return err
}

func (a *Aggregator) putCrawlRun(ctx context.Context, run reaction.CrawlRun) (string, error) {
	switch {
	case !reaction.ValidStoryID(run.Story):
		return "", fmt.Errorf("crawl run: story %q is not a story id ([a-z0-9-]+)", run.Story)
	case !a.hasStory(run.Story):
		return "", fmt.Errorf("crawl run: %w: %q: PUT /api/v1/stories/%s first", ErrUnknownStory, run.Story, run.Story)
	case run.Source == "":
		return "", errors.New("crawl run: source: missing")
	case run.RunID == "":
		return "", errors.New("crawl run: run_id: missing")
	case !run.Platform.Valid():
		return "", fmt.Errorf("crawl run: platform %q is not one of %v", run.Platform, reaction.Platforms)
	}
	return a.storeOrSpool(ctx, kindCrawlRun, run, func(ctx context.Context) error { return a.st.PutCrawlRun(ctx, run) })
}

// storeOrSpool writes a small record directly when the spool is empty and
// ClickHouse takes it, and otherwise appends it to the spool (in order with
// the reactions before it).
func (a *Aggregator) storeOrSpool(ctx context.Context, kind byte, v any, direct func(context.Context) error) (string, error) {
	if a.spool.Records() == 0 {
		wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
		err := direct(wctx)
		cancel()
		if err == nil {
			return "clickhouse", nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
		a.log.Warn("ClickHouse write failed; spooling", "err", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode spool record: %w", err)
	}
	if err := a.spool.Append(kind, b); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	select {
	case a.kick <- struct{}{}:
	default:
	}
	return "spool", nil
}

// Send checks, labels and stores reactions (the in-process sink of
// "reactions crawl"): bad ones are listed in the result's Rejected with
// their 1-based index, the others go to the writer. It returns once they
// are safe (written or spooled); the error is nil only then. Accepted
// counts reactions written or spooled, Duplicates those found identical
// to the stored state, and Spooled those of Accepted that went to the
// spool: they are deduplicated when the spool is drained, so a duplicate
// among them is counted as accepted here.
func (a *Aggregator) Send(ctx context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	res := reaction.IngestResult{Rejected: []reaction.Rejection{}}
	good := make([]reaction.Reaction, 0, len(rs))
	a.m.received.Add(float64(len(rs)))
	label := a.labeller()
	for i := range rs {
		r := rs[i]
		fixed, e := a.check(&r, nil)
		if e != nil {
			a.m.rejected.WithLabelValues(e.reason).Inc()
			res.Rejected = append(res.Rejected, reaction.Rejection{Line: i + 1, Error: e.msg})
			continue
		}
		a.repaired(&res, fixed)
		label(&r)
		good = append(good, r)
	}
	r, err := a.submit(ctx, good, nil)
	res.Accepted, res.Duplicates, res.Spooled = r.accepted, r.duplicates, r.spooled
	if err == nil {
		a.countRepaired(&res)
	}
	return res, err
}

// repaired counts in the answer the side fields repaired in one reaction.
func (a *Aggregator) repaired(res *reaction.IngestResult, fields []string) {
	if len(fields) == 0 {
		return
	}
	if res.Repaired == nil {
		res.Repaired = map[string]int{}
	}
	for _, f := range fields {
		res.Repaired[f]++
	}
}

// countRepaired adds the repaired fields of an acknowledged answer to the
// metrics (an answer that fails is retried, and counted then).
func (a *Aggregator) countRepaired(res *reaction.IngestResult) {
	for f, n := range res.Repaired {
		a.m.repaired.WithLabelValues(f).Add(float64(n))
	}
}

// submit hands a request's reactions to the writer and returns once they
// are safe (written or spooled), with the writer's answer. taken, if not
// nil, is called once the writer has taken them (or they were refused):
// the request then no longer needs its parse slot. The result's err is
// always nil: see the error.
func (a *Aggregator) submit(ctx context.Context, rs []reaction.Reaction, taken func()) (jobResult, error) {
	j, err := a.handOver(ctx, rs)
	if taken != nil {
		taken()
	}
	if err != nil || j == nil {
		return jobResult{}, err
	}
	select {
	case r := <-j.res:
		err, r.err = r.err, nil
		return r, err
	case <-ctx.Done():
		// The writer still writes them; the sender will resend, and the
		// resent ones are duplicates.
		return jobResult{}, ctx.Err()
	}
}

// handOver gives rs to the writer, waiting while it is busy; nil when
// there is nothing to write.
func (a *Aggregator) handOver(ctx context.Context, rs []reaction.Reaction) (*job, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	if a.SpoolFull() {
		a.m.backpressure.Inc()
		return nil, ErrSpoolFull
	}
	j := &job{rs: rs, res: make(chan jobResult, 1)}
	select {
	case a.in <- j:
		return j, nil
	case <-a.stop:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SpoolFull reports whether the spool is over Config.SpoolMaxBytes.
func (a *Aggregator) SpoolFull() bool { return a.spool.Bytes() >= a.cfg.SpoolMaxBytes }

// labeller returns the function that labels a reaction's stance toward
// its story's subject, with the subjects of the stories registered now.
// Every reaction is labelled before it goes to the writer, by the
// request's goroutine: classification runs in parallel with ClickHouse
// writes, and store.Write takes only labelled reactions.
func (a *Aggregator) labeller() func(*reaction.Reaction) {
	a.storiesMu.RLock()
	subjects := make(map[string]string, len(a.stories))
	for id, s := range a.stories {
		subjects[id] = s.SubjectText()
	}
	a.storiesMu.RUnlock()
	version := a.labeler.Version()
	return func(r *reaction.Reaction) {
		r.Stance, r.StanceScore = a.labeler.Classify(r.Text, subjects[r.Story])
		r.Classifier = version
	}
}

// Reclassify relabels every stored reaction of a story with the current
// classifier (store.Relabel): counts follow. It returns how many reactions
// were read and how many changed. Writes wait meanwhile.
func (a *Aggregator) Reclassify(ctx context.Context, storyID string) (read, changed int, err error) {
	if !a.hasStory(storyID) {
		return 0, 0, fmt.Errorf("%w: %q", ErrUnknownStory, storyID)
	}
	defer a.writeGen.Add(1)
	// No Reconcile here: it must not run beside the writer, which
	// reconciles after interrupted writes itself.
	return relabel(ctx, a.st, a.labeler, a.Story(storyID))
}

// Reclassify relabels every stored reaction of s with lab (store.Relabel),
// after repairing the story's views (Reconcile), which an earlier
// interrupted write or reclassification may have left behind. Exact counts
// need one writer per database: run it in the aggregator
// (Aggregator.Reclassify) or while no aggregator runs. If it fails half-way
// (ClickHouse died), run it again.
func Reclassify(ctx context.Context, st *store.Store, lab Labeler, s *story.Story) (read, changed int, err error) {
	if _, err := Reconcile(ctx, st, s.ID, nil); err != nil {
		return 0, 0, err
	}
	return relabel(ctx, st, lab, s)
}

// relabelChunk is how many reactions relabel reads, labels and writes at a
// time.
const relabelChunk = 5000

func relabel(ctx context.Context, st *store.Store, lab Labeler, s *story.Story) (read, changed int, err error) {
	// The ids first: writing while reading the story would read our own
	// writes.
	var ids []string
	if err := st.CurrentReactions(ctx, s.ID, func(r *reaction.Reaction) error {
		ids = append(ids, r.ID)
		return nil
	}); err != nil {
		return 0, 0, err
	}
	subject, version := s.SubjectText(), lab.Version()
	for start := 0; start < len(ids); start += relabelChunk {
		rs, err := st.StoredReactions(ctx, s.ID, ids[start:min(start+relabelChunk, len(ids))])
		if err != nil {
			return read, changed, err
		}
		read += len(rs)
		for i := range rs {
			rs[i].Stance, rs[i].StanceScore = lab.Classify(rs[i].Text, subject)
			rs[i].Classifier = version
		}
		n, err := st.Relabel(ctx, rs)
		changed += n
		if err != nil {
			return read, changed, err
		}
	}
	return read, changed, nil
}
