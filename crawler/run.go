package crawler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Mode says whether a crawl runs once or keeps polling.
type Mode int

const (
	// Once collects everything currently reachable and returns.
	Once Mode = iota
	// Follow polls every story.Poll until the context is cancelled.
	Follow
)

// Run crawls every source of st and sends what it finds to sink. In Once
// mode it runs each source once; in Follow mode it polls every st.Poll until
// ctx is cancelled. It returns the runs of the last poll (one per source);
// each run is also written with sink.PutCrawlRun at its start and its end.
//
// Run returns an error only when the crawl cannot start (the state is
// locked by another crawl, the sink refuses the story); what goes wrong
// within a source is in its run's Status and Message. When ctx is cancelled
// (Ctrl-C) the adapters stop, everything already fetched is flushed to the
// sink within Config.FlushTimeout, and the runs end as "stopped".
func Run(ctx context.Context, cfg Config, st *story.Story, sink Sink, mode Mode) ([]reaction.CrawlRun, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if st == nil || len(st.Sources) == 0 {
		return nil, errors.New("crawl: the story has no sources")
	}
	state, err := openState(cfg.StateDir, st.ID)
	if err != nil {
		return nil, err
	}
	defer state.close()
	c := &crawl{cfg: &cfg, st: st, sink: sink, state: state, m: newMetrics(cfg.Registerer), hosts: newHostLimits()}
	if err := sink.PutStory(ctx, st); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("crawl stopped before it started: %w", ctx.Err())
		}
		return nil, fmt.Errorf("register story with the sink: %w", err)
	}
	var streams []*streamRun // sources followed live, after the first poll
	var runs []reaction.CrawlRun
	for first := true; ; first = false {
		since := cfg.Now()
		runs = c.poll(ctx, streams)
		if first && mode == Follow && ctx.Err() == nil {
			streams = c.startStreams(ctx, since)
		}
		for _, s := range streams {
			if s != nil && runs[s.index].RunID == "" { // not the first poll's walk
				// Each poll records the live runs' progress too.
				p := s.sr.progress()
				s.sr.putRun(ctx, p)
				runs[s.index] = p
			}
		}
		if cfg.OnPoll != nil {
			cfg.OnPoll(runs)
		}
		if mode == Once || ctx.Err() != nil {
			break
		}
		if sleep(ctx, time.Duration(st.Poll)) != nil {
			break
		}
	}
	for _, s := range streams {
		if s != nil {
			<-s.done
			runs[s.index] = s.final
		}
	}
	return runs, nil
}

// crawl is one Run.
type crawl struct {
	cfg   *Config
	st    *story.Story
	sink  Sink
	state *storyState
	m     *metrics
	hosts *hostLimits
}

// poll runs every source once, in parallel (at most Config.Parallel at a
// time), through one batcher, except the sources that streams follow live
// (their runs are left zero).
func (c *crawl) poll(ctx context.Context, streams []*streamRun) []reaction.CrawlRun {
	runID := newRunID(c.cfg.Now())
	b := newBatcher(c)
	go b.loop(ctx)

	out := make([]reaction.CrawlRun, len(c.st.Sources))
	sem := make(chan struct{}, c.cfg.Parallel)
	var wg sync.WaitGroup
	for i := range c.st.Sources {
		if i < len(streams) && streams[i] != nil {
			continue
		}
		sr := c.newSourceRun(i, runID, b)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				sr.collect(ctx)
				<-sem
			case <-ctx.Done(): // never started: recorded as stopped
			}
			// The run's final status is settled now, as the source ends
			// (a later Ctrl-C does not change it), and recorded once what
			// it sent has been acknowledged or refused.
			sr.interrupted = ctx.Err() != nil
			b.waitSent(b.lastSeq())
			out[i] = sr.finish(ctx)
		}()
	}
	wg.Wait()
	b.close()
	<-b.done
	if b.isFrozen() {
		c.state.dropPendingCursors(b)
	} else if err := c.state.commitCursors(b, b.watermark.Load()); err != nil {
		c.cfg.Log.Error("could not save the crawl cursors; the next run re-collects from the previous ones", "story", c.st.ID, "err", err)
	}
	return out
}

