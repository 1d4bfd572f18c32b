package chcluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

var shared struct {
	sync.Mutex
	c   *Cluster
	err error
}

// Shared returns the test binary's cluster of 2 shards × 2 replicas,
// started on first use. A test package that uses it stops it from its
// TestMain with StopShared. Tests that kill servers start their own.
func Shared() (*Cluster, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.c == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.c, shared.err = Start(ctx, Options{})
	}
	return shared.c, shared.err
}

// StopShared stops the shared cluster, if one was started.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.c != nil {
		shared.c.Stop()
		shared.c = nil
	}
}

// DSN returns the cluster DSN of a fresh database for this test on c,
// dropped on every server when the test ends.
func DSN(t testing.TB, c *Cluster) string {
	t.Helper()
	name := chtest.DatabaseName(t)
	dsn := c.DSN(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s, err := store.Open(ctx, dsn, store.Options{NoMigrate: true})
		if err != nil {
			return
		}
		defer s.Close()
		_ = s.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+name+" ON CLUSTER "+Name)
	})
	return dsn
}

// Open returns a Store in cluster mode on a fresh database of the shared
// cluster, every migration applied. The test fails, with how to install
// what is missing, when the cluster cannot be started.
func Open(t testing.TB, opt store.Options) (*store.Store, *Cluster) {
	t.Helper()
	c, err := Shared()
	if err != nil {
		t.Fatalf("the cluster tests need a local ClickHouse cluster and none could be started: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, DSN(t, c), opt)
	if err != nil {
		t.Fatalf("open a store on the cluster: %v\n%s", err, c.Logs(10))
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}
