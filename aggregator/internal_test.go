package aggregator

import (
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

func TestCodecRoundTrip(t *testing.T) {
	t0 := time.Date(2020, 10, 1, 2, 3, 4, 500, time.UTC)
	rs := []reaction.Reaction{
		{Story: "teigen-loss", Platform: reaction.Reddit, ID: "reddit:t1_a", ParentID: "reddit:t3_x", RootID: "reddit:t3_x",
			URL: "https://example.org/a", CreatedAt: t0, FirstSeen: t0.Add(time.Hour), Author: "a_0123456789abcdef",
			Text: "So sorry 💔 \x00 with a NUL", Lang: "en", Likes: 12, Replies: 3, Deleted: true,
			Stance: reaction.Support, StanceScore: 0.8125, Classifier: "stance-v1+lr-1234", ContentWarning: "loss, grief", Relation: reaction.RelationQuote},
		{Story: "teigen-loss", Platform: reaction.HackerNews, ID: "hackernews:1", Likes: -40, IsRoot: true},
		{},
	}
	got, err := decodeReactions(encodeReactions(rs), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rs) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rs)
	}
	enc := encodeReactions(rs)
	for _, bad := range [][]byte{nil, {2}, enc[:len(enc)-1], append(append([]byte(nil), enc...), 0)} {
		if _, err := decodeReactions(bad, nil); err == nil {
			t.Errorf("decoding %d damaged bytes: no error", len(bad))
		}
	}
}

// TestCodecReadsVersion1 decodes a spool record written before version 2
// (no content_warning, no is_root).
func TestCodecReadsVersion1(t *testing.T) {
	b := []byte{1, 1}
	for _, s := range []string{"teigen-loss", "reddit", "reddit:t1_a", "reddit:t3_x", "reddit:t3_x", "", "a_0123456789abcdef",
		"So sorry", "en", "support", "v1"} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	t0 := time.Date(2020, 10, 1, 2, 3, 4, 0, time.UTC)
	b = binary.AppendVarint(b, t0.UnixNano())
	b = binary.AppendVarint(b, 0)
	b = binary.AppendVarint(b, -3)
	b = binary.AppendVarint(b, 2)
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(0.5))
	got, err := decodeReactions(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []reaction.Reaction{{Story: "teigen-loss", Platform: reaction.Reddit, ID: "reddit:t1_a", ParentID: "reddit:t3_x",
		RootID: "reddit:t3_x", Author: "a_0123456789abcdef", Text: "So sorry", Lang: "en", Stance: reaction.Support,
		Classifier: "v1", CreatedAt: t0, Likes: -3, Replies: 2, Deleted: true, StanceScore: 0.5}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("version 1:\n got %+v\nwant %+v", got, want)
	}
}

func TestPseudonymShape(t *testing.T) {
	p, _ := reaction.NewPseudonymizer([]byte("0123456789abcdef0123"), false)
	for _, h := range []string{"x", "ChrissyTeigen", "someone@mastodon.social"} {
		if a := p.Author(reaction.Mastodon, h); !isPseudonym(a) {
			t.Errorf("pseudonymizer output %q not recognised", a)
		}
	}
	for _, s := range []string{"chrissyteigen", "a_0123456789ABCDEF", "a_0123456789abcde", "a_0123456789abcdefa", "b_0123456789abcdef"} {
		if isPseudonym(s) {
			t.Errorf("%q taken for a pseudonym", s)
		}
	}
}

// decodeBase is the start of a plain reaction line.
const decodeBase = `"story":"teigen-loss","platform":"reddit","id":"reddit:t1_a","created_at":"2020-10-01T02:03:04Z"`

