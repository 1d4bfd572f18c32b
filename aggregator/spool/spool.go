// Package spool is the aggregator's write-ahead log: an append-only,
// checksummed, fsynced queue of records in segment files, drained in order
// from a head that survives kill -9 (a torn record at the end is cut when
// the spool is opened; a record applied but not marked done is returned
// again, so applying one twice must be harmless). docs/architecture.md
// ("The spool") gives the layout on disk.
package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// headerSize is the size of a record header (length and checksum).
const headerSize = 8

// MaxRecordBytes bounds one record's payload.
const MaxRecordBytes = 1 << 30

// DefaultSegmentBytes is the segment size at which Append starts a new
// segment when Options.SegmentBytes is not set.
const DefaultSegmentBytes = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrEmpty is returned by Peek when every record is done.
var ErrEmpty = errors.New("spool is empty")

// ErrClosed is returned by operations on a closed spool.
var ErrClosed = errors.New("spool is closed")

// ErrLocked is returned by Open and Lock when another process holds the
// spool: one spool has one writer.
var ErrLocked = errors.New("spool is in use by another process")

// Options tune Open. The zero value is ready to use.
type Options struct {
	// SegmentBytes is the size in bytes after which appends go to a new
	// segment file, so that drained data is deleted segment by segment.
	// If <= 0, DefaultSegmentBytes (64 MiB) is used.
	SegmentBytes int64
}

// Record is one spooled record.
type Record struct {
	// Kind is the caller's record type.
	Kind byte
	// Data is the payload.
	Data []byte
}

// OpenInfo describes what Open found.
type OpenInfo struct {
	// Records and Bytes count the records not yet done and their size on disk.
	Records int
	Bytes   int64
	// TornBytes counts bytes of an incomplete record removed from the end
	// of the last segment (a crash during an append).
	TornBytes int64
}

type position struct {
	seg uint64
	off int64
}

// Spool is an on-disk FIFO of records. It is safe for concurrent use.
type Spool struct {
	mu       sync.Mutex
	dir      string
	segBytes int64

	segs    []uint64         // sequence numbers of existing segments, ascending
	sizes   map[uint64]int64 // segment sizes (valid data)
	tail    *os.File         // the last segment, open for appending
	head    position         // first record not done
	headSeq uint64           // write count of the head file (selects the slot)
	headF   *os.File         // the head file
	reader  *os.File         // open on head.seg for Peek
	rdSeg   uint64           // segment reader is open on
	peeked  []int64          // on-disk sizes of the records of the last PeekWhile not done
	records int              // records not yet done
	bytes   int64            // bytes not yet done
	closed  bool
	buf     []byte
	unlock  func()
}

// Lock takes the spool directory's lock (created if needed) without opening
// the spool, for tools that must not run beside an aggregator. It fails
// with ErrLocked at once when another process holds it.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (is another aggregator running on this state directory?)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock spool: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Open opens (creating if needed) the spool in dir, removes a torn record
// at its end, and returns it with a description of what it holds.
func Open(dir string, opt Options) (*Spool, OpenInfo, error) {
	var info OpenInfo
	if opt.SegmentBytes <= 0 {
		opt.SegmentBytes = DefaultSegmentBytes
	}
	unlock, err := Lock(dir)
	if err != nil {
		return nil, info, err
	}
	s, info, err := open(dir, opt)
	if err != nil {
		unlock()
		return nil, info, err
	}
	s.unlock = unlock
	return s, info, nil
}