func newRunID(now time.Time) string {
	var r [3]byte
	rand.Read(r[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:])
}

// sourceRun is one run of one source.
type sourceRun struct {
	c     *crawl
	src   *story.Source
	b     *batcher
	stats *runStats
	runMu sync.Mutex // guards run: a live run's progress is read while it goes on
	run   reaction.CrawlRun
	log   *slog.Logger

	started    bool
	noAdapter  bool
	collectErr error
	panicked   bool
	// interrupted: the run's context was done when the source ended
	// (Ctrl-C before it could finish).
	interrupted bool
	// throttled is set when the platform asked for a longer wait than the
	// crawler makes, which stopped the source.
	throttled *source.ThrottledError
	// warnings limits the source's repeated warnings in the log.
	warnings *repeatLimiter

	memMu sync.Mutex
	mem   map[string]string // cursors set during this run

	// streaming: this run follows the platform live (source.Streamer),
	// and counts its events by outcome.
	streaming bool
	events    eventCounts

	// found are the threads the source followed from the story's URLs,
	// by thread id (the first way each was found is kept); gaps the
	// periods it could not cover.
	foundMu sync.Mutex
	found   map[string]reaction.Discovery
	gaps    []reaction.Gap
}

func (c *crawl) newSourceRun(i int, runID string, b *batcher) *sourceRun {
	src := &c.st.Sources[i]
	warnings := newRepeatLimiter(c.cfg.Log.With("story", c.st.ID, "source", src.Name, "platform", string(src.Platform)).Handler())
	return &sourceRun{
		c: c, src: src, b: b, stats: newRunStats(), mem: map[string]string{}, warnings: warnings,
		log: slog.New(warnings.handler()),
		run: reaction.CrawlRun{
			Story: c.st.ID, Source: src.Name, Platform: src.Platform, RunID: runID,
			Status: reaction.RunRunning,
		},
	}
}

// collect runs the source's adapter once (a poll).
func (sr *sourceRun) collect(runCtx context.Context) {
	sr.runAdapter(runCtx, func(ctx context.Context, a source.Adapter, env *source.Env) error { return a.Collect(ctx, env) })
}

