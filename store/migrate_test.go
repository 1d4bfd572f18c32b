package store_test

import (
	"context"
	"testing"

	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	again, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", again)
	}
	ms, _ := store.Migrations()
	got, err := s.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ms) {
		t.Fatalf("applied %v, want %d migrations", got, len(ms))
	}
	for _, table := range []string{"reactions", "reactions_by_time", "reaction_minutes", "stories", "crawl_runs"} {
		var n uint64
		if err := s.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", s.Database(), table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: n=%d err=%v", table, n, err)
		}
	}
	t.Logf("ClickHouse %s", s.ServerVersion())
}
