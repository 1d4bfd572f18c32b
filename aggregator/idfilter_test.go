package aggregator

import (
	"context"
	"slices"
	"testing"

	"github.com/reactions-research/reactions/store/chtest"
)

// TestIDFilterKeepsWrittenIDsAcrossAFailedLoad: ids a write registers while
// the filter cannot be loaded stay in it, so a later load, which reads only
// what the table holds (a write under way is not there yet), still reports
// them as possibly stored.
func TestIDFilterKeepsWrittenIDsAcrossAFailedLoad(t *testing.T) {
	st := chtest.New(t)
	f := newIDFilter(st.Conn())
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.MayBeStored(cancelled, "s", []string{"a"}); err == nil {
		t.Fatal("a load with a cancelled context succeeded")
	}
	if f.definitelyNew("s", "x") {
		t.Fatal("an unloaded filter calls an id new")
	}
	f.Writing("s", []string{"x"}) // a write under way, not in the table yet
	got, err := f.MayBeStored(context.Background(), "s", []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, "x") {
		t.Fatalf("MayBeStored after a failed load = %v: the id written meanwhile is lost", got)
	}
	if !f.definitelyNew("s", "y") || f.definitelyNew("s", "x") {
		t.Fatal("once loaded, y is new and x may be stored")
	}
}
