package aggregator

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/reactions-research/reactions/aggregator/spool"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// ready is always ready to receive from: it arms a select case.
var ready = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Run is the writer: one loop with a select over queued requests, the
// batch deadline, the spool, the retry timer and ctx.
//
// Requests reach ClickHouse in one of two ways. A request that comes alone
// while the writer is idle and the spool empty is queued to the writer,
// which batches it with the requests arriving meanwhile, up to BatchSize
// reactions, until BatchWait after the first, or as soon as no other
// request is on its way (senders wait for their answer, so waiting longer
// would only add latency), writes the batch and answers each sender with
// its exact accepted and duplicate counts. Under load (the writer busy,
// other requests under way, or the spool not empty) a request is appended
// to the spool by its own goroutine and answered at once, so that senders
// go on while the writer writes; the writer drains the spool in order,
// merging records into writes of up to BatchSize reactions, each prepared
// while ClickHouse inserts the one before (store.WriteEach). Requests wait
// while the spool holds more than SpoolBufferBytes, so a slow ClickHouse
// slows ingest.
//
// When a write fails, its batch goes to the spool, and the writer retries
// draining with capped exponential backoff and jitter; meanwhile every
// request goes to the spool, up to SpoolMaxBytes.
//
// Run returns after Close, or when ctx ends, having written or spooled
// every reaction it took (and answered its senders).
func (a *Aggregator) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.closing || a.running {
		a.mu.Unlock()
		return errors.New("aggregator: Run after Close, or twice")
	}
	a.running = true
	a.mu.Unlock()
	defer close(a.done)

	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = a.cfg.RetryInitial, a.cfg.RetryMax
	bo.Multiplier, bo.RandomizationFactor = 2, 0.5
	bo.Reset()

	var (
		pending []*job
		rows    int
		batchT  = time.NewTimer(time.Hour)
		retryT  = time.NewTimer(time.Hour)
	)
	batchT.Stop()
	retryT.Stop()
	failed := func() {
		a.outage.Store(true)
		a.setBackingOff(true)
		retryT.Reset(bo.NextBackOff())
	}
	flush := func() {
		batchT.Stop()
		if len(pending) == 0 {
			return
		}
		if a.flush(ctx, pending, rows) {
			bo.Reset()
		} else {
			failed()
		}
		pending, rows = nil, 0
	}
	for {
		var drain <-chan struct{}
		if !a.backingOff.Load() && a.spool.Records() > 0 {
			drain = ready
		}
		select {
		case <-ctx.Done():
			a.shutdown(pending, rows)
			return nil
		case <-a.stop:
			a.shutdown(pending, rows)
			return nil
		case j := <-a.in:
			if len(pending) == 0 {
				batchT.Reset(a.cfg.BatchWait)
			}
			pending = append(pending, j)
			rows += len(j.rs)
			if rows >= a.cfg.BatchSize || a.incoming.Load() == 0 {
				flush()
			}
		case <-a.settled:
			if len(pending) > 0 && a.incoming.Load() == 0 {
				flush()
			}
		case <-batchT.C:
			flush()
		case <-drain:
			switch err := a.drain(ctx); {
			case err == nil:
				bo.Reset()
			case errors.Is(err, spool.ErrEmpty):
			default:
				failed()
			}
		case <-retryT.C:
			a.setBackingOff(false)
		case <-a.kick:
			// Something was spooled: the next turn of the loop drains it.
		}
	}
}

// stopping reports whether Close was called.
func (a *Aggregator) stopping() bool {
	select {
	case <-a.stop:
		return true
	default:
		return false
	}
}

// setBackingOff records whether the writer waits before its next attempt
// at ClickHouse, and wakes requests waiting for the spool: while ClickHouse
// is down they spool without waiting.
func (a *Aggregator) setBackingOff(v bool) {
	if a.backingOff.Swap(v) != v {
		a.signalDrained()
	}
}