// runAdapter runs do with the source's adapter, on a context of its own: a
// platform that asks for a longer wait than the crawler makes stops this
// source only (see transport.throttled).
func (sr *sourceRun) runAdapter(runCtx context.Context, do func(context.Context, source.Adapter, *source.Env) error) {
	ctx, stop := context.WithCancelCause(runCtx)
	defer func() {
		var te *source.ThrottledError
		if errors.As(context.Cause(ctx), &te) {
			sr.throttled = te
		}
		stop(nil)
	}()
	c := sr.c
	sr.started = true
	sr.runMu.Lock()
	sr.run.Started = c.cfg.Now().UTC()
	run := sr.run
	sr.runMu.Unlock()
	sr.putRun(ctx, run)
	c.m.observeRun(run)

	adapter, ok := c.cfg.lookup(sr.src.Platform)
	if !ok {
		sr.noAdapter = true
		return
	}
	limit, err := c.cfg.limitFor(sr.src)
	if err != nil { // validated with the story; kept as a guard
		sr.collectErr = err
		return
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	// The run's keep-alive connections are closed when it ends, rather than
	// held open to the site until the idle timeout.
	defer base.CloseIdleConnections()
	t := &transport{
		base: base, platform: sr.src.Platform, limit: limit,
		hosts: c.hosts, cfg: c.cfg, m: c.m, stats: sr.stats, log: sr.log, ctx: ctx, stop: stop,
	}
	env := &source.Env{
		Story:     c.st,
		Source:    sr.src,
		Fetch:     newFetcher(ctx, c.cfg, t, sr.stats, c.m),
		Emit:      func(r reaction.Reaction) error { return sr.emit(ctx, r) },
		Authors:   c.cfg.Authors,
		State:     sourceState{sr},
		Stats:     statsView{sr},
		Log:       sr.log,
		Now:       c.cfg.Now,
		UserAgent: c.cfg.UserAgent,
		Known:     c.state.known,
		OnStream:  sr.streamed,
		OnDiscover: func(d reaction.Discovery) {
			sr.foundMu.Lock()
			defer sr.foundMu.Unlock()
			if sr.found == nil {
				sr.found = map[string]reaction.Discovery{}
			}
			if _, ok := sr.found[d.Thread]; !ok {
				sr.found[d.Thread] = d
			}
		},
		OnGap: func(g reaction.Gap) {
			sr.foundMu.Lock()
			sr.gaps = append(sr.gaps, g)
			sr.foundMu.Unlock()
			if sr.streaming {
				// A live run lasts: record the gap now, not at its end.
				sr.putRun(ctx, sr.progress())
			}
		},

		Credentials: c.cfg.Credentials,
	}
	defer func() {
		if p := recover(); p != nil {
			sr.panicked = true
			sr.collectErr = fmt.Errorf("the %s adapter crashed: %v", sr.src.Platform, p)
			sr.log.Error("adapter crashed", "panic", p)
		}
	}()
	sr.collectErr = do(ctx, adapter, env)
}

// emit is Env.Emit: fill, check, skip what was already sent unchanged, and
// queue the rest for the sink. It returns an error only to say "stop" (the
// context is done); the reaction handed over is kept even then. Only a bad
// identifying field drops a reaction (an "invalid" error); a bad side field
// is repaired (reaction.Check), counted in the run's Repaired and in
// reactions_crawler_repaired_total, and the reaction is sent.
func (sr *sourceRun) emit(ctx context.Context, r reaction.Reaction) error {
	c := sr.c
	r.Story = c.st.ID
	r.FirstSeen = c.cfg.Now()
	r.Normalize()
	fixed, err := r.Check()
	if err != nil {
		sr.stats.error(sr, "invalid", err)
		return ctx.Err()
	}
	if len(fixed) > 0 {
		sr.stats.repaired(fixed)
		for _, f := range fixed {
			c.m.repaired.WithLabelValues(string(sr.src.Platform), f).Inc()
		}
		sr.log.Debug("side fields repaired", "id", r.ID, "fields", fixed)
	}
	if r.Platform != sr.src.Platform {
		sr.stats.error(sr, "invalid", fmt.Errorf("%w: platform: %q from a %s source", reaction.ErrInvalid, r.Platform, sr.src.Platform))
		return ctx.Err()
	}
	sr.stats.items.Add(1)
	d := digest(&r)
	k := idKey(r.ID)

	b := sr.b
	b.mu.Lock()
	defer b.mu.Unlock()
	// The batcher takes its queue until every source is done, so this
	// never waits forever; while the sink is slow it waits (backpressure).
	b.waitSpace()
	s := c.state
	s.mu.Lock()
	prev, existed := s.sent[k]
	if existed && prev.digest == d {
		s.mu.Unlock()
		return ctx.Err()
	}
	if existed && prev.firstSeen != 0 {
		r.FirstSeen = time.Unix(int64(prev.firstSeen), 0).UTC()
	}
	e := sentEntry{digest: d, firstSeen: unixSeconds(r.FirstSeen)}
	s.sent[k] = e
	s.mu.Unlock()
	b.seq++
	b.push(pendingItem{r: r, sr: sr, source: sr.src.Name, seq: b.seq, entry: e, prev: prev, existed: existed})
	return ctx.Err()
}

// finish computes the run's final counts, status and message, records it
// and returns it.
func (sr *sourceRun) finish(ctx context.Context) reaction.CrawlRun {
	c := sr.c
	sr.runMu.Lock()
	run := sr.run
	sr.runMu.Unlock()
	r := &run
	defer func() {
		sr.runMu.Lock()
		sr.run = run
		sr.runMu.Unlock()
	}()
	if !sr.started {
		r.Started = c.cfg.Now().UTC()
	}
	r.Finished = c.cfg.Now().UTC()
	sr.fillCounts(r)
	s := sr.stats
	before := c.state.collectedBefore(sr.src.Name) - r.NewItems

	// Only the run's own end (Ctrl-C, the caller's context) stops a
	// source; what its adapter returned then is that cancellation.
	stopped := sr.interrupted && (sr.collectErr == nil || errors.Is(sr.collectErr, context.Canceled) ||
		errors.Is(sr.collectErr, context.DeadlineExceeded) || errors.Is(sr.collectErr, ctx.Err()))
	loop, truncated := s.firstError("loop"), s.firstError("truncated")
	switch {
	case sr.noAdapter:
		r.Status = reaction.RunFailed
		r.Message = fmt.Sprintf("No %s adapter is built into this binary, so nothing was collected.", sr.src.Platform)
	case sr.throttled != nil:
		te := sr.throttled
		r.Status = reaction.RunThrottled
		r.Message = fmt.Sprintf("%s asks us to wait until %s (%s), longer than the crawler waits (%s): stopped after %s (%d new or changed sent); what was collected is kept, the next run resumes from where this one stopped, and --follow polls this source again after that time.",
			displayName(sr.src.Platform), source.ResumeTime(te.Until), te.Reason, c.cfg.MaxRetryWait, count(r.Items, "reaction"), r.NewItems)
	case sr.streaming && stopped && r.Errors == 0:
		r.Status = reaction.RunOK
		r.Message = sr.streamSummary(r)
	case sr.streaming && stopped:
		r.Status = reaction.RunWarning
		r.Message = fmt.Sprintf("%s It met %d %s (%s): see the log.", sr.streamSummary(r), r.Errors, plural(r.Errors, "error", "errors"), kindList(r.ErrorKinds))
	case stopped:
		r.Status = reaction.RunStopped
		r.Message = fmt.Sprintf("Interrupted after %d reactions (%d new or changed sent); everything fetched was kept and the next run resumes from here.", r.Items, r.NewItems)
	case errors.Is(sr.collectErr, source.ErrBlocked) || (r.Blocked > 0 && r.Items == 0):
		r.Status = reaction.RunBlocked
		r.Message = fmt.Sprintf("%s refused access (HTTP 401/403): it now requires authentication or blocks this crawler, so it was not retried.", sr.src.Platform)
		if why := s.blockedReason(); why != "" {
			r.Message = fmt.Sprintf("%s refused access, so it was not retried: %s.", sr.src.Platform, why)
		}
	case sr.collectErr != nil:
		r.Status = reaction.RunFailed
		r.Message = fmt.Sprintf("Stopped mid-way after %d reactions: %s.", r.Items, strings.TrimSuffix(oneLine(sr.collectErr.Error()), "."))
	case loop != nil:
		r.Status = reaction.RunLoop
		r.Message = fmt.Sprintf("The platform paged in a circle, so that listing was stopped and what lies beyond the loop is missing: %s%s. Collected %s (%d new or changed)%s.",
			strings.TrimSuffix(oneLine(loop.Error()), "."), moreLikeIt(r.ErrorKinds["loop"]), count(r.Items, "reaction"), r.NewItems, otherErrors(r.ErrorKinds, "loop"))
	case truncated != nil:
		r.Status = reaction.RunTruncated
		r.Message = fmt.Sprintf("Cut short, so reactions are missing: %s%s. Collected %s (%d new or changed)%s.",
			strings.TrimSuffix(oneLine(truncated.Error()), "."), moreLikeIt(r.ErrorKinds["truncated"]), count(r.Items, "reaction"), r.NewItems, otherErrors(r.ErrorKinds, "truncated"))
	case r.Items == 0 && before <= 0 && r.Errors > 0:
		r.Status = reaction.RunWarning
		r.Message = fmt.Sprintf("Found no reactions, with %d %s (%s): see the log, then check the ids, queries and base_url.", r.Errors, plural(r.Errors, "error", "errors"), kindList(r.ErrorKinds))
	case r.Items == 0 && before <= 0:
		r.Status = reaction.RunWarning
		r.Message = "Found no reactions: check the ids, queries and base_url of this source."
	case r.Errors > 0 || r.Blocked > 0:
		r.Status = reaction.RunWarning
		var parts []string
		if r.Errors > 0 {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", r.Errors, plural(r.Errors, "error", "errors"), kindList(r.ErrorKinds)))
		}
		if r.Blocked > 0 {
			part := fmt.Sprintf("%d %s access (HTTP 401/403)", r.Blocked, plural(r.Blocked, "endpoint that refused", "endpoints that refused"))
			if why := s.blockedReason(); why != "" {
				part += " (" + why + ")"
			}
			parts = append(parts, part)
		}
		r.Message = fmt.Sprintf("Finished with %s; some reactions may be missing.", strings.Join(parts, " and "))
	case r.Items == 0:
		r.Status = reaction.RunOK
		r.Message = fmt.Sprintf("Nothing new since the last run (%d reactions collected before).", before)
	default:
		r.Status = reaction.RunOK
		r.Message = fmt.Sprintf("Collected %d reactions, %d of them new or changed.", r.Items, r.NewItems)
	}
	if n := sum(r.Repaired); n > 0 {
		r.Message += fmt.Sprintf(" %d side %s (%s) repaired; the reactions were kept.", n, plural(n, "field was", "fields were"), kindList(r.Repaired))
	}
	r.Message += sr.discoveryReport(r)
	sr.putRun(ctx, *r)
	c.m.observeRun(*r)
	sr.warnings.flush()
	level := slog.LevelInfo
	if r.Status != reaction.RunOK {
		level = slog.LevelWarn
	}
	sr.log.Log(context.Background(), level, "source run finished", "status", r.Status, "requests", r.Requests,
		"items", r.Items, "new", r.NewItems, "errors", r.Errors, "blocked", r.Blocked, "message", r.Message)
	return *r
}

// fillCounts sets r's counts from the run's stats so far.
func (sr *sourceRun) fillCounts(r *reaction.CrawlRun) {
	s := sr.stats
	r.Requests = s.requests.Load()
	r.Pages = s.pages.Load()
	if r.Pages == 0 && !s.pageCalled.Load() {
		r.Pages = s.okResponses.Load()
	}
	r.Items = s.items.Load()
	r.NewItems = s.newItems.Load()
	r.Blocked = max(s.blocked.Load(), s.fetchBlocked.Load())
	r.ErrorKinds, r.Errors = s.errorKinds()
	r.Repaired = s.repairedFields()
}

// putRun records a run with the sink, within FlushTimeout even after ctx
// was cancelled (the final record of an interrupted run matters most).
func (sr *sourceRun) putRun(ctx context.Context, run reaction.CrawlRun) {
	pctx, cancel := graceContext(ctx, sr.c.cfg.FlushTimeout)
	defer cancel()
	if err := sr.c.sink.PutCrawlRun(pctx, run); err != nil {
		sr.log.Warn("could not record the crawl run", "status", run.Status, "err", err)
	}
}

// graceContext returns a context that is not cancelled with ctx but ends d
// after ctx is done: in-flight sends get time to finish after Ctrl-C.
func graceContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	g, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				cancel()
			case <-stop:
			}
		case <-stop:
		}
	}()
	var once sync.Once
	return g, func() { once.Do(func() { close(stop); cancel() }) }
}

