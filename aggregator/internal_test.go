package aggregator

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
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

func TestSemaphoreBoundsAndOrder(t *testing.T) {
	s := newSemaphore(10)
	ctx := context.Background()
	if err := s.acquire(ctx, 8); err != nil {
		t.Fatal(err)
	}
	// A waiter that does not fit blocks, and a later small one waits behind it.
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, n := range []int64{5, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.acquire(ctx, n); err != nil {
				t.Error(err)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}()
		time.Sleep(20 * time.Millisecond)
	}
	if s.used() != 8 {
		t.Fatalf("used %d, want 8: the small waiter fits but must wait behind the large one", s.used())
	}
	s.release(8)
	wg.Wait()
	if len(order) != 2 || s.used() != 6 {
		t.Fatalf("order %v used %d", order, s.used())
	}
	// A cancelled waiter gives up its place.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := s.acquire(cctx, 5); err == nil {
		t.Fatal("acquire beyond the size should wait until cancelled")
	}
	if err := s.acquire(ctx, 4); err != nil || s.used() != 10 {
		t.Fatalf("after a cancelled waiter: %v used %d", err, s.used())
	}
	// More than the size is clamped to the size (one request as big as the queue).
	s2 := newSemaphore(3)
	if err := s2.acquire(ctx, 100); err != nil || s2.used() != 3 {
		t.Fatalf("clamp: %v %d", err, s2.used())
	}
	s2.release(100)
	if s2.used() != 0 {
		t.Fatalf("clamped release: %d", s2.used())
	}
}

