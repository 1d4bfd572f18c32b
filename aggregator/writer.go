package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/reactions-research/reactions/aggregator/spool"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// ready is always ready to receive from: it arms a select case.
var ready = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Run is the writer: one loop that batches queued reactions by size
// (BatchSize) or deadline (BatchWait from the first reaction, BatchIdle
// from the last), writes each batch to ClickHouse, or to the spool when
// ClickHouse fails or the spool is not empty (order is kept), and drains the
// spool into ClickHouse with capped exponential backoff and jitter between
// failed attempts. It returns after Close, or when ctx ends, having written
// or spooled every reaction it took (and answered its senders).
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
		pending   []*job
		rows      int
		first     time.Time
		batchT    = time.NewTimer(time.Hour)
		retryT    = time.NewTimer(time.Hour)
		backingOn bool // waiting for retryT before the next ClickHouse attempt
	)
	batchT.Stop()
	retryT.Stop()
	failed := func() {
		backingOn = true
		retryT.Reset(bo.NextBackOff())
	}
	flush := func() {
		batchT.Stop()
		if len(pending) == 0 {
			return
		}
		if !a.flush(ctx, pending, rows, backingOn) {
			failed()
		} else if !backingOn {
			bo.Reset()
		}
		pending, rows = nil, 0
	}
	for {
		var drain <-chan struct{}
		if !backingOn && a.spool.Records() > 0 {
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
			now := time.Now()
			if len(pending) == 0 {
				first = now
			}
			pending = append(pending, j)
			rows += len(j.rs)
			if rows >= a.cfg.BatchSize {
				flush()
				continue
			}
			deadline := first.Add(a.cfg.BatchWait)
			if idle := now.Add(a.cfg.BatchIdle); a.cfg.BatchIdle > 0 && idle.Before(deadline) {
				deadline = idle
			}
			batchT.Reset(deadline.Sub(now))
		case <-batchT.C:
			flush()
		case <-drain:
			switch err := a.drainOne(ctx); {
			case err == nil:
				bo.Reset()
			case errors.Is(err, spool.ErrEmpty):
			default:
				failed()
			}
		case <-retryT.C:
			backingOn = false
		case <-a.kick:
			// Something was spooled beside the writer: the next turn
			// of the loop drains it.
		}
	}
}

// shutdown takes the jobs still waiting to be queued, and writes or spools
// everything, with a fresh deadline: ctx has ended.
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
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.WriteTimeout)
	defer cancel()
	a.flush(ctx, pending, rows, false)
}

// flush writes one batch made of the jobs' reactions and answers each job.
// When the spool holds records (or ClickHouse is known to be down), or the
// write fails, the batch is appended to the spool instead. It reports
// whether ClickHouse took the batch or was not tried.
func (a *Aggregator) flush(ctx context.Context, jobs []*job, rows int, chDown bool) (ok bool) {
	rs := make([]reaction.Reaction, 0, rows)
	for _, j := range jobs {
		rs = append(rs, j.rs...)
	}
	ok = true
	if !chDown && a.spool.Records() == 0 {
		res, err := a.write(ctx, rs)
		if err == nil {
			off := 0
			for _, j := range jobs {
				r := jobResult{}
				for i := range j.rs {
					if res.Duplicate[off+i] {
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
		ok = false
	}
	err := a.spoolReactions(rs)
	for _, j := range jobs {
		if err != nil {
			a.answer(j, jobResult{err: err})
		} else {
			a.answer(j, jobResult{accepted: len(j.rs)})
		}
	}
	return ok
}

// answer sends a job its result and frees its place in the queue.
func (a *Aggregator) answer(j *job, r jobResult) {
	if r.err == nil {
		a.m.accepted.Add(float64(r.accepted + r.duplicates))
	}
	j.res <- r
	a.rows.release(int64(len(j.rs)))
}

// write labels and stores a batch with exact deduplication.
func (a *Aggregator) write(ctx context.Context, rs []reaction.Reaction) (res writeResult, err error) {
	wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
	defer cancel()
	start := time.Now()
	r, err := a.st.Write(wctx, rs, nil) // labelled on the way in
	a.m.flush.Observe(time.Since(start).Seconds())
	if err != nil {
		a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
		a.log.Warn("ClickHouse write failed", "reactions", len(rs), "kind", errorKind(err), "err", err)
		return res, err
	}
	a.writeGen.Add(1)
	a.m.duplicates.Add(float64(r.Duplicates))
	a.m.rowsWritten.Add(float64(r.New + 2*r.Updated))
	a.log.Debug("batch written", "reactions", len(rs), "new", r.New, "updated", r.Updated, "duplicates", r.Duplicates,
		"seconds", time.Since(start).Seconds())
	return writeResult{Duplicate: r.Duplicate}, nil
}

type writeResult struct{ Duplicate []bool }

// spoolReactions appends a batch to the spool as one record.
func (a *Aggregator) spoolReactions(rs []reaction.Reaction) error {
	b, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("encode spool record: %w", err)
	}
	if err := a.spool.Append(kindReactions, b); err != nil {
		a.log.Error("cannot spool a batch; its senders get an error and will resend", "reactions", len(rs), "err", err)
		return fmt.Errorf("spool: %w", err)
	}
	a.m.spooled.Add(float64(len(rs)))
	return nil
}

// drainOne applies the first spooled record to ClickHouse and marks it
// done. A record that cannot be decoded (it passed its checksum, so only a
// bug writes one) is logged and skipped, so that it cannot stop the spool.
func (a *Aggregator) drainOne(ctx context.Context) error {
	rec, err := a.spool.Peek()
	if err != nil {
		if !errors.Is(err, spool.ErrEmpty) {
			a.log.Error("spool: cannot read the next record", "err", err)
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, a.cfg.WriteTimeout)
	defer cancel()
	var derr error // decoding error: skip the record
	switch rec.Kind {
	case kindReactions:
		var rs []reaction.Reaction
		if derr = json.Unmarshal(rec.Data, &rs); derr == nil {
			_, err = a.write(ctx, rs)
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
		a.log.Error("spool: skipping a record that does not decode", "kind", rec.Kind, "bytes", len(rec.Data), "err", derr)
	}
	if err != nil {
		return err
	}
	if err := a.spool.Done(); err != nil {
		a.log.Error("spool: cannot record progress", "err", err)
		return err
	}
	if a.spool.Records() == 0 {
		a.log.Info("spool drained into ClickHouse")
	}
	return nil
}
