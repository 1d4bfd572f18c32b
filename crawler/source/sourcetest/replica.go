package sourcetest

import (
	"net/http/httptest"
	"testing"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// Fixture returns the edge-case items of platform p's replica, failing the
// test when no replica is registered for p.
func Fixture(t testing.TB, p reaction.Platform) []replica.Item {
	t.Helper()
	rp, ok := replica.Platforms()[p]
	if !ok || rp.Fixture == nil {
		t.Fatalf("no %s replica is registered", p)
	}
	return rp.Fixture()
}

// StartReplica serves s on a loopback test server closed when the test ends.
func StartReplica(t testing.TB, s *replica.Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

// MarkStarters flags in want (expected reactions by id) the thread starters
// that src names on the platforms where naming one makes it a thread
// starter (replica.NamedStarters); src may be nil. It returns want.
func MarkStarters(want map[string]reaction.Reaction, d *replica.Dataset, src *story.Source) map[string]reaction.Reaction {
	if src == nil {
		return want
	}
	for _, id := range replica.NamedStarters(d, *src) {
		if r, ok := want[id]; ok {
			r.IsRoot = true
			want[id] = r
		}
	}
	return want
}