// TestDecodeLineRepairsSideFields: a side member of the wrong type or not
// UTF-8 is left empty (or kept with U+FFFD) and named, and the others are
// read; an identifying member of the wrong type or not UTF-8 rejects the
// line.
func TestDecodeLineRepairsSideFields(t *testing.T) {
	for _, tt := range []struct {
		line     string
		repaired []string
		reject   string
		check    func(r *reaction.Reaction) bool
	}{
		{`{` + decodeBase + `,"likes":"many","text":"kept","replies":3}`, []string{"likes"}, "",
			func(r *reaction.Reaction) bool { return r.Likes == 0 && r.Text == "kept" && r.Replies == 3 }},
		{`{` + decodeBase + `,"is_root":"yes","lang":5,"deleted":1,"url":["x"]}`, []string{"url", "lang", "deleted", "is_root"}, "",
			func(r *reaction.Reaction) bool { return !r.IsRoot && r.Lang == "" && !r.Deleted && r.URL == "" }},
		{`{` + decodeBase + `,"text":"candle ` + "\xff" + `"}`, []string{"text"}, "",
			func(r *reaction.Reaction) bool { return r.Text == "candle \uFFFD" }},
		{`{` + decodeBase + `,"first_seen":"last week","likes":-40}`, []string{"first_seen"}, "",
			func(r *reaction.Reaction) bool { return r.FirstSeen.IsZero() && r.Likes == -40 }},
		{`{` + decodeBase + `,"platform":7}`, nil, "platform: got a JSON number, want a string", nil},
		{`{"story":"teigen-loss","platform":"reddit","id":"reddit:t1_` + "\xff" + `","created_at":"2020-10-01T02:03:04Z"}`, nil, "id: not valid UTF-8", nil},
		{`{` + decodeBase + `,"created_at":"yesterday"}`, nil, "created_at: not RFC 3339", nil},
	} {
		var r reaction.Reaction
		fixed, e := decodeLine([]byte(tt.line), &r)
		switch {
		case tt.reject != "":
			if e == nil || e.msg != tt.reject {
				t.Errorf("%s: %v, want rejected with %q", tt.line, e, tt.reject)
			}
		case e != nil:
			t.Errorf("%s: rejected: %v", tt.line, e)
		case !reflect.DeepEqual(fixed, tt.repaired) || !tt.check(&r):
			t.Errorf("%s: repaired %v, want %v; got %+v", tt.line, fixed, tt.repaired, r)
		}
	}
}

// BenchmarkDecodeLine measures decoding a line of the usual size.
func BenchmarkDecodeLine(b *testing.B) {
	line := []byte(`{` + decodeBase + `,"parent_id":"reddit:t1_9","root_id":"reddit:t3_x","url":"https://www.reddit.com/r/news/comments/x/y/a/",` +
		`"author":"a_0123456789abcdef","text":"Sending so much love to Chrissy and John. Nobody should have to go through this, and sharing it ` +
		`takes courage.","lang":"en","likes":1234,"replies":5,"deleted":false,"first_seen":"2020-10-01T03:00:00Z"}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var r reaction.Reaction
		if _, e := decodeLine(line, &r); e != nil {
			b.Fatal(e)
		}
	}
}

// TestSlotsStallClock: /healthz's stall clock runs while every slot is
// held with none given back, and starts again when one is given back and
// taken at once.
func TestSlotsStallClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSlots(2)
		ctx := context.Background()
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		if d := s.stalled(); d != 0 {
			t.Fatalf("one of two slots held: stalled %v, want 0", d)
		}
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if d := s.stalled(); d != 10*time.Second || s.busy() != 2 {
			t.Fatalf("both held for 10 s: stalled %v, busy %d", d, s.busy())
		}
		// A waiter takes the slot given back: the clock starts again.
		got := make(chan error)
		go func() { got <- s.acquire(ctx) }()
		synctest.Wait()
		s.release()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if d := s.stalled(); d != time.Second {
			t.Fatalf("stalled %v after a slot changed hands 1 s ago", d)
		}
		// A waiter gives up when its context ends.
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := s.acquire(cctx); err == nil {
			t.Fatal("acquire beyond the size should wait until cancelled")
		}
		s.release()
		if d := s.stalled(); d != 0 || s.busy() != 1 {
			t.Fatalf("one slot free: stalled %v, busy %d", d, s.busy())
		}
	})
}
