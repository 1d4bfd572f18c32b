package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func mustOpen(t *testing.T, dir string, opt Options) (*Spool, OpenInfo) {
	t.Helper()
	s, info, err := Open(dir, opt)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, info
}

// drain peeks and marks done every record, returning their payloads.
func drain(t *testing.T, s *Spool) []string {
	t.Helper()
	var out []string
	for {
		r, err := s.Peek()
		if errors.Is(err, ErrEmpty) {
			return out
		}
		if err != nil {
			t.Fatalf("peek: %v", err)
		}
		out = append(out, fmt.Sprintf("%d:%s", r.Kind, r.Data))
		if err := s.Done(); err != nil {
			t.Fatalf("done: %v", err)
		}
	}
}

func TestAppendPeekDoneInOrderAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	s, _ := mustOpen(t, dir, Options{SegmentBytes: 100})
	var want []string
	for i := 0; i < 20; i++ {
		p := fmt.Sprintf("record-%02d-%s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
		if err := s.Append(byte(i%3), []byte(p)); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%d:%s", i%3, p))
	}
	if s.Records() != 20 || s.Bytes() != int64(20*(headerSize+1+len(want[0])-2)) {
		t.Fatalf("records %d bytes %d", s.Records(), s.Bytes())
	}
	segs, _ := listSegments(dir)
	if len(segs) < 5 {
		t.Fatalf("want several segments with SegmentBytes 100, got %v", segs)
	}
	// Drain half, reopen, drain the rest: nothing lost, nothing repeated.
	for i := 0; i < 10; i++ {
		r, err := s.Peek()
		if err != nil || fmt.Sprintf("%d:%s", r.Kind, r.Data) != want[i] {
			t.Fatalf("peek %d: %v %q", i, err, r.Data)
		}
		if err := s.Done(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s2, info := mustOpen(t, dir, Options{SegmentBytes: 100})
	if info.Records != 10 || info.TornBytes != 0 {
		t.Fatalf("reopen: %+v", info)
	}
	var each []string
	if err := s2.Each(func(r Record) error { each = append(each, fmt.Sprintf("%d:%s", r.Kind, r.Data)); return nil }); err != nil {
		t.Fatal(err)
	}
	got := drain(t, s2)
	if fmt.Sprint(got) != fmt.Sprint(want[10:]) || fmt.Sprint(each) != fmt.Sprint(want[10:]) {
		t.Fatalf("after reopen got\n%v\neach\n%v\nwant\n%v", got, each, want[10:])
	}
	if s2.Records() != 0 || s2.Bytes() != 0 {
		t.Fatalf("drained: records %d bytes %d", s2.Records(), s2.Bytes())
	}
	// Drained segments are deleted: one (empty) segment remains.
	segs, _ = listSegments(dir)
	if len(segs) != 1 {
		t.Fatalf("segments after drain: %v", segs)
	}
	st, _ := os.Stat(segPath(dir, segs[0]))
	if st.Size() != 0 {
		t.Fatalf("last segment holds %d bytes after drain", st.Size())
	}
	// And it keeps working after the reset.
	if err := s2.Append(1, []byte("again")); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, s2); fmt.Sprint(got) != "[1:again]" {
		t.Fatalf("after reset: %v", got)
	}
}

func TestTornTailIsCut(t *testing.T) {
	cases := []struct {
		name string
		tail func(whole []byte) []byte // bytes appended after two whole records
	}{
		{"partial header", func(w []byte) []byte { return w[:5] }},
		{"partial body", func(w []byte) []byte { return w[:len(w)-3] }},
		{"bad checksum", func(w []byte) []byte { c := append([]byte(nil), w...); c[len(c)-1] ^= 0xff; return c }},
		{"zero length", func(w []byte) []byte { return make([]byte, 12) }},
		{"huge length", func(w []byte) []byte { return []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 1} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"one", "two", "three"} {
				if err := s.Append(7, []byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			// Re-create the third record's bytes, then replace it by a torn copy.
			path := segPath(dir, 1)
			b, _ := os.ReadFile(path)
			third := b[2*(headerSize+4):]
			if err := os.WriteFile(path, append(b[:2*(headerSize+4):2*(headerSize+4)], tc.tail(third)...), 0o600); err != nil {
				t.Fatal(err)
			}
			s2, info := mustOpen(t, dir, Options{})
			if info.Records != 2 || info.TornBytes == 0 {
				t.Fatalf("open info %+v, want 2 records and torn bytes", info)
			}
			if err := s2.Append(7, []byte("four")); err != nil {
				t.Fatal(err)
			}
			if got := drain(t, s2); fmt.Sprint(got) != "[7:one 7:two 7:four]" {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestDamageBeforeTheEndIsAnError(t *testing.T) {
	dir := t.TempDir()
	s, _ := mustOpen(t, dir, Options{SegmentBytes: 10})
	for _, p := range []string{"one", "two", "three"} {
		if err := s.Append(1, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	path := segPath(dir, 1)
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 0xff
	os.WriteFile(path, b, 0o600)
	if _, _, err := Open(dir, Options{SegmentBytes: 10}); err == nil {
		t.Fatal("want an error for a damaged segment that is not the last")
	}
}

func TestTornHeadWriteKeepsPreviousHead(t *testing.T) {
	dir := t.TempDir()
	s, _ := mustOpen(t, dir, Options{})
	for _, p := range []string{"a", "b", "c"} {
		s.Append(1, []byte(p))
	}
	for i := 0; i < 2; i++ {
		s.Peek()
		s.Done()
	}
	seq := s.headSeq
	s.Close()
	// Damage the slot written last: the one before it (head after "a") wins.
	hf := filepath.Join(dir, "head")
	b, _ := os.ReadFile(hf)
	b[int(seq%2)*slotSize+10] ^= 0xff
	os.WriteFile(hf, b, 0o600)
	s2, info := mustOpen(t, dir, Options{})
	if info.Records != 2 {
		t.Fatalf("records %d, want 2 (b replayed, c)", info.Records)
	}
	if got := drain(t, s2); fmt.Sprint(got) != "[1:b 1:c]" {
		t.Fatalf("got %v", got)
	}
}

func TestClosed(t *testing.T) {
	s, _ := mustOpen(t, t.TempDir(), Options{})
	s.Close()
	if err := s.Append(1, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := s.Peek(); !errors.Is(err, ErrClosed) {
		t.Fatalf("peek after close: %v", err)
	}
}

func TestPeekWhileAndDoneN(t *testing.T) {
	dir := t.TempDir()
	s, _ := mustOpen(t, dir, Options{SegmentBytes: 40})
	for i := 0; i < 6; i++ {
		if err := s.Append(1, []byte(fmt.Sprintf("rec%d-xxxxxxxxxx", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Segments of 40 bytes take 2 records of 8+1+15 bytes: a peek stops at
	// the end of the head segment.
	seen := 0
	rs, err := s.PeekWhile(func(Record) bool { seen++; return true })
	if err != nil || len(rs) != 2 || seen != 2 {
		t.Fatalf("peek: %d records, more called %d times, %v", len(rs), seen, err)
	}
	if err := s.DoneN(3); err == nil {
		t.Fatal("DoneN beyond what was peeked must fail")
	}
	if err := s.DoneN(1); err != nil {
		t.Fatal(err)
	}
	// A limit: the first record is returned whatever more says.
	rs, err = s.PeekWhile(func(Record) bool { return false })
	if err != nil || len(rs) != 1 || string(rs[0].Data) != "rec1-xxxxxxxxxx" {
		t.Fatalf("peek after DoneN(1): %v %v", rs, err)
	}
	if err := s.DoneN(1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, info := mustOpen(t, dir, Options{SegmentBytes: 40})
	if info.Records != 4 {
		t.Fatalf("after reopen: %+v", info)
	}
	if got := drain(t, s2); fmt.Sprint(got) != "[1:rec2-xxxxxxxxxx 1:rec3-xxxxxxxxxx 1:rec4-xxxxxxxxxx 1:rec5-xxxxxxxxxx]" {
		t.Fatalf("got %v", got)
	}
}

func TestOneProcessPerSpool(t *testing.T) {
	dir := t.TempDir()
	s, _ := mustOpen(t, dir, Options{})
	if _, _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if _, err := Lock(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("lock: %v, want ErrLocked", err)
	}
	s.Close()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after close: %v", err)
	}
	unlock()
}
