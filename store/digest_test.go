package store_test

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// referenceDigest is the digest as first defined, with hash/fnv. Stored rows
// carry it: Digest must never drift from it, or every stored reaction would
// look changed.
func referenceDigest(r *reaction.Reaction) uint64 {
	h := fnv.New64a()
	var buf [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		h.Write([]byte(s))
	}
	num := func(n int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		h.Write(buf[:])
	}
	str(string(r.Platform))
	str(r.ParentID)
	str(r.RootID)
	str(r.URL)
	num(r.CreatedAt.Unix())
	str(r.Author)
	str(r.Text)
	str(r.Lang)
	num(r.Likes)
	num(r.Replies)
	if r.Deleted {
		num(1)
	} else {
		num(0)
	}
	return h.Sum64()
}

func TestDigestIsStable(t *testing.T) {
	t0 := time.Date(2020, 10, 1, 2, 3, 4, 0, time.UTC)
	for _, r := range []reaction.Reaction{
		{},
		{Platform: reaction.Reddit, ID: "reddit:t1_a", ParentID: "reddit:t3_x", RootID: "reddit:t3_x",
			URL: "https://example.org/a", CreatedAt: t0, Author: "a_0123456789abcdef",
			Text: "So sorry 💔 for your loss", Lang: "en", Likes: 12, Replies: 3},
		{Platform: reaction.HackerNews, ID: "hackernews:1", CreatedAt: t0.Add(-100 * 365 * 24 * time.Hour), Likes: -1, Deleted: true},
		{Platform: reaction.Web, Text: "\\x00 Déjenla en paz. \\u00e9", Replies: 1 << 40},
	} {
		if got, want := store.Digest(&r), referenceDigest(&r); got != want {
			t.Errorf("Digest(%+v) = %#x, want %#x", r, got, want)
		}
	}
	if store.Digest(&reaction.Reaction{Text: "ab", Lang: "c"}) == store.Digest(&reaction.Reaction{Text: "a", Lang: "bc"}) {
		t.Error("moving a byte from one field to the next does not change the digest")
	}
}