func TestBloomHasNoFalseNegatives(t *testing.T) {
	b := newScalableBloom()
	const n = 300000 // several layers
	for i := 0; i < n; i++ {
		b.add(fmt.Sprintf("reddit:t1_%d", i))
	}
	if len(b.layers) < 3 {
		t.Fatalf("%d layers for %d ids", len(b.layers), n)
	}
	for i := 0; i < n; i++ {
		if !b.test(fmt.Sprintf("reddit:t1_%d", i)) {
			t.Fatalf("id %d added but not found", i)
		}
	}
	fp := 0
	for i := n; i < 2*n; i++ {
		if b.test(fmt.Sprintf("reddit:t1_%d", i)) {
			fp++
		}
	}
	if rate := float64(fp) / n; rate > 0.05 {
		t.Errorf("false-positive rate %.3f", rate)
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

// decodeLine decodes one line with a fresh lineDecoder.
func decodeLine(line []byte, r *reaction.Reaction) ([]string, *lineError) {
	var d lineDecoder
	return d.decode(line, r)
}

// decodeBase is the start of a plain reaction line.
const decodeBase = `"story":"teigen-loss","platform":"reddit","id":"reddit:t1_a","created_at":"2020-10-01T02:03:04Z"`

// decodeCases are lines with encoding/json's quirks, for the fast decoder.
var decodeCases = []string{
	`{` + decodeBase + `,"text":"So sorry 💔","likes":3,"replies":0,"deleted":false}`,
	`{` + decodeBase + `,"Text":"case-insensitive names","LIKES":2}`,
	`{` + decodeBase + `,"text":"first","text":"repeated names: the last wins"}`,
	`{` + decodeBase + `,"ID":"reddit:t1_b","_id":"reddit:t1_z","i_d":"reddit:t1_y"}`,
	`{` + decodeBase + `,"parent_id":"reddit:t1_p","parentId":"reddit:t1_q","rootId":"reddit:t1_r","root-id":"reddit:t1_s"}`,
	`{"story":"teigen-loss","platform":"reddit","id":"reddit:t1_a","createdAt":"2020-10-01T02:03:04Z","first-seen":"2020-10-01T02:03:04Z"}`,
	`{` + decodeBase + `,"text":"lone surrogate \ud800 and pair \ud83d\udc94"}`,
	`{` + decodeBase + `,"text":"escapes \"\\\/\b\f\n\r\t \u00e9"}`,
	`{` + decodeBase + `,"likes":null,"text":null,"deleted":null,"first_seen":null}`,
	`{` + decodeBase + `,"likes":1e2}`,
	`{` + decodeBase + `,"likes":1.0}`,
	`{` + decodeBase + `,"likes":-0}`,
	`{` + decodeBase + `,"likes":99999999999999999999}`,
	`{` + decodeBase + `,"deleted":"true"}`,
	`{` + decodeBase + `,"extra":{"nested":[1,2,{"a":null}]},"stance":"support"}`,
	`{` + decodeBase + `,"created_at":"2020-10-01T02:03:04\u002b02:00"}`,
	`{` + decodeBase + `,"created_at":1601517784}`,
	`{` + decodeBase + `} trailing`,
	`{` + decodeBase + `,}`,
	`null`,
	`[]`,
	`"a string"`,
	`{"text":"invalid UTF-8 ` + "\xff" + `"}`,
	`{"text":"NUL \u0000 and raw control ` + "\x01" + `"}`,
	`{` + decodeBase + `,"is_root":true,"content_warning":"loss, grief","IS_ROOT":false,"Content_Warning":"loss"}`,
	`{` + decodeBase + `,"is_root":"yes","likes":"many","lang":5,"replies":-2}`,
	`{` + decodeBase + `,"first_seen":"yesterday"}`,
	`{` + decodeBase + `,"first_seen":5}`,
	`{` + decodeBase + `,"id":5}`,
	`{"story":"teigen-loss","platform":"reddit","id":"reddit:t1_` + "\xff" + `","created_at":"2020-10-01T02:03:04Z"}`,
	`{` + decodeBase + `,"text":"` + "\xff" + `","author":"a_` + "\xfe" + `"}`,
}

// TestDecodeLineAgreesWithEncodingJSON checks that the fast decoder accepts
// and reads lines exactly as encoding/json does, including its quirks.
func TestDecodeLineAgreesWithEncodingJSON(t *testing.T) {
	for _, line := range decodeCases {
		var fast, slow reaction.Reaction
		fixedFast, errFast := decodeLine([]byte(line), &fast)
		fixedSlow, errSlow := decodeLineV1([]byte(line), &slow)
		if !reflect.DeepEqual(errFast, errSlow) || !reflect.DeepEqual(fast, slow) || !reflect.DeepEqual(fixedFast, fixedSlow) {
			t.Errorf("%s:\n fast %+v (%v, repaired %v)\n encoding/json %+v (%v, repaired %v)", line, fast, errFast, fixedFast, slow, errSlow, fixedSlow)
		}
	}
}

// FuzzDecodeLine checks the same on any line: go test -fuzz FuzzDecodeLine.
func FuzzDecodeLine(f *testing.F) {
	for _, line := range decodeCases {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, slow reaction.Reaction
		var d lineDecoder
		fixedFast, errFast := d.decode(line, &fast)
		fixedSlow, errSlow := decodeLineV1(line, &slow)
		if !reflect.DeepEqual(errFast, errSlow) || !reflect.DeepEqual(fast, slow) || !reflect.DeepEqual(fixedFast, fixedSlow) {
			t.Errorf("%q:\n fast %+v (%v, repaired %v)\n encoding/json %+v (%v, repaired %v)", line, fast, errFast, fixedFast, slow, errSlow, fixedSlow)
		}
	})
}

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

// TestDecodeLineFastPath checks that lines of the usual form do not fall
// back to encoding/json (which would be correct, only three times slower).
func TestDecodeLineFastPath(t *testing.T) {
	var d lineDecoder
	for _, line := range []string{
		`{` + decodeBase + `,"parent_id":"reddit:t3_x","root_id":"reddit:t3_x","url":"https://example.org/a","author":"a_0123456789abcdef","text":"So sorry 💔","lang":"en","likes":3,"replies":0,"deleted":false,"first_seen":"2020-10-01T03:00:00Z"}`,
		`{` + decodeBase + `,"Text":"escapes \"\n\u00e9","LIKES":-2,"text":null,"deleted":true,"stance":"support","extra":[1,{"a":null}]}`,
		` {` + decodeBase + `}  `,
		`{` + decodeBase + `,"is_root":true,"content_warning":"loss, grief","likes":-40}`,
	} {
		var w wire
		var times [2]string
		if !d.fast([]byte(line), &w, &times) {
			t.Errorf("%s: fell back to encoding/json", line)
		}
	}
}

// BenchmarkDecodeLine compares the fast path with encoding/json on a line
// of the usual size.
func BenchmarkDecodeLine(b *testing.B) {
	line := []byte(`{` + decodeBase + `,"parent_id":"reddit:t1_9","root_id":"reddit:t3_x","url":"https://www.reddit.com/r/news/comments/x/y/a/",` +
		`"author":"a_0123456789abcdef","text":"Sending so much love to Chrissy and John. Nobody should have to go through this, and sharing it ` +
		`takes courage.","lang":"en","likes":1234,"replies":5,"deleted":false,"first_seen":"2020-10-01T03:00:00Z"}`)
	b.Run("fast", func(b *testing.B) {
		var d lineDecoder
		b.SetBytes(int64(len(line)))
		b.ReportAllocs()
		for b.Loop() {
			var r reaction.Reaction
			if _, e := d.decode(line, &r); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(line)))
		b.ReportAllocs()
		for b.Loop() {
			var r reaction.Reaction
			if _, e := decodeLineV1(line, &r); e != nil {
				b.Fatal(e)
			}
		}
	})
}
