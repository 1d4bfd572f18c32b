package stance

import "math/bits"

// hashTable is a read-only open-addressing table keyed by the FNV-1a hash of
// a folded word, the hash the tokenizer computes anyway for the word's
// features. It replaces map[string] lookups on the hot path: no second hash
// over the bytes, no string conversion. The key bytes are still compared on
// a hash match, so a collision can never attach the wrong entry.
type hashTable[V any] struct {
	// slots holds the upper 32 bits of an entry's hash and its index+1 in
	// ents; 0 is an empty slot. Eight bytes a slot keep the table small
	// enough to stay in cache.
	slots []uint64
	shift uint // 64 - log2(len(slots))
	ents  []hashEntry[V]
}

type hashEntry[V any] struct {
	key string
	v   V
}

// fibMul spreads FNV-1a's weakly mixed low bits before taking a slot index
// from the top bits (Fibonacci hashing).
const fibMul = 0x9E3779B97F4A7C15

// newHashTable builds a table from m, at most half full.
func newHashTable[V any](m map[string]V) hashTable[V] {
	n := 2 * max(len(m), 4)
	b := bits.Len(uint(n - 1)) // smallest power of two >= n
	t := hashTable[V]{slots: make([]uint64, 1<<b), shift: uint(64 - b), ents: make([]hashEntry[V], 0, len(m))}
	mask := uint64(len(t.slots) - 1)
	for k, v := range m {
		h := hashString(k)
		t.ents = append(t.ents, hashEntry[V]{k, v})
		i := (h * fibMul) >> t.shift
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = h&^0xFFFFFFFF | uint64(len(t.ents))
	}
	return t
}

// tabGet returns the value for key w, whose FNV-1a hash is h.
func tabGet[V any, K string | []byte](t *hashTable[V], h uint64, w K) (V, bool) {
	mask := uint64(len(t.slots) - 1)
	tag := h &^ 0xFFFFFFFF
	for i := (h * fibMul) >> t.shift; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			var zero V
			return zero, false
		}
		if s&^0xFFFFFFFF == tag {
			if e := &t.ents[s&0xFFFFFFFF-1]; e.key == string(w) {
				return e.v, true
			}
		}
	}
}
