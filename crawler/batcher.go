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
// Config.BatchSize or after Config.BatchWait, whichever comes first, from ONE
// loop over a wake-up signal, a timer and ctx.Done. Emitters queue reactions
// under mu and wake the loop only when the queue gets its first reaction or
// fills up (not once per reaction). The queue is bounded: while it is full
// emitters wait, so a slow sink pushes back on the adapters instead of
// growing memory.
type batcher struct {
	c    *crawl
	size int
	done chan struct{}
	// wake (capacity 1) tells the loop that the queue got its first
	// reaction, filled up, or was closed.
	wake chan struct{}

	mu     sync.Mutex    // guards seq, queue and closed; orders seq with the queue
	seq    uint64        // last seq queued
	queue  []pendingItem // the next batch, at most size items, in seq order
	closed bool          // every source of the poll has returned
	space  sync.Cond     // on mu: the loop took the queue
	// sentSeq is the highest seq whose batch the sink answered (or
	// failed); ended says the loop returned. Both on mu, signalled by sent.
	sentSeq uint64
	ended   bool
	sent    sync.Cond
	// flushNow asks the loop to send the queue at once (a source ended
	// and waits for its last reactions).
	flushNow bool

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
	b := &batcher{c: c, size: c.cfg.BatchSize, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	b.space.L = &b.mu
	b.sent.L = &b.mu
	b.queue = make([]pendingItem, 0, b.size)
	return b
}

func (b *batcher) isFrozen() bool { return b.frozen.Load() }

func (b *batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// waitSpace waits, with mu held, until the queue has room.
func (b *batcher) waitSpace() {
	for len(b.queue) >= b.size {
		b.space.Wait()
	}
}

// push queues an item, with mu held and room in the queue (waitSpace).
func (b *batcher) push(it pendingItem) {
	b.queue = append(b.queue, it)
	if n := len(b.queue); n == 1 || n >= b.size {
		b.signal()
	}
}

// close says that nothing more will be queued: the loop sends what is left
// and returns.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.signal()
}

// loop runs until the batcher is closed (every source of the poll has
// returned) and its queue is sent, then closes done. When ctx is cancelled
// it sends what is queued at once and keeps draining: sends then run on a
// grace context that ends Config.FlushTimeout after the cancel.
func (b *batcher) loop(ctx context.Context) {
	defer close(b.done)
	defer func() {
		b.mu.Lock()
		b.ended = true
		b.sent.Broadcast()
		b.mu.Unlock()
	}()
	sendCtx, cancel := graceContext(ctx, b.c.cfg.FlushTimeout)
	defer cancel()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false // the timer runs for the queue's first reaction
	cancelled := ctx.Done()
	stopping := false // ctx was cancelled: send at once, do not wait
	batch := make([]pendingItem, 0, b.size)
	for {
		due := false // send whatever is queued
		select {
		case <-b.wake:
		case <-timer.C:
			armed, due = false, true
		case <-cancelled:
			cancelled, stopping, due = nil, true, true
		}
		for {
			b.mu.Lock()
			n, closed := len(b.queue), b.closed
			take := n > 0 && (n >= b.size || due || closed || stopping || b.flushNow)
			if take {
				batch, b.queue = b.queue, batch
				b.flushNow = false
				b.space.Broadcast()
			}
			b.mu.Unlock()
			if !take {
				if closed {
					return
				}
				if n > 0 && !armed {
					timer.Reset(b.c.cfg.BatchWait)
					armed = true
				}
				break
			}
			if armed {
				timer.Stop()
				armed = false
			}
			b.send(sendCtx, batch)
			// send keeps nothing of batch (the sink gets its own slice):
			// it becomes the next queue.
			clear(batch)
			batch = batch[:0]
			due = false
			// The queue may have filled, or got its first reaction, while
			// the batch was sent: look again before waiting.
		}
	}
}

// lastSeq returns the seq of the last reaction queued.
func (b *batcher) lastSeq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}

// waitSent has what is queued sent at once, and waits until the sink has
// answered (or failed) every batch up to seq.
func (b *batcher) waitSent(seq uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sentSeq < seq && !b.ended {
		b.flushNow = true
		b.signal()
	}
	for b.sentSeq < seq && !b.ended {
		b.sent.Wait()
	}
}

// send hands one batch to the sink (which retries until it acknowledges or
// the context ends), then records what was acknowledged.
func (b *batcher) send(ctx context.Context, items []pendingItem) {
	defer func(seq uint64) {
		b.mu.Lock()
		b.sentSeq = max(b.sentSeq, seq)
		b.sent.Broadcast()
		b.mu.Unlock()
	}(items[len(items)-1].seq)
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
	if len(res.Repaired) > 0 {
		// The crawler repairs what it can before sending: what is left is
		// the aggregator's policy (e.g. raw authors it does not accept).
		c.cfg.Log.Warn("the aggregator repaired side fields of a batch; the reactions were kept",
			"story", c.st.ID, "repaired", res.Repaired)
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
	// Counted per run of equal platforms (a batch is mostly one source),
	// not with a label lookup per reaction.
	for i := 0; i < len(acked); {
		p := acked[i].r.Platform
		j := i
		for ; j < len(acked) && acked[j].r.Platform == p; j++ {
			acked[j].sr.stats.newItems.Add(1)
		}
		c.m.reactions.WithLabelValues(string(p)).Add(float64(j - i))
		i = j
	}
	if b.frozen.Load() {
		return
	}
	b.watermark.Store(items[len(items)-1].seq)
	if err := c.state.commitCursors(b, items[len(items)-1].seq); err != nil && !errors.Is(err, context.Canceled) {
		c.cfg.Log.Error("could not save the crawl cursors", "story", c.st.ID, "err", err)
	}
}
