package storyshard_test

import (
	"testing"

	"github.com/reactions-research/reactions/internal/storyshard"
)

// TestHashIsClickHouses: the values are what ClickHouse 18.16 answered for
// SELECT cityHash64(s); the Distributed tables shard by the same.
func TestHashIsClickHouses(t *testing.T) {
	for _, tc := range []struct {
		story string
		want  uint64
	}{
		{"", 11160318154034397263},
		{"a", 2603192927274642682},
		{"chrissy-teigen-jack", 11089024571747695121},
		{"alpha", 1772952377847748331},
		{"bravo", 5884420969532618925},
		{"minister-resigns", 6013866728386489013},
		{"story-with-a-rather-long-identifier-of-64-bytes-0123456789abcdef", 17885052990494794603},
	} {
		if got := storyshard.Hash(tc.story); got != tc.want {
			t.Errorf("Hash(%q) = %d, want %d", tc.story, got, tc.want)
		}
	}
}

func TestParseAndOwns(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want storyshard.Shard
		ok   bool
	}{
		{"0/2", storyshard.Shard{Index: 0, Count: 2}, true},
		{"1/2", storyshard.Shard{Index: 1, Count: 2}, true},
		{" 2 / 3 ", storyshard.Shard{Index: 2, Count: 3}, true},
		{"0/1", storyshard.Shard{Index: 0, Count: 1}, true},
		{"2/2", storyshard.Shard{}, false},
		{"-1/2", storyshard.Shard{}, false},
		{"1/0", storyshard.Shard{}, false},
		{"1", storyshard.Shard{}, false},
		{"a/b", storyshard.Shard{}, false},
	} {
		got, err := storyshard.Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	// Every story has exactly one owner among N, and the zero value owns all.
	for _, st := range []string{"alpha", "bravo", "charlie", "delta", "chrissy-teigen-jack"} {
		owners := 0
		for i := range 3 {
			if (storyshard.Shard{Index: i, Count: 3}).Owns(st) {
				owners++
				if storyshard.Owner(st, 3) != i {
					t.Errorf("%s: Owns(%d/3) but Owner %d", st, i, storyshard.Owner(st, 3))
				}
			}
		}
		if owners != 1 || !(storyshard.Shard{}).Owns(st) {
			t.Errorf("%s: %d owners of 3", st, owners)
		}
	}
}
