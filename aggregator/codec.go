package aggregator

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// The spool holds labelled reactions in a compact binary form: the writer
// decodes every spooled reaction on its single goroutine, where JSON would
// cost several times more.
//
//	version byte (3), count uvarint, then per reaction:
//	strings as uvarint length + bytes: story, platform, id, parent_id,
//	root_id, url, author, text, lang, stance, classifier, content_warning,
//	relation;
//	created_at, first_seen as varint Unix nanoseconds (0: zero time);
//	likes, replies as varint; deleted, is_root as a byte each;
//	stance_score as float64 bits.
//
// Versions 1 (without content_warning, is_root and relation) and 2
// (without relation) are still read: a spool written before an upgrade
// drains after it (the writer's Normalize gives its replies
// reaction.RelationReply).
const codecVersion = 3

var errCodec = errors.New("spooled reactions do not decode")

func encodeReactions(rs []reaction.Reaction) []byte {
	size := 16
	for i := range rs {
		r := &rs[i]
		size += 13*2 + 41 + len(r.Story) + len(r.Platform) + len(r.ID) + len(r.ParentID) + len(r.RootID) + len(r.URL) +
			len(r.Author) + len(r.Text) + len(r.Lang) + len(r.Stance) + len(r.Classifier) + len(r.ContentWarning) + len(r.Relation)
	}
	b := make([]byte, 0, size)
	b = append(b, codecVersion)
	b = binary.AppendUvarint(b, uint64(len(rs)))
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	ts := func(t time.Time) {
		if t.IsZero() {
			b = binary.AppendVarint(b, 0)
		} else {
			b = binary.AppendVarint(b, t.UnixNano())
		}
	}
	for i := range rs {
		r := &rs[i]
		str(r.Story)
		str(string(r.Platform))
		str(r.ID)
		str(r.ParentID)
		str(r.RootID)
		str(r.URL)
		str(r.Author)
		str(r.Text)
		str(r.Lang)
		str(string(r.Stance))
		str(r.Classifier)
		str(r.ContentWarning)
		str(r.Relation)
		ts(r.CreatedAt)
		ts(r.FirstSeen)
		b = binary.AppendVarint(b, r.Likes)
		b = binary.AppendVarint(b, r.Replies)
		b = append(b, flag(r.Deleted), flag(r.IsRoot))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.StanceScore))
	}
	return b
}

func flag(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decodeReactions appends the reactions encoded in b to rs. Their strings
// are cut from one copy of b: one allocation per record rather than eleven
// per reaction (the reactions of a record are written, and dropped,
// together).
func decodeReactions(b []byte, rs []reaction.Reaction) ([]reaction.Reaction, error) {
	if len(b) == 0 || b[0] < 1 || b[0] > codecVersion {
		return rs, fmt.Errorf("%w: unknown format", errCodec)
	}
	v2, v3 := b[0] >= 2, b[0] >= 3
	all := string(b)
	off := 1 // of b in all
	b = b[1:]
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b, off = b[n:], off+n
		return v
	}
	sv := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b, off = b[n:], off+n
		return v
	}
	str := func() string {
		n := uv()
		if bad || n > uint64(len(b)) {
			bad = true
			return ""
		}
		s := all[off : off+int(n)]
		b, off = b[n:], off+int(n)
		return s
	}
	ts := func() time.Time {
		ns := sv()
		if ns == 0 {
			return time.Time{}
		}
		return time.Unix(0, ns).UTC()
	}
	count := uv()
	if bad || count > uint64(len(b)) {
		return rs, fmt.Errorf("%w: bad count", errCodec)
	}
	for i := uint64(0); i < count; i++ {
		var r reaction.Reaction
		r.Story = str()
		r.Platform = reaction.Platform(str())
		r.ID = str()
		r.ParentID = str()
		r.RootID = str()
		r.URL = str()
		r.Author = str()
		r.Text = str()
		r.Lang = str()
		r.Stance = reaction.Stance(str())
		r.Classifier = str()
		if v2 {
			r.ContentWarning = str()
		}
		if v3 {
			r.Relation = str()
		}
		r.CreatedAt = ts()
		r.FirstSeen = ts()
		r.Likes = sv()
		r.Replies = sv()
		flags := 1
		if v2 {
			flags = 2
		}
		if bad || len(b) < flags+8 {
			return rs, fmt.Errorf("%w: truncated", errCodec)
		}
		r.Deleted = b[0] == 1
		r.IsRoot = v2 && b[1] == 1
		r.StanceScore = math.Float64frombits(binary.LittleEndian.Uint64(b[flags : flags+8]))
		b, off = b[flags+8:], off+flags+8
		rs = append(rs, r)
	}
	if len(b) != 0 {
		return rs, fmt.Errorf("%w: %d bytes left over", errCodec, len(b))
	}
	return rs, nil
}
