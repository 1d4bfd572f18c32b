// Package storyshard assigns each story to one of N processes by a hash
// of its id, as Prometheus assigns scrape targets (hashmod): no
// coordinator, only the same N everywhere. An aggregator started with
// --shard i/N accepts the stories it owns; a crawler given N aggregators
// sends each story to its owner.
//
// The hash is ClickHouse's cityHash64, the one the cluster's Distributed
// tables shard by: with as many aggregators as ClickHouse shards, the
// aggregator i writes to shard i+1 only.
package storyshard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-faster/city"
)

// Shard is process Index of Count (Index from 0). The zero value owns
// every story.
type Shard struct {
	Index, Count int
}

// Parse reads "i/N" (0 <= i < N).
func Parse(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/N with 0 <= i < N, e.g. 0/2", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String returns "i/N".
func (s Shard) String() string {
	if s.Count <= 1 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Hash is ClickHouse's cityHash64 of the story id.
func Hash(story string) uint64 { return city.CH64([]byte(story)) }

// Owner returns the index of the process, of n, that owns story.
func Owner(story string, n int) int {
	if n <= 1 {
		return 0
	}
	return int(Hash(story) % uint64(n))
}

// Owns reports whether s owns story.
func (s Shard) Owns(story string) bool {
	return s.Count <= 1 || Owner(story, s.Count) == s.Index
}