// count is "1 reaction", "2 reactions".
func count(n int64, what string) string { return fmt.Sprintf("%d %s", n, plural(n, what, what+"s")) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// otherErrors names the errors besides those of kind except, as
// ", and 3 other errors (http_5xx 2, parse 1)", or "" when there are none.
func otherErrors(kinds map[string]int64, except string) string {
	rest := map[string]int64{}
	var n int64
	for k, v := range kinds {
		if k != except {
			rest[k] = v
			n += v
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", and %d other %s (%s)", n, plural(n, "error", "errors"), kindList(rest))
}

// moreLikeIt says how many more errors of a kind there were besides the
// first: " (and 2 more like it)", or "".
func moreLikeIt(n int64) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (and %d more like it)", n-1)
}

// displayName is a platform's name as people write it.
func displayName(p reaction.Platform) string {
	switch p {
	case reaction.Reddit:
		return "Reddit"
	case reaction.HackerNews:
		return "Hacker News"
	case reaction.Mastodon:
		return "Mastodon"
	case reaction.Bluesky:
		return "Bluesky"
	case reaction.Discourse:
		return "Discourse"
	case reaction.Lemmy:
		return "Lemmy"
	case reaction.Web:
		return "The web site"
	}
	return string(p)
}

func kindList(kinds map[string]int64) string {
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, kinds[k])
	}
	return strings.Join(parts, ", ")
}

