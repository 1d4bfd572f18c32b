package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestCancelAfterSendKeepsTheConnection sends small INSERTs, each cancelling
// its context as soon as Send returns (a deferred cancel, an HTTP request
// that ends), while other goroutines keep the scheduler busy, and queries
// after each: the connection the batch used, back in the pool, must stay
// usable (see PrepareBatch).
func TestCancelAfterSendKeepsTheConnection(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	if err := s.Conn().Exec(ctx, "CREATE TABLE cancel_after_send (x UInt64) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var spin [64]chan struct{}
				for k := range spin {
					spin[k] = make(chan struct{})
					go func(c chan struct{}) { close(c) }(spin[k])
				}
				for _, c := range spin {
					<-c
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := 0; i < 100; i++ {
		bctx, cancel := context.WithCancel(ctx)
		b, err := store.PrepareBatch(bctx, s.Conn(), "INSERT INTO cancel_after_send (x)")
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		if err := b.Append(uint64(i)); err != nil {
			t.Fatal(err)
		}
		err = b.Send()
		cancel()
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		var n uint64
		if err := s.Conn().QueryRow(ctx, "SELECT count() FROM cancel_after_send").Scan(&n); err != nil || n != uint64(i+1) {
			t.Fatalf("query after insert %d: %d rows, %v", i, n, err)
		}
	}
}
