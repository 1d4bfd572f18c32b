// Package fnv1a computes 64-bit FNV-1a hashes exactly as hash/fnv's New64a
// does, on strings and integers directly: hash.Hash's Write would copy
// every string into a byte slice. Stored and logged digests are built from
// it, so its values never change.
package fnv1a

// Offset is the hash of nothing: start every hash from it.
const Offset uint64 = 14695981039346656037

const prime = 1099511628211

// String hashes the bytes of s into h.
func String(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}

// Uint64 hashes v into h as 8 bytes, little-endian (as
// binary.LittleEndian.PutUint64 writes them).
func Uint64(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= prime
		v >>= 8
	}
	return h
}

// Field hashes s into h as one field of a record: its length (Uint64),
// then its bytes, so that no two different records hash the same bytes.
func Field(h uint64, s string) uint64 {
	return String(Uint64(h, uint64(len(s))), s)
}