// runStats counts one source run's work.
type runStats struct {
	requests, pages, okResponses, items, newItems atomic.Int64
	blocked, fetchBlocked, retries                atomic.Int64
	pageCalled                                    atomic.Bool

	mu    sync.Mutex
	kinds map[string]int64
	// first is the first error of each kind, for the run's message.
	first map[string]error
	fixed map[string]int64 // side fields repaired, by field
	// blockedWhy is the first refusal an adapter reported, in its words
	// (e.g. why Bluesky search needs a session): researchers need the reason.
	blockedWhy string
}

func newRunStats() *runStats {
	return &runStats{kinds: map[string]int64{}, first: map[string]error{}, fixed: map[string]int64{}}
}

// repaired counts the side fields repaired in one reaction.
func (s *runStats) repaired(fields []string) {
	s.mu.Lock()
	for _, f := range fields {
		s.fixed[f]++
	}
	s.mu.Unlock()
}

// repairedFields returns the repaired counts (nil when none).
func (s *runStats) repairedFields() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fixed) == 0 {
		return nil
	}
	out := make(map[string]int64, len(s.fixed))
	for k, v := range s.fixed {
		out[k] = v
	}
	return out
}

func (s *runStats) error(sr *sourceRun, kind string, err error) {
	if kind == "" {
		kind = "other"
	}
	s.mu.Lock()
	s.kinds[kind]++
	if _, ok := s.first[kind]; !ok && err != nil {
		s.first[kind] = err
	}
	s.mu.Unlock()
	sr.log.Warn("source error", "kind", kind, "err", err)
}

