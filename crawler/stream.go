package crawler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
)

// streamRun is a source followed live in --follow mode: after the first
// poll, a source whose adapter is a source.Streamer is not polled again;
// its Stream runs until the crawl ends, through a batcher of its own, so
// that its position commits as its reactions are acknowledged, whatever
// the polls of the other sources do.
type streamRun struct {
	index int // of the source in the story
	sr    *sourceRun
	done  chan struct{}
	final reaction.CrawlRun // the run's record, once done is closed
}

// streamOutcomes are the outcomes a stream counts (source.Stream…).
var streamOutcomes = []string{source.StreamKept, source.StreamUnrelated, source.StreamDuplicate, source.StreamDeleted,
	source.StreamIdentity, source.StreamMalformed, source.StreamOther}

// startStreams starts a stream for every source whose adapter streams;
// the slice is indexed like the story's sources (nil where a source is
// polled). since is when the first poll began: a stream without a saved
// position starts there.
func (c *crawl) startStreams(ctx context.Context, since time.Time) []*streamRun {
	var out []*streamRun
	for i := range c.st.Sources {
		src := &c.st.Sources[i]
		a, ok := c.cfg.lookup(src.Platform)
		if !ok {
			continue
		}
		streamer, ok := a.(source.Streamer)
		if !ok {
			continue
		}
		if out == nil {
			out = make([]*streamRun, len(c.st.Sources))
		}
		b := newBatcher(c)
		go b.loop(ctx)
		sr := c.newSourceRun(i, newRunID(c.cfg.Now()), b)
		sr.streaming = true
		for _, o := range streamOutcomes {
			c.m.streamEvents.WithLabelValues(string(src.Platform), o)
		}
		s := &streamRun{index: i, sr: sr, done: make(chan struct{})}
		out[i] = s
		go func() {
			defer close(s.done)
			sr.runAdapter(ctx, func(ctx context.Context, _ source.Adapter, env *source.Env) error {
				return streamer.Stream(ctx, env, since)
			})
			sr.interrupted = ctx.Err() != nil
			b.waitSent(b.lastSeq())
			b.close()
			<-b.done
			if b.isFrozen() {
				c.state.dropPendingCursors(b)
			} else if err := c.state.commitCursors(b, b.watermark.Load()); err != nil {
				c.cfg.Log.Error("could not save the stream's position; the next run replays from the previous one", "story", c.st.ID, "source", src.Name, "err", err)
			}
			c.m.streamLag.DeleteLabelValues(c.st.ID, src.Name, string(src.Platform))
			s.final = sr.finish(ctx)
		}()
		sr.log.Info("following the source live instead of polling it", "since", since.UTC().Format(time.RFC3339))
	}
	return out
}

// eventCounts counts a stream's events by outcome.
type eventCounts struct {
	mu    sync.Mutex
	n     map[string]int64
	first time.Time // the platform's time of the first event
	last  time.Time // and of the last
}

// streamed is Env.OnStream: the metrics and the run's counts.
func (sr *sourceRun) streamed(outcome string, at time.Time) {
	c, p := sr.c, string(sr.src.Platform)
	c.m.streamEvents.WithLabelValues(p, outcome).Inc()
	e := &sr.events
	e.mu.Lock()
	if e.n == nil {
		e.n = map[string]int64{}
	}
	e.n[outcome]++
	if outcome != source.StreamMalformed {
		if e.first.IsZero() {
			e.first = at
		}
		e.last = at
	}
	e.mu.Unlock()
	if outcome != source.StreamMalformed {
		c.m.streamLag.WithLabelValues(c.st.ID, sr.src.Name, p).Set(max(c.cfg.Now().Sub(at).Seconds(), 0))
	}
}

// progress returns a live run's record so far (status running).
func (sr *sourceRun) progress() reaction.CrawlRun {
	sr.runMu.Lock()
	r := sr.run
	sr.runMu.Unlock()
	sr.fillCounts(&r)
	r.Status = reaction.RunRunning
	r.Message = "Following live. " + sr.streamSummary(&r)
	r.Message += sr.discoveryReport(&r)
	return r
}

// streamSummary says what a live run read and kept.
func (sr *sourceRun) streamSummary(r *reaction.CrawlRun) string {
	e := &sr.events
	e.mu.Lock()
	defer e.mu.Unlock()
	var total int64
	var parts []string
	keys := make([]string, 0, len(e.n))
	for k := range e.n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		total += e.n[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, e.n[k]))
	}
	if total == 0 {
		return fmt.Sprintf("Read no event from the %s stream yet.", displayName(sr.src.Platform))
	}
	return fmt.Sprintf("Read %s from the %s stream, stamped %s to %s (%s): kept %s, %d new or changed sent.",
		count(total, "event"), displayName(sr.src.Platform), e.first.UTC().Format("2006-01-02T15:04:05Z"), e.last.UTC().Format("2006-01-02T15:04:05Z"),
		strings.Join(parts, ", "), count(r.Items, "reaction"), r.NewItems)
}
