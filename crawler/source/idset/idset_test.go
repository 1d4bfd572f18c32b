package idset

import (
	"maps"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	ids := []map[int64]bool{
		{},
		{7: true},
		{3078: true, 3079: true, 3082: true},
		{1: true, math.MaxInt64: true},
	}
	for _, set := range ids {
		if got := Decode[int64](Encode(set)); !maps.Equal(got, set) {
			t.Errorf("%v: round trip gave %v (%q)", set, got, Encode(set))
		}
	}
	hashes := map[uint64]bool{0: true, 42: true, math.MaxUint64: true, 1 << 63: true}
	if got := Decode[uint64](Encode(hashes)); !maps.Equal(got, hashes) {
		t.Errorf("hashes: round trip gave %v (%q)", got, Encode(hashes))
	}
}

// TestFormat pins the stored form: state files written by earlier runs must
// still read.
func TestFormat(t *testing.T) {
	if got, want := Encode(map[int64]bool{3082: true, 3078: true, 3079: true}), "2di,1,3"; got != want {
		t.Errorf("Encode = %q, want %q", got, want)
	}
	if got, want := Encode(map[uint64]bool{36: true, 1: true}), "1,z"; got != want {
		t.Errorf("Encode = %q, want %q", got, want)
	}
}

func TestDamaged(t *testing.T) {
	tests := []struct {
		in   string
		want map[int64]bool
	}{
		{"", map[int64]bool{}},
		{"a,1,!,5", map[int64]bool{10: true, 11: true}},
		{"a,-1,5", map[int64]bool{10: true}},   // negative difference: damage
		{"zzzzzzzzzzzzzzzz", map[int64]bool{}}, // overflow
	}
	for _, tt := range tests {
		if got := Decode[int64](tt.in); !maps.Equal(got, tt.want) {
			t.Errorf("Decode(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := Decode[uint64]("a,-1"); !maps.Equal(got, map[uint64]bool{10: true}) {
		t.Errorf("Decode[uint64] = %v", got)
	}
}
