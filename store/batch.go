package store

import (
	"context"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// PrepareBatch prepares an INSERT on conn, as conn.PrepareBatch does, with a
// context that follows ctx (cancellation, deadline, values) only until the
// batch is sent or aborted. Every INSERT of the project goes through it.
//
// clickhouse-go (v2.50) watches the context of Send from a goroutine that
// closes the connection when the context ends. If that goroutine has not
// run yet when Send returns, and the context ends right after (a caller's
// deferred cancel, an HTTP request that ends), it closes the connection that
// is back in the pool by then, and the next query on it fails with "use of
// closed network connection" (ClickHouse/clickhouse-go#2032). A context that
// no longer ends once the batch is done avoids that, except for a cancel
// from another goroutine in the instant between the end of Send and the
// detaching of the context.
func PrepareBatch(ctx context.Context, conn driver.Conn, query string) (driver.Batch, error) {
	bctx := newBatchContext(ctx)
	b, err := conn.PrepareBatch(bctx, query)
	if err != nil {
		bctx.detach()
		return nil, err
	}
	return &detachingBatch{Batch: b, ctx: bctx}, nil
}

// detachingBatch detaches its context from its parent once sent or aborted.
type detachingBatch struct {
	driver.Batch
	ctx *batchContext
}

func (b *detachingBatch) Send() error {
	defer b.ctx.detach()
	return b.Batch.Send()
}

func (b *detachingBatch) Abort() error {
	defer b.ctx.detach()
	return b.Batch.Abort()
}

// batchContext ends when its parent ends, unless detached before.
type batchContext struct {
	context.Context // the parent: Deadline and Value
	done            chan struct{}
	stop            func() bool // stops following the parent

	mu       sync.Mutex
	err      error
	detached bool
}

func newBatchContext(parent context.Context) *batchContext {
	c := &batchContext{Context: parent, done: make(chan struct{})}
	c.stop = context.AfterFunc(parent, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.detached && c.err == nil {
			c.err = parent.Err()
			close(c.done)
		}
	})
	return c
}

// detach makes sure c never ends from now on (unless it already has).
func (c *batchContext) detach() {
	c.mu.Lock()
	c.detached = true
	c.mu.Unlock()
	c.stop()
}

func (c *batchContext) Done() <-chan struct{} { return c.done }

func (c *batchContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