// firstError returns the first error of kind, or nil.
func (s *runStats) firstError(kind string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first[kind]
}

func (s *runStats) blockedReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blockedWhy
}

func (s *runStats) errorKinds() (map[string]int64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.kinds) == 0 {
		return nil, 0
	}
	out := make(map[string]int64, len(s.kinds))
	var n int64
	for k, v := range s.kinds {
		out[k] = v
		n += v
	}
	return out, n
}

// statsView is the source.Stats an adapter sees.
type statsView struct{ sr *sourceRun }

// Error implements source.Stats.
func (v statsView) Error(kind string, err error) {
	// A robots.txt refusal met by an adapter's own Colly collector (the
	// fetcher counts those of Get and Post itself).
	if errors.Is(err, colly.ErrRobotsTxtBlocked) && !errors.Is(err, source.ErrRobots) {
		v.sr.c.m.robots.WithLabelValues(string(v.sr.src.Platform)).Inc()
	}
	v.sr.stats.error(v.sr, kind, err)
}

// Blocked implements source.Stats.
func (v statsView) Blocked(what string, err error) {
	v.sr.stats.blocked.Add(1)
	v.sr.stats.mu.Lock()
	if v.sr.stats.blockedWhy == "" {
		why := what
		if err != nil {
			why = strings.TrimSuffix(oneLine(err.Error()), ".")
			if what != "" {
				why = what + ": " + why
			}
		}
		v.sr.stats.blockedWhy = why
	}
	v.sr.stats.mu.Unlock()
	v.sr.log.Warn("blocked", "what", what, "err", err)
}

// Page implements source.Stats.
func (v statsView) Page() {
	v.sr.stats.pageCalled.Store(true)
	v.sr.stats.pages.Add(1)
}