// shutdown takes the jobs still waiting to be queued, writes or spools
// them, and drains the spool while ClickHouse takes it, for at most
// WriteTimeout (ctx has ended: this is a fresh deadline). What is left in
// the spool is written at the next start.
func (a *Aggregator) shutdown(pending []*job, rows int) {
	for {
		select {
		case j := <-a.in:
			pending = append(pending, j)
			rows += len(j.rs)
			continue
		default:
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.WriteTimeout)
	defer cancel()
	if len(pending) > 0 && !a.flush(ctx, pending, rows) {
		a.setBackingOff(true)
	}
	for !a.backingOff.Load() && ctx.Err() == nil {
		if err := a.drain(ctx); err != nil {
			break
		}
	}
	if n := a.spool.Records(); n > 0 {
		a.log.Warn("records stay in the spool; they are written at the next start", "records", n, "bytes", a.spool.Bytes())
	}
}

// flush writes one batch made of the jobs' reactions and answers each job
// with its counts. When ClickHouse is known to be down, or the write fails,
// the batch goes to the spool instead (and the jobs are answered as
// accepted). It reports whether ClickHouse took the batch.
func (a *Aggregator) flush(ctx context.Context, jobs []*job, rows int) (ok bool) {
	rs := make([]reaction.Reaction, 0, rows)
	for _, j := range jobs {
		rs = append(rs, j.rs...)
	}
	if !a.backingOff.Load() {
		dup, err := a.write(ctx, rs)
		if err == nil {
			off := 0
			for _, j := range jobs {
				r := jobResult{}
				for i := range j.rs {
					if dup[off+i] {
						r.duplicates++
					} else {
						r.accepted++
					}
				}
				off += len(j.rs)
				a.answer(j, r)
			}
			return true
		}
	}
	err := a.spoolReactions(rs)
	if err == nil && !a.backingOff.Load() {
		a.afterFailedWrite(rs) // the write was tried
	}
	for _, j := range jobs {
		if err != nil {
			a.answer(j, jobResult{err: err})
		} else {
			a.answer(j, jobResult{accepted: len(j.rs), spooled: len(j.rs)})
		}
	}
	return false
}

// afterFailedWrite spools a reconcile record for a batch whose write
// failed: the server may have stored it without its views (see
// reconcile.go). A write refused at connection time needs none. It reports
// whether it spooled one.
func (a *Aggregator) afterFailedWrite(rs []reaction.Reaction) bool {
	if errors.Is(a.lastWriteErr, syscall.ECONNREFUSED) {
		return false
	}
	byStory := map[string][]string{}
	for i := range rs {
		byStory[rs[i].Story] = append(byStory[rs[i].Story], rs[i].ID)
	}
	if err := a.spoolReconcile(byStory); err != nil {
		a.log.Error("cannot spool a reconcile record; run reactions reclassify on the story to repair its counts", "err", err)
		return false
	}
	return true
}

// answer sends a job its result and frees its place in the queue.
func (a *Aggregator) answer(j *job, r jobResult) {
	if r.err == nil {
		a.m.accepted.Add(float64(r.accepted + r.duplicates))
	}
	j.res <- r
	a.rows.release(int64(len(j.rs)))
}

// write stores a batch of labelled reactions with exact deduplication and
// returns which were duplicates.
func (a *Aggregator) write(ctx context.Context, rs []reaction.Reaction) ([]bool, error) {
	a.writing.Store(true)
	defer a.writing.Store(false)
	wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
	defer cancel()
	start := time.Now()
	r, err := a.st.Write(wctx, rs, a.labelMissing())
	a.lastWriteErr = err
	if err != nil {
		a.writeFailed(err, len(rs), start)
		return nil, err
	}
	a.wrote(len(rs), r, start)
	return r.Duplicate, nil
}

// wrote counts a write of n reactions started at start.
func (a *Aggregator) wrote(n int, r store.WriteResult, start time.Time) {
	a.m.flush.Observe(time.Since(start).Seconds())
	a.writeGen.Add(1)
	a.m.duplicates.Add(float64(r.Duplicates))
	a.m.rowsWritten.Add(float64(r.New + 2*r.Updated))
	a.log.Debug("batch written", "reactions", n, "new", r.New, "updated", r.Updated, "duplicates", r.Duplicates,
		"seconds", time.Since(start).Seconds())
}

// writeFailed counts a failed write of n reactions started at start.
func (a *Aggregator) writeFailed(err error, n int, start time.Time) {
	a.m.flush.Observe(time.Since(start).Seconds())
	a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
	a.log.Warn("ClickHouse write failed", "reactions", n, "kind", errorKind(err), "err", err)
}

// maxPipelinedBatches bounds the batches one drain writes before the
// writer's loop takes its other work again.
const maxPipelinedBatches = 8

// drainReactions writes reactions decoded from the first n spooled records,
// then, while ClickHouse inserts them, the next reaction records (up to
// BatchSize reactions a write, maxPipelinedBatches writes in all): see
// store.WriteEach. Each write's records are marked done as soon as it is
// stored.
func (a *Aggregator) drainReactions(ctx context.Context, n int, rs []reaction.Reaction) error {
	if len(rs) == 0 { // records without reactions: nothing to write
		if err := a.spool.DoneN(n); err != nil {
			a.log.Error("spool: cannot record progress", "err", err)
			return err
		}
		a.signalDrained()
		return nil
	}
	a.writing.Store(true)
	defer a.writing.Store(false)
	type taken struct {
		records int
		rs      []reaction.Reaction
		start   time.Time
	}
	var (
		queue    []taken // handed to WriteEach and not done yet
		handed   int     // batches handed to WriteEach
		spoolErr error   // marking records done failed
	)
	next := func() []reaction.Reaction {
		if n > 0 {
			queue = append(queue, taken{n, rs, time.Now()})
			n, handed = 0, 1
			return rs
		}
		if handed >= maxPipelinedBatches || a.backingOff.Load() || ctx.Err() != nil || a.stopping() {
			return nil
		}
		rows := 0
		recs, err := a.spool.PeekMore(func(r spool.Record) bool {
			k := recordRows(r)
			if r.Kind != kindReactions || k == 0 || rows+k > a.cfg.BatchSize {
				return false
			}
			rows += k
			return true
		})
		if err != nil || len(recs) == 0 {
			// The end of what is spooled, or of the head segment, or
			// another kind of record: the next drain takes it.
			return nil
		}
		more := make([]reaction.Reaction, 0, rows)
		for _, r := range recs {
			if more, err = decodeReactions(r.Data, more); err != nil {
				return nil // the next drain skips it, with a log line
			}
		}
		queue = append(queue, taken{len(recs), more, time.Now()})
		handed++
		return more
	}
	done := func(r store.WriteResult) error {
		t := queue[0]
		queue = queue[1:]
		a.wrote(len(t.rs), r, t.start)
		// A reconcile record, if one was spooled, covered an earlier
		// failure of this batch: a later failure needs its own.
		a.reconciled = false
		if err := a.spool.DoneN(t.records); err != nil {
			a.log.Error("spool: cannot record progress; the written records will be written again, as duplicates", "err", err)
			spoolErr = err
			return err
		}
		a.signalDrained()
		return nil
	}
	err := a.st.WriteEach(ctx, a.cfg.WriteTimeout, next, a.labelMissing(), done)
	if spoolErr != nil {
		return err // not a ClickHouse failure
	}
	a.lastWriteErr = err
	if err != nil {
		if len(queue) > 0 {
			a.writeFailed(err, len(queue[0].rs), queue[0].start)
			if !a.reconciled {
				a.reconciled = a.afterFailedWrite(queue[0].rs)
			}
		}
		return err
	}
	a.reconciled = false
	if a.spool.Records() == 0 && a.outage.Swap(false) {
		a.log.Info("spool drained into ClickHouse")
	}
	return nil
}

// spoolReactions appends reactions to the spool, one record per BatchSize
// reactions at most, and wakes the writer.
func (a *Aggregator) spoolReactions(rs []reaction.Reaction) error {
	for start := 0; start < len(rs); start += a.cfg.BatchSize {
		chunk := rs[start:min(start+a.cfg.BatchSize, len(rs))]
		if err := a.spool.Append(kindReactions, encodeReactions(chunk)); err != nil {
			a.log.Error("cannot spool reactions; their senders get an error and will resend", "reactions", len(chunk), "err", err)
			return fmt.Errorf("spool: %w", err)
		}
		a.m.spooled.Add(float64(len(chunk)))
	}
	select {
	case a.kick <- struct{}{}:
	default:
	}
	return nil
}

// recordRows returns the number of reactions in a spooled reactions record.
func recordRows(r spool.Record) int {
	if r.Kind != kindReactions || len(r.Data) < 2 {
		return 0
	}
	n, k := binary.Uvarint(r.Data[1:])
	if k <= 0 {
		return 0
	}
	return int(n)
}

// drain applies the first spooled records to ClickHouse and marks them
// done: consecutive reaction records are merged into one write of up to
// BatchSize reactions. A record that cannot be decoded (it passed its
// checksum, so only a bug writes one) is logged and skipped, so that it
// cannot stop the spool.
func (a *Aggregator) drain(ctx context.Context) error {
	rows, merging := 0, true
	recs, err := a.spool.PeekWhile(func(next spool.Record) bool {
		// Only reaction records merge, and only with reaction records.
		n := recordRows(next)
		if !merging || next.Kind != kindReactions || rows+n > a.cfg.BatchSize {
			merging = false
			return false
		}
		rows += n
		return true
	})
	if err != nil {
		if !errors.Is(err, spool.ErrEmpty) {
			a.log.Error("spool: cannot read the next record", "err", err)
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
	defer cancel()
	if recs[0].Kind != kindReactions {
		recs = recs[:1]
	}
	var derr error // decoding error: skip the record
	switch rec := recs[0]; rec.Kind {
	case kindReactions:
		total := 0
		for _, r := range recs {
			total += recordRows(r)
		}
		rs := make([]reaction.Reaction, 0, total)
		for _, r := range recs {
			if r.Kind != kindReactions {
				derr = fmt.Errorf("record of kind %d merged into a batch", r.Kind)
				break
			}
			if rs, derr = decodeReactions(r.Data, rs); derr != nil {
				break
			}
		}
		if derr == nil {
			return a.drainReactions(ctx, len(recs), rs)
		}
	case kindReconcile:
		var rr reconcileRecord
		if derr = json.Unmarshal(rec.Data, &rr); derr == nil {
			var res ReconcileResult
			if res, err = Reconcile(wctx, a.st, rr.Story, rr.IDs); err != nil {
				a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
			} else if res.ByTimeRows+res.MinuteRows > 0 {
				a.writeGen.Add(1)
				a.log.Warn("repaired the views of reactions whose write ClickHouse interrupted", "story", rr.Story,
					"reactions", len(rr.IDs), "reactions_by_time_rows", res.ByTimeRows, "reaction_minutes_rows", res.MinuteRows)
			}
		}
	case kindStory:
		var s story.Story
		if derr = json.Unmarshal(rec.Data, &s); derr == nil {
			if err = a.st.PutStory(wctx, &s); err != nil {
				a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
			}
		}
	case kindCrawlRun:
		var run reaction.CrawlRun
		if derr = json.Unmarshal(rec.Data, &run); derr == nil {
			if err = a.st.PutCrawlRun(wctx, run); err != nil {
				a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
			}
		}
	default:
		derr = fmt.Errorf("unknown record kind %d", rec.Kind)
	}
	if derr != nil {
		a.log.Error("spool: skipping records that do not decode", "kind", recs[0].Kind, "records", len(recs), "err", derr)
	}
	if err != nil {
		return err
	}
	if err := a.spool.DoneN(len(recs)); err != nil {
		a.log.Error("spool: cannot record progress", "err", err)
		return err
	}
	a.signalDrained()
	if a.spool.Records() == 0 && a.outage.Swap(false) {
		a.log.Info("spool drained into ClickHouse")
	}
	return nil
}

// drainSignal returns a channel closed at the next drain step.
func (a *Aggregator) drainSignal() <-chan struct{} {
	a.drainedMu.Lock()
	defer a.drainedMu.Unlock()
	return a.drained
}

func (a *Aggregator) signalDrained() {
	a.drainedMu.Lock()
	close(a.drained)
	a.drained = make(chan struct{})
	a.drainedMu.Unlock()
}

// waitSpoolBelow waits while ClickHouse is up and the spool holds more
// than limit bytes: the writer is behind, the sender waits.
func (a *Aggregator) waitSpoolBelow(ctx context.Context, limit int64) error {
	for {
		ch := a.drainSignal()
		if a.spool.Bytes() <= limit || a.backingOff.Load() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-a.stop:
			return ErrClosed
		}
	}
}
