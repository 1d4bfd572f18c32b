package store

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Insert is an INSERT that a store's connection sent and the server
// acknowledged, as Options.OnInsert receives it.
type Insert struct {
	// Query is the statement given to PrepareBatch, e.g. "INSERT INTO
	// reactions (story, platform, …)".
	Query string
	// Columns are the batch's columns, in the statement's order.
	Columns []InsertColumn
}

// InsertColumn is one column of an Insert.
type InsertColumn struct {
	// Name and Type are the column's name and ClickHouse type.
	Name, Type string
	// Values holds one value per row, as clickhouse-go holds it (a string
	// for an Enum8, a time.Time for a DateTime, …).
	Values []any
}

// observedConn hands every batch it sends to onInsert (see
// Options.OnInsert).
type observedConn struct {
	driver.Conn
	onInsert func(Insert)
}

func (c observedConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	b, err := c.Conn.PrepareBatch(ctx, query, opts...)
	if err != nil {
		return nil, err
	}
	return &observedBatch{Batch: b, query: query, onInsert: c.onInsert}, nil
}

type observedBatch struct {
	driver.Batch
	query    string
	onInsert func(Insert)
}

// Send copies the batch's rows, sends it, and reports it once the server
// has acknowledged it.
func (b *observedBatch) Send() error {
	ins := Insert{Query: b.query}
	for _, c := range b.Batch.Columns() {
		ic := InsertColumn{Name: c.Name(), Type: string(c.Type()), Values: make([]any, c.Rows())}
		for i := range ic.Values {
			ic.Values[i] = c.Row(i, false)
		}
		ins.Columns = append(ins.Columns, ic)
	}
	if err := b.Batch.Send(); err != nil {
		return err
	}
	b.onInsert(ins)
	return nil
}