func open(dir string, opt Options) (*Spool, OpenInfo, error) {
	var info OpenInfo
	s := &Spool{dir: dir, segBytes: opt.SegmentBytes, sizes: map[uint64]int64{}}
	hf, err := os.OpenFile(filepath.Join(dir, "head"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, info, fmt.Errorf("open spool head: %w", err)
	}
	s.headF = hf
	head, seq, ok, err := readHead(hf)
	if err != nil {
		hf.Close()
		return nil, info, err
	}
	segs, err := listSegments(dir)
	if err != nil {
		hf.Close()
		return nil, info, err
	}
	if !ok {
		head = position{}
		if len(segs) > 0 {
			head.seg = segs[0]
		}
	}
	s.head, s.headSeq = head, seq
	// Segments before the head are done (a crash came between writing the
	// head and deleting them).
	for len(segs) > 0 && segs[0] < head.seg {
		if err := os.Remove(segPath(dir, segs[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			hf.Close()
			return nil, info, fmt.Errorf("remove drained spool segment: %w", err)
		}
		segs = segs[1:]
	}
	if len(segs) == 0 {
		next := max(head.seg, 1)
		if err := createSegment(dir, next); err != nil {
			hf.Close()
			return nil, info, err
		}
		segs = []uint64{next}
	}
	if segs[0] != head.seg {
		// The head's segment is gone: everything left starts at the
		// first remaining segment.
		s.head = position{seg: segs[0]}
	}
	s.segs = segs
	// Scan every segment from the head: count what is left, and cut a torn
	// tail off the last segment.
	for i, seg := range segs {
		start := int64(0)
		if seg == s.head.seg {
			start = s.head.off
		}
		n, valid, size, err := scanSegment(segPath(dir, seg), start)
		if err != nil {
			hf.Close()
			return nil, info, err
		}
		if valid < size {
			if i < len(segs)-1 {
				hf.Close()
				return nil, info, fmt.Errorf("spool segment %s is damaged at byte %d (not at its end): move it out of %s to start; its records from there on would be lost",
					segPath(dir, seg), valid, dir)
			}
			if err := truncate(segPath(dir, seg), valid); err != nil {
				hf.Close()
				return nil, info, err
			}
			info.TornBytes = size - valid
		}
		if start > valid { // head beyond the data: treat as done
			start = valid
			s.head.off = valid
		}
		s.sizes[seg] = valid
		s.records += n
		s.bytes += valid - start
	}
	last := segs[len(segs)-1]
	tf, err := os.OpenFile(segPath(dir, last), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		hf.Close()
		return nil, info, fmt.Errorf("open spool segment: %w", err)
	}
	s.tail = tf
	info.Records, info.Bytes = s.records, s.bytes
	return s, info, nil
}

// Append adds a record at the end and returns once it is on disk (fsynced).
func (s *Spool) Append(kind byte, data []byte) error {
	if len(data)+1 > MaxRecordBytes {
		return fmt.Errorf("spool record of %d bytes is larger than %d", len(data), MaxRecordBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	last := s.segs[len(s.segs)-1]
	if s.sizes[last] >= s.segBytes {
		if err := s.rotate(); err != nil {
			return err
		}
		last = s.segs[len(s.segs)-1]
	}
	n := headerSize + 1 + len(data)
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	binary.LittleEndian.PutUint32(b[0:4], uint32(1+len(data)))
	b[8] = kind
	copy(b[9:], data)
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], castagnoli))
	if _, err := s.tail.Write(b); err != nil {
		// Cut off whatever part was written, so the next append does not
		// follow a torn record.
		_ = s.tail.Truncate(s.sizes[last])
		return fmt.Errorf("append to spool: %w", err)
	}
	if err := s.tail.Sync(); err != nil {
		_ = s.tail.Truncate(s.sizes[last])
		return fmt.Errorf("sync spool: %w", err)
	}
	s.sizes[last] += int64(n)
	s.records++
	s.bytes += int64(n)
	return nil
}

// rotate starts a new segment for appends.
func (s *Spool) rotate() error {
	next := s.segs[len(s.segs)-1] + 1
	if err := createSegment(s.dir, next); err != nil {
		return err
	}
	tf, err := os.OpenFile(segPath(s.dir, next), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open spool segment: %w", err)
	}
	s.tail.Close()
	s.tail = tf
	s.segs = append(s.segs, next)
	s.sizes[next] = 0
	return nil
}

// Peek returns the first record not yet done, or ErrEmpty. The record stays
// at the head until Done is called.
func (s *Spool) Peek() (Record, error) {
	rs, err := s.PeekWhile(func(Record) bool { return false })
	if err != nil {
		return Record{}, err
	}
	return rs[0], nil
}

// PeekWhile returns records from the head: the first one (or ErrEmpty),
// then each following one for which more returns true, up to the end of the
// head segment. more is called for the first record too (which is returned
// whatever it says), so that it can count. The records stay at the head
// until DoneN is called.
func (s *Spool) PeekWhile(more func(next Record) bool) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	s.peeked = s.peeked[:0]
	return s.peek(more)
}

// peekedBytes returns the on-disk size of the first n peeked records.
func (s *Spool) peekedBytes(n int) int64 {
	var size int64
	for _, sz := range s.peeked[:n] {
		size += sz
	}
	return size
}

// peek reads records from the head on (s.peeked is empty): see peekFrom.
func (s *Spool) peek(more func(next Record) bool) ([]Record, error) {
	for {
		if s.head.off < s.sizes[s.head.seg] {
			break
		}
		if s.head.seg == s.segs[len(s.segs)-1] {
			return nil, ErrEmpty
		}
		// The head segment is finished: move to the next one.
		if err := s.advanceSegment(); err != nil {
			return nil, err
		}
	}
	if s.reader == nil || s.rdSeg != s.head.seg {
		if s.reader != nil {
			s.reader.Close()
		}
		f, err := os.Open(segPath(s.dir, s.head.seg))
		if err != nil {
			s.reader = nil
			return nil, fmt.Errorf("open spool segment: %w", err)
		}
		s.reader, s.rdSeg = f, s.head.seg
	}
	return s.peekFrom(s.head.off, more)
}

// peekFrom reads the records of the head segment from offset off on: the
// first one, then more while more returns true; it appends their sizes to
// s.peeked.
func (s *Spool) peekFrom(off int64, more func(next Record) bool) ([]Record, error) {
	var out []Record
	end := s.sizes[s.head.seg]
	if off >= end {
		return nil, ErrEmpty
	}
	for off < end {
		var h [headerSize]byte
		if _, err := s.reader.ReadAt(h[:], off); err != nil {
			return nil, fmt.Errorf("read spool record header at %s:%d: %w", segPath(s.dir, s.head.seg), off, err)
		}
		n := binary.LittleEndian.Uint32(h[0:4])
		if n == 0 || n > MaxRecordBytes || off+headerSize+int64(n) > end {
			return nil, fmt.Errorf("spool record at %s:%d has a bad length %d", segPath(s.dir, s.head.seg), off, n)
		}
		body := make([]byte, n)
		if _, err := s.reader.ReadAt(body, off+headerSize); err != nil {
			return nil, fmt.Errorf("read spool record at %s:%d: %w", segPath(s.dir, s.head.seg), off, err)
		}
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
			return nil, fmt.Errorf("spool record at %s:%d fails its checksum", segPath(s.dir, s.head.seg), off)
		}
		r := Record{Kind: body[0], Data: body[1:]}
		if !more(r) && len(out) > 0 {
			break
		}
		out = append(out, r)
		s.peeked = append(s.peeked, headerSize+int64(n))
		off += headerSize + int64(n)
	}
	return out, nil
}