// sourceState is the source.State an adapter sees: Get returns the latest
// value set (in this run) or the last committed one; Set commits once
// everything emitted before it was acknowledged.
type sourceState struct{ sr *sourceRun }

// Get implements source.State.
func (s sourceState) Get(key string) string {
	s.sr.memMu.Lock()
	v, ok := s.sr.mem[key]
	s.sr.memMu.Unlock()
	if ok {
		return v
	}
	return s.sr.c.state.cursor(s.sr.src.Name, key)
}

// Set implements source.State.
func (s sourceState) Set(key, value string) {
	s.sr.memMu.Lock()
	s.sr.mem[key] = value
	s.sr.memMu.Unlock()
	b := s.sr.b
	b.mu.Lock()
	seq := b.seq
	b.mu.Unlock()
	st := s.sr.c.state
	st.setCursor(s.sr.src.Name, key, value, seq, b)
	if !b.isFrozen() && seq <= b.watermark.Load() {
		if err := st.commitCursors(b, b.watermark.Load()); err != nil {
			s.sr.log.Error("could not save a cursor", "err", err)
		}
	}
}

// maxDiscovered bounds the discovered threads one run record lists.
const maxDiscovered = 1000

// discoveryReport fills the run's discovered threads and gaps and
// returns the sentences the run's message gains: how many threads the
// story's URLs found and how, what the platform's discovery cannot find,
// and the gaps.
func (sr *sourceRun) discoveryReport(r *reaction.CrawlRun) string {
	sr.foundMu.Lock()
	defer sr.foundMu.Unlock()
	var msg strings.Builder
	if len(sr.found) > 0 {
		ids := make([]string, 0, len(sr.found))
		by := map[string]int64{}
		for id, d := range sr.found {
			ids = append(ids, id)
			by[d.Via]++
		}
		sort.Strings(ids)
		if len(ids) > maxDiscovered {
			ids = ids[:maxDiscovered]
		}
		r.Discovered = make([]reaction.Discovery, len(ids))
		for i, id := range ids {
			r.Discovered[i] = sr.found[id]
		}
		fmt.Fprintf(&msg, " Follows %s found from the story's URLs (%s).", count(int64(len(sr.found)), "thread"), kindList(by))
	}
	discovers := sr.src.Discovers(sr.c.st)
	if discovers && len(sr.found) == 0 {
		msg.WriteString(" The story's URLs found no thread here.")
	}
	if discovers {
		if lim := discoveryLimit(sr.src.Platform); lim != "" {
			msg.WriteString(" " + lim)
		}
	}
	if len(sr.c.st.URLs) > 0 && !discovers {
		if why := story.NoDiscovery(sr.src.Platform); why != "" {
			msg.WriteString(" " + why + ".")
		}
	}
	r.Gaps = append([]reaction.Gap(nil), sr.gaps...)
	for _, g := range sr.gaps {
		fmt.Fprintf(&msg, " Not covered from %s to %s: %s.", g.From.UTC().Format("2006-01-02T15:04Z"), g.To.UTC().Format("2006-01-02T15:04Z"), strings.TrimSuffix(g.Reason, "."))
	}
	return msg.String()
}

// discoveryLimit says what a platform's discovery from URLs cannot find.
func discoveryLimit(p reaction.Platform) string {
	switch p {
	case reaction.Mastodon:
		return "Mastodon's link timeline (4.3+) lists statuses only while the link is trending on that server, and only from accounts that allow discovery: earlier and later statuses linking to the story are not found."
	case reaction.Reddit:
		return "Reddit matches a URL exactly (apart from case and www): a share whose URL carries tracking parameters is found only by the url: search."
	case reaction.HackerNews:
		return "Hacker News search covers stories (submissions), not URLs posted in comments."
	case reaction.Bluesky:
		return "Bluesky's URL search needs a session and covers links in posts' facets and link cards."
	case reaction.Lemmy:
		return "Lemmy finds posts whose link is the URL exactly (tracking parameters removed), among the posts this instance knows."
	}
	return ""
}
