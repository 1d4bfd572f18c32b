package crawler

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// TestSentLineFormat: the sent log's lines are written in the documented
// format (state.go) and read back unchanged.
func TestSentLineFormat(t *testing.T) {
	tests := []struct {
		source, id string
		e          sentEntry
	}{
		{"web", "web:https://news.example.com/2020/10/01/teigen/#comment-12", sentEntry{digest: 0x0123456789abcdef, firstSeen: 1601510400}},
		{"reddit-search", "reddit:t1_abc", sentEntry{digest: 0, firstSeen: 0}},
		{"hn", "hackernews:41234567", sentEntry{digest: math.MaxUint64, firstSeen: math.MaxUint32}},
		{"lemmy", "lemmy:https://lemmy.example/comment/7", sentEntry{digest: 0xf, firstSeen: 7}},
	}
	var buf []byte
	for _, tt := range tests {
		buf = appendSentLine(buf[:0], tt.source, tt.id, tt.e)
		want := fmt.Sprintf("%s\t%s\t%016x\t%d\n", tt.source, tt.id, tt.e.digest, tt.e.firstSeen)
		if string(buf) != want {
			t.Errorf("appendSentLine = %q, want %q", buf, want)
		}
		src, id, e, ok := parseSentLine(buf)
		if !ok || src != tt.source || id != tt.id || e != tt.e {
			t.Errorf("parseSentLine(%q) = %q, %q, %+v, %v", buf, src, id, e, ok)
		}
	}
}

// digestFNV is the digest as first written, with hash/fnv: the sent logs
// of earlier runs hold its values, so digest must keep computing them.
func digestFNV(r *reaction.Reaction) uint64 {
	h := fnv.New64a()
	var n [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(v int64) {
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	str(r.ID)
	str(r.Text)
	if r.Deleted {
		num(1)
	} else {
		num(0)
	}
	num(r.Likes)
	num(r.Replies)
	str(r.ParentID)
	str(r.RootID)
	num(r.CreatedAt.Unix())
	str(r.URL)
	str(r.Lang)
	str(r.Author)
	return h.Sum64()
}

// TestDigestAndKeyUnchanged: digest and idKey give the values stored in
// existing sent logs (hash/fnv's FNV-1a over the same bytes).
func TestDigestAndKeyUnchanged(t *testing.T) {
	rs := []reaction.Reaction{
		{},
		{ID: "web:https://news.example.com/a/#comment-1", Text: "Sending love ❤️ to the family", Likes: 12, Replies: -3,
			ParentID: "web:https://news.example.com/a/", RootID: "web:https://news.example.com/a/",
			CreatedAt: time.Date(2020, 10, 1, 3, 4, 5, 0, time.UTC), URL: "https://news.example.com/a/#comment-1", Lang: "en", Author: "a_0123456789abcdef"},
		{ID: "reddit:t1_x", Deleted: true, CreatedAt: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Likes: math.MaxInt64},
	}
	for i, r := range rs {
		if got, want := digest(&r), digestFNV(&r); got != want {
			t.Errorf("reaction %d: digest = %016x, want %016x", i, got, want)
		}
		h := fnv.New64a()
		h.Write([]byte(r.ID))
		if got, want := idKey(r.ID), h.Sum64(); got != want {
			t.Errorf("reaction %d: idKey = %016x, want %016x", i, got, want)
		}
		// A thread starter flag or a content warning is a change worth
		// sending (and two different ones differ).
		root, cw, both := r, r, r
		root.IsRoot, cw.ContentWarning, both.IsRoot, both.ContentWarning = true, "loss", true, "loss"
		seen := map[uint64]bool{digest(&r): true}
		for _, x := range []reaction.Reaction{root, cw, both} {
			if d := digest(&x); seen[d] {
				t.Errorf("reaction %d: is_root %v, content warning %q: digest unchanged", i, x.IsRoot, x.ContentWarning)
			} else {
				seen[d] = true
			}
		}
	}
}

// TestCursorsPerBatcher: a poll and a live stream queue cursors through
// batchers of their own, each with its own seqs; one's acknowledged
// watermark commits only its cursors, and dropping one's keeps the
// other's.
func TestCursorsPerBatcher(t *testing.T) {
	s, err := openState(t.TempDir(), "story")
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	poll, live := &batcher{}, &batcher{}
	s.setCursor("reddit", "k", "poll-5", 5, poll)
	s.setCursor("bluesky", "jetstream/cursor", "live-3", 3, live)
	s.setCursor("bluesky", "jetstream/cursor", "live-9", 9, live)
	if err := s.commitCursors(poll, 9); err != nil {
		t.Fatal(err)
	}
	if got := s.cursor("bluesky", "jetstream/cursor"); got != "" {
		t.Fatalf("the poll's watermark committed the stream's cursor %q", got)
	}
	if err := s.commitCursors(live, 4); err != nil {
		t.Fatal(err)
	}
	if a, b := s.cursor("reddit", "k"), s.cursor("bluesky", "jetstream/cursor"); a != "poll-5" || b != "live-3" {
		t.Fatalf("cursors %q %q", a, b)
	}
	s.setCursor("reddit", "k", "poll-7", 7, poll)
	s.dropPendingCursors(poll)
	if err := s.commitCursors(live, 9); err != nil {
		t.Fatal(err)
	}
	if err := s.commitCursors(poll, 9); err != nil {
		t.Fatal(err)
	}
	if a, b := s.cursor("reddit", "k"), s.cursor("bluesky", "jetstream/cursor"); a != "poll-5" || b != "live-9" {
		t.Fatalf("after a drop: cursors %q %q", a, b)
	}
}