// Done marks the record returned by the last Peek as done: it will not be
// returned again, also after a restart.
func (s *Spool) Done() error { return s.DoneN(1) }

// DoneN marks the first n records of the last PeekWhile as done, with one
// write of the head file. The others stay peeked.
func (s *Spool) DoneN(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if n <= 0 || n > len(s.peeked) {
		return fmt.Errorf("spool: DoneN(%d) after peeking %d records", n, len(s.peeked))
	}
	size := s.peekedBytes(n)
	s.head.off += size
	s.records -= n
	s.bytes -= size
	s.peeked = append(s.peeked[:0], s.peeked[n:]...)
	if err := s.writeHead(); err != nil {
		return err
	}
	if s.records == 0 && s.sizes[s.segs[len(s.segs)-1]] > 0 {
		// Empty: start a fresh segment so the drained ones can go.
		if err := s.rotate(); err != nil {
			return err
		}
	}
	for s.head.seg != s.segs[len(s.segs)-1] && s.head.off >= s.sizes[s.head.seg] {
		if err := s.advanceSegment(); err != nil {
			return err
		}
	}
	return nil
}

// advanceSegment moves the head to the start of the next segment, records
// it and deletes the finished segment.
func (s *Spool) advanceSegment() error {
	old := s.head.seg
	s.head = position{seg: s.segs[1]}
	if err := s.writeHead(); err != nil {
		s.head = position{seg: old, off: s.sizes[old]}
		return err
	}
	if s.reader != nil && s.rdSeg == old {
		s.reader.Close()
		s.reader = nil
	}
	s.segs = s.segs[1:]
	delete(s.sizes, old)
	if err := os.Remove(segPath(s.dir, old)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove drained spool segment: %w", err)
	}
	return nil
}

// Each calls fn for every record not yet done, in order, without changing
// the head. It reads from disk, so it can be called on a large spool.
func (s *Spool) Each(fn func(Record) error) error {
	s.mu.Lock()
	segs := append([]uint64(nil), s.segs...)
	head := s.head
	sizes := make(map[uint64]int64, len(s.sizes))
	for k, v := range s.sizes {
		sizes[k] = v
	}
	s.mu.Unlock()
	for _, seg := range segs {
		start := int64(0)
		if seg == head.seg {
			start = head.off
		}
		if err := eachInSegment(segPath(s.dir, seg), start, sizes[seg], fn); err != nil {
			return err
		}
	}
	return nil
}

