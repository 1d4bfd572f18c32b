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

// The writer is the one goroutine that writes reactions, to ClickHouse or
// to the spool, so that they land in the order they were acknowledged.
// Requests hand it their labelled reactions and wait for its answer; it
// takes a request together with the others waiting at that moment, up to
// BatchSize reactions, and
//
//   - while the spool is empty and ClickHouse up, writes them with
//     store.Write and answers each request with its exact counts;
//   - otherwise, or when the write fails, appends them to the spool
//     (fsynced) and answers them as spooled.
//
// While the spool holds records and ClickHouse is up, it drains the spool
// in order, a batch at a time, between requests; requests wait while the
// spool holds more than SpoolBufferBytes. After a failed write it waits
// (capped exponential backoff with jitter) before it tries ClickHouse
// again, and spools meanwhile.

// ready is always ready to receive from: it arms a select case.
var ready = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// writer is the state of Run's goroutine.
type writer struct {
	a          *Aggregator
	bo         *backoff.ExponentialBackOff
	retry      *time.Timer
	backingOff bool // a write failed: wait for retry before trying ClickHouse again
	// reconciled: a reconcile record follows the failing head of the
	// spool, so that a failure of the same batch again needs none.
	reconciled bool
}

// Run is the writer: one loop with a select over requests, the spool, the
// retry timer and ctx. It returns after Close, or when ctx ends, having
// written or spooled every request it took (and answered it).
func (a *Aggregator) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.closing || a.running {
		a.mu.Unlock()
		return errors.New("aggregator: Run after Close, or twice")
	}
	a.running = true
	a.mu.Unlock()
	defer close(a.done)

	w := &writer{a: a, bo: backoff.NewExponentialBackOff(), retry: time.NewTimer(time.Hour)}
	w.bo.InitialInterval, w.bo.MaxInterval = a.cfg.RetryInitial, a.cfg.RetryMax
	w.bo.Multiplier, w.bo.RandomizationFactor = 2, 0.5
	w.bo.Reset()
	w.retry.Stop()
	for {
		in, drain := a.in, (<-chan struct{})(nil)
		if a.spool.Records() > 0 && !w.backingOff {
			drain = ready
			if a.spool.Bytes() > a.cfg.SpoolBufferBytes {
				in = nil // catch up first: senders wait
			}
		}
		select {
		case <-ctx.Done():
			w.shutdown()
			return nil
		case <-a.stop:
			w.shutdown()
			return nil
		case j := <-in:
			w.take(ctx, j)
		case <-drain:
			w.drain(ctx)
		case <-w.retry.C:
			w.backingOff = false
		case <-a.kick:
			// A story or crawl run was spooled: the next turn drains it.
		}
	}
}

// take writes the reactions of j and of the requests waiting behind it, up
// to BatchSize in all, and answers each.
func (w *writer) take(ctx context.Context, j *job) {
	a := w.a
	jobs, n := []*job{j}, len(j.rs)
more:
	for n < a.cfg.BatchSize {
		select {
		case j := <-a.in:
			jobs = append(jobs, j)
			n += len(j.rs)
		default:
			break more
		}
	}
	a.held.Store(int64(n))
	defer a.held.Store(0)
	rs := j.rs
	if len(jobs) > 1 {
		rs = make([]reaction.Reaction, 0, n)
		for _, j := range jobs {
			rs = append(rs, j.rs...)
		}
	}
	// Written in batches of at most BatchSize while ClickHouse takes them;
	// from the first that it does not, to the spool.
	dup := make([]bool, len(rs))
	written := 0
	var failed []reaction.Reaction // the batch whose write failed
	var writeErr error
	for written < len(rs) && a.spool.Records() == 0 && !w.backingOff {
		batch := rs[written:min(written+a.cfg.BatchSize, len(rs))]
		res, err := a.write(ctx, batch)
		if err != nil {
			failed, writeErr = batch, err
			w.failed()
			break
		}
		w.bo.Reset()
		copy(dup[written:], res.Duplicate)
		written += len(batch)
	}
	var spoolErr error
	if written < len(rs) {
		spoolErr = a.spoolReactions(rs[written:])
		if spoolErr == nil && failed != nil {
			// The failed batch is now the head of the spool.
			w.reconciled = w.reconcile(failed, writeErr)
		}
	}
	off := 0
	for _, j := range jobs {
		var r jobResult
		for i := off; i < off+len(j.rs); i++ {
			switch {
			case i >= written && spoolErr != nil:
				r.err = spoolErr
			case i >= written:
				r.accepted++
				r.spooled++
			case dup[i]:
				r.duplicates++
			default:
				r.accepted++
			}
		}
		off += len(j.rs)
		if r.err == nil {
			a.m.accepted.Add(float64(r.accepted + r.duplicates))
		}
		j.res <- r
	}
}

// failed records a failed ClickHouse operation: ClickHouse is treated as
// down until the retry timer fires, and requests go to the spool.
func (w *writer) failed() {
	w.a.outage.Store(true)
	w.backingOff = true
	w.retry.Reset(w.bo.NextBackOff())
}

// reconcile spools a reconcile record for rs, whose write failed with err:
// the server may have stored it without its views (see reconcile.go). A
// write refused at connection time stored nothing and needs none. It
// reports whether it spooled one.
func (w *writer) reconcile(rs []reaction.Reaction, err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	return w.a.reconcileLater(rs)
}

