package fnv1a

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
)

func TestMatchesHashFNV(t *testing.T) {
	for _, s := range []string{"", "a", "reddit:t1_abc", "So sorry 💔", "\x00\xff"} {
		for _, v := range []uint64{0, 1, 255, 1 << 40, ^uint64(0)} {
			ref := fnv.New64a()
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], v)
			ref.Write(b[:])
			ref.Write([]byte(s))
			binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
			ref.Write(b[:])
			ref.Write([]byte(s))
			if got := Field(String(Uint64(Offset, v), s), s); got != ref.Sum64() {
				t.Errorf("s=%q v=%d: %#x, hash/fnv %#x", s, v, got, ref.Sum64())
			}
		}
	}
}