// Bytes returns the size in bytes of the records not yet done.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Records returns the number of records not yet done.
func (s *Spool) Records() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// Dir returns the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Close closes the spool's files. Records not done stay on disk.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.reader != nil {
		s.reader.Close()
	}
	err := s.tail.Close()
	if e := s.headF.Close(); err == nil {
		err = e
	}
	if s.unlock != nil {
		s.unlock()
	}
	return err
}

// The head file holds two 32-byte slots written alternately: write count,
// segment, offset, CRC-32C of the three. The slot with the valid checksum
// and the higher count is the head.
const slotSize = 32

func (s *Spool) writeHead() error {
	s.headSeq++
	var b [slotSize]byte
	binary.LittleEndian.PutUint64(b[0:8], s.headSeq)
	binary.LittleEndian.PutUint64(b[8:16], s.head.seg)
	binary.LittleEndian.PutUint64(b[16:24], uint64(s.head.off))
	binary.LittleEndian.PutUint32(b[24:28], crc32.Checksum(b[0:24], castagnoli))
	if _, err := s.headF.WriteAt(b[:], int64(s.headSeq%2)*slotSize); err != nil {
		return fmt.Errorf("write spool head: %w", err)
	}
	if err := s.headF.Sync(); err != nil {
		return fmt.Errorf("sync spool head: %w", err)
	}
	return nil
}

func readHead(f *os.File) (position, uint64, bool, error) {
	var b [2 * slotSize]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return position{}, 0, false, fmt.Errorf("read spool head: %w", err)
	}
	var best position
	var bestSeq uint64
	found := false
	for i := 0; i < 2; i++ {
		if n < (i+1)*slotSize {
			break
		}
		sl := b[i*slotSize : (i+1)*slotSize]
		if crc32.Checksum(sl[0:24], castagnoli) != binary.LittleEndian.Uint32(sl[24:28]) {
			continue
		}
		seq := binary.LittleEndian.Uint64(sl[0:8])
		if seq == 0 || found && seq <= bestSeq {
			continue
		}
		found, bestSeq = true, seq
		best = position{seg: binary.LittleEndian.Uint64(sl[8:16]), off: int64(binary.LittleEndian.Uint64(sl[16:24]))}
	}
	return best, bestSeq, found, nil
}

func segPath(dir string, seg uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016d.wal", seg))
}

func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list spool: %w", err)
	}
	var segs []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".wal")
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, n)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i] < segs[j] })
	return segs, nil
}

func createSegment(dir string, seg uint64) error {
	f, err := os.OpenFile(segPath(dir, seg), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create spool segment: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create spool segment: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a created file's directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync spool directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync spool directory: %w", err)
	}
	return nil
}

func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("truncate torn spool tail: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("truncate torn spool tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("truncate torn spool tail: %w", err)
	}
	return nil
}

// scanSegment reads the records of a segment from start and returns how
// many are whole, where the whole ones end and the file's size.
func scanSegment(path string, start int64) (n int, valid, size int64, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("scan spool: %w", err)
	}
	size = st.Size()
	if start > size {
		return 0, size, size, nil
	}
	valid = start
	err = eachInSegment(path, start, size, func(r Record) error {
		n++
		valid += headerSize + 1 + int64(len(r.Data))
		return nil
	})
	if errors.Is(err, errTorn) {
		err = nil
	}
	return n, valid, size, err
}

var errTorn = errors.New("torn record")

// eachInSegment calls fn for the whole records of a segment between start
// and end. It returns errTorn (after the whole records) when the data ends
// in an incomplete or corrupt record.
func eachInSegment(path string, start, end int64, fn func(Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read spool: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("read spool: %w", err)
	}
	br := bufio.NewReaderSize(io.LimitReader(f, end-start), 1<<20)
	off := start
	var h [headerSize]byte
	for off < end {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return errTorn
		}
		n := binary.LittleEndian.Uint32(h[0:4])
		if n == 0 || n > MaxRecordBytes || off+headerSize+int64(n) > end {
			return errTorn
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return errTorn
		}
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
			return errTorn
		}
		if err := fn(Record{Kind: body[0], Data: body[1:]}); err != nil {
			return err
		}
		off += headerSize + int64(n)
	}
	return nil
}
