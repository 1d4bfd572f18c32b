package crawler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// pendingItem is a reaction on its way to the sink.
type pendingItem struct {
	r       reaction.Reaction
	sr      *sourceRun
	source  string
	seq     uint64
	entry   sentEntry // what the sent map now says
	prev    sentEntry // what it said before (when existed)
	existed bool
}

// batcher sends the reactions of one poll to the sink in batches of
// Config.BatchSize or after Config.BatchWait, whichever comes first, in ONE
// loop over its input, a timer and ctx.Done. Its input is bounded, so a slow
// sink pushes back on the adapters instead of growing memory.
type batcher struct {
	c    *crawl
	in   chan pendingItem
	done chan struct{}

	mu  sync.Mutex // orders seq with sends on in
	seq uint64     // last seq handed to in

	// watermark is the highest seq such that everything up to it was
	// acknowledged (or rejected). After a failed batch it stops moving
	// (frozen) for the rest of the poll, so no cursor skips unsent items.
	watermark atomic.Uint64
	frozen    atomic.Bool

	// acked is send's scratch list of acknowledged items (send runs on the
	// loop's goroutine only).
	acked []pendingItem
}

func newBatcher(c *crawl) *batcher {
	return &batcher{c: c, in: make(chan pendingItem, c.cfg.BatchSize), done: make(chan struct{})}
}

func (b *batcher) isFrozen() bool { return b.frozen.Load() }

// loop runs until in is closed (every source of the poll has returned),
// then flushes and closes done. When ctx is cancelled it flushes what it
// holds at once and keeps draining: sends then run on a grace context that
// ends Config.FlushTimeout after the cancel.
func (b *batcher) loop(ctx context.Context) {
	defer close(b.done)
	sendCtx, cancel := graceContext(ctx, b.c.cfg.FlushTimeout)
	defer cancel()
	size := b.c.cfg.BatchSize
	buf := make([]pendingItem, 0, size)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	cancelled := ctx.Done()
	flush := func() {
		timer.Stop()
		if len(buf) == 0 {
			return
		}
		b.send(sendCtx, buf)
		// send keeps nothing of buf (the sink gets its own slice): reuse it.
		clear(buf)
		buf = buf[:0]
	}
	for {
		select {
		case it, ok := <-b.in:
			if !ok {
				flush()
				return
			}
			buf = append(buf, it)
			if len(buf) == 1 {
				timer.Reset(b.c.cfg.BatchWait)
			}
			if len(buf) >= size {
				flush()
			}
		case <-timer.C:
			flush()
		case <-cancelled:
			cancelled = nil
			flush()
		}
	}
}

// send hands one batch to the sink (which retries until it acknowledges or
// the context ends), then records what was acknowledged.
func (b *batcher) send(ctx context.Context, items []pendingItem) {
	c := b.c
	rs := make([]reaction.Reaction, len(items))
	for i := range items {
		rs[i] = items[i].r
	}
	res, err := c.sink.Send(ctx, rs)
	if err != nil {
		b.frozen.Store(true)
		for _, it := range items {
			c.state.revert(it)
			it.sr.stats.error(it.sr, "sink", err)
		}
		c.cfg.Log.Error("the sink did not take a batch; it will be collected again by the next run",
			"story", c.st.ID, "reactions", len(items), "err", err)
		return
	}
	var rejected map[int]string
	if len(res.Rejected) > 0 {
		rejected = make(map[int]string, len(res.Rejected))
	}
	for _, rj := range res.Rejected {
		if rj.Line >= 1 && rj.Line <= len(items) {
			rejected[rj.Line-1] = rj.Error
		}
	}
	acked := b.acked[:0]
	defer func() {
		clear(acked)
		b.acked = acked[:0]
	}()
	for i, it := range items {
		if msg, ok := rejected[i]; ok {
			c.state.revert(it)
			// The aggregator's message names a field, never an author.
			it.sr.stats.error(it.sr, "rejected", fmt.Errorf("the aggregator rejected line %d of a batch: %s", i+1, msg))
			continue
		}
		acked = append(acked, it)
	}
	if err := c.state.acknowledged(acked); err != nil {
		// The sink has them but we could not record it: keep the cursors
		// where they are, so that the next run re-sends (the aggregator
		// deduplicates) rather than skipping anything.
		b.frozen.Store(true)
		c.cfg.Log.Error("could not record acknowledged reactions", "story", c.st.ID, "err", err)
	}
	for _, it := range acked {
		it.sr.stats.newItems.Add(1)
		c.m.reactions.WithLabelValues(string(it.r.Platform)).Inc()
	}
	if b.frozen.Load() {
		return
	}
	b.watermark.Store(items[len(items)-1].seq)
	if err := c.state.commitCursors(items[len(items)-1].seq); err != nil && !errors.Is(err, context.Canceled) {
		c.cfg.Log.Error("could not save the crawl cursors", "story", c.st.ID, "err", err)
	}
}