// reconcileLater spools a reconcile record for rs and reports whether it
// did: after a failed write, and after one that succeeded only when sent
// again, whose first attempt may have been stored without its views.
func (a *Aggregator) reconcileLater(rs []reaction.Reaction) bool {
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

// shutdown drains the spool while ClickHouse takes it, for at most
// WriteTimeout (ctx has ended: this is a fresh deadline). What is left in
// the spool is written at the next start. Requests not taken yet get
// ErrClosed.
func (w *writer) shutdown() {
	a := w.a
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.WriteTimeout)
	defer cancel()
	for a.spool.Records() > 0 && !w.backingOff && ctx.Err() == nil {
		w.drain(ctx)
	}
	if n := a.spool.Records(); n > 0 {
		a.log.Warn("records stay in the spool; they are written at the next start", "records", n, "bytes", a.spool.Bytes())
	}
}

// write stores a batch of labelled reactions with exact deduplication,
// within WriteTimeout.
func (a *Aggregator) write(ctx context.Context, rs []reaction.Reaction) (store.WriteResult, error) {
	wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
	defer cancel()
	start := time.Now()
	r, err := a.st.Write(wctx, rs)
	a.m.flush.Observe(time.Since(start).Seconds())
	if err != nil {
		a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
		a.log.Warn("ClickHouse write failed", "reactions", len(rs), "kind", errorKind(err), "err", err)
		return r, err
	}
	a.writeGen.Add(1)
	a.m.duplicates.Add(float64(r.Duplicates))
	a.m.rowsWritten.Add(float64(r.New + 2*r.Updated))
	a.log.Debug("batch written", "reactions", len(rs), "new", r.New, "updated", r.Updated, "duplicates", r.Duplicates,
		"seconds", time.Since(start).Seconds())
	if r.Resent > 0 {
		// Stored only when sent again (on a cluster): the first attempt
		// may have reached the table without all its views.
		a.reconcileLater(rs)
	}
	return r, nil
}

// spoolReactions appends reactions to the spool, one record per BatchSize
// reactions at most.
func (a *Aggregator) spoolReactions(rs []reaction.Reaction) error {
	for start := 0; start < len(rs); start += a.cfg.BatchSize {
		chunk := rs[start:min(start+a.cfg.BatchSize, len(rs))]
		if err := a.spool.Append(kindReactions, encodeReactions(chunk)); err != nil {
			a.log.Error("cannot spool reactions; their senders get an error and will resend", "reactions", len(chunk), "err", err)
			return fmt.Errorf("spool: %w", err)
		}
		a.m.spooled.Add(float64(len(chunk)))
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
// BatchSize reactions (a larger record alone). A record that cannot be
// decoded (it passed its checksum, so only a bug writes one) is logged
// and skipped, so that it cannot stop the spool. When ClickHouse fails,
// the records stay and the writer backs off.
func (w *writer) drain(ctx context.Context) {
	a := w.a
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
		return
	}
	if recs[0].Kind != kindReactions {
		recs = recs[:1]
	}
	if err := a.apply(ctx, recs); err != nil {
		if errors.Is(err, errWrite) && !w.reconciled {
			rs, _ := decodeRecords(recs)
			w.reconciled = w.reconcile(rs, err)
		}
		w.failed()
		return
	}
	w.bo.Reset()
	w.reconciled = false
	if err := a.spool.DoneN(len(recs)); err != nil {
		a.log.Error("spool: cannot record progress; the written records will be written again, as duplicates", "err", err)
		return
	}
	if a.spool.Records() == 0 && a.outage.Swap(false) {
		a.log.Info("spool drained into ClickHouse")
	}
}

// errWrite marks a failed write of spooled reactions (not another kind of
// record): the server may have stored them without their views.
var errWrite = errors.New("write spooled reactions")

// apply writes the spooled records recs (reaction records, or one record
// of another kind) to ClickHouse. A record that does not decode is logged
// and counts as applied.
func (a *Aggregator) apply(ctx context.Context, recs []spool.Record) error {
	wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
	defer cancel()
	var err, derr error // derr: the record does not decode
	switch rec := recs[0]; rec.Kind {
	case kindReactions:
		var rs []reaction.Reaction
		if rs, derr = decodeRecords(recs); derr == nil {
			a.labelUnlabelled(rs)
			if _, err = a.write(ctx, rs); err != nil {
				err = fmt.Errorf("%w: %w", errWrite, err)
			}
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
	return err
}

// decodeRecords decodes the reactions of spooled reaction records.
func decodeRecords(recs []spool.Record) ([]reaction.Reaction, error) {
	total := 0
	for _, r := range recs {
		total += recordRows(r)
	}
	rs := make([]reaction.Reaction, 0, total)
	for _, r := range recs {
		if r.Kind != kindReactions {
			return rs, fmt.Errorf("record of kind %d merged into a batch", r.Kind)
		}
		var err error
		if rs, err = decodeReactions(r.Data, rs); err != nil {
			return rs, err
		}
	}
	return rs, nil
}

// labelUnlabelled labels the reactions without a stance: a spool written
// by an earlier version, which labelled some reactions only when it wrote
// them, may hold such reactions.
func (a *Aggregator) labelUnlabelled(rs []reaction.Reaction) {
	var label func(*reaction.Reaction)
	for i := range rs {
		if rs[i].Stance == "" {
			if label == nil {
				label = a.labeller()
			}
			label(&rs[i])
		}
	}
}
