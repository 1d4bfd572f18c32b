package crawler

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/reactions-research/reactions/internal/fnv1a"
	"github.com/reactions-research/reactions/reaction"
)

// State files in StateDir/crawl/<story>/:
//
//	lock          flock(2)-held while a crawl of the story runs
//	sent.log      append-only, one line per acknowledged reaction:
//	              source TAB id TAB digest(16 hex) TAB first-seen(unix) LF
//	              fsynced per acknowledged batch; a torn last line (crash
//	              mid-write) is dropped on open; compacted when mostly stale
//	cursors.json  {"<source>": {"<key>": "<value>"}}, rewritten atomically
//	              (temp file, fsync, rename, fsync dir)
const (
	sentLogName = "sent.log"
	cursorsName = "cursors.json"
	lockName    = "lock"
)

// sentEntry is what the crawler remembers per reaction: 16 bytes (plus the
// 8-byte key), so 100,000 reactions take a few MB.
type sentEntry struct {
	digest    uint64
	firstSeen uint32 // Unix seconds
}

// storyState is a story's persistent crawl state, shared by its sources.
type storyState struct {
	dir  string
	lock *os.File

	mu        sync.Mutex
	sent      map[uint64]sentEntry // acknowledged, plus pending (optimistic; reverted on failure)
	logf      *os.File
	logLines  int
	perSource map[string]int64 // acknowledged reactions per source, all runs
	cursors   map[string]map[string]string
	pending   []pendingCursor
	logBuf    []byte // acknowledged's line buffer, reused across batches
}

type pendingCursor struct {
	source, key, value string
	// seq is the last reaction emitted through owner before the cursor
	// was set: the cursor commits once owner acknowledged up to it.
	seq   uint64
	owner *batcher
}

// openState locks and loads the state of story id under stateDir.
func openState(stateDir, id string) (*storyState, error) {
	dir := filepath.Join(stateDir, "crawl", id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create crawl state directory: %w", err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open crawl lock: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("another crawl of story %q is running (its lock %s is held): stop it first", id, filepath.Join(dir, lockName))
	}
	s := &storyState{dir: dir, lock: lf, sent: map[uint64]sentEntry{}, perSource: map[string]int64{}, cursors: map[string]map[string]string{}}
	if err := s.loadCursors(); err != nil {
		s.close()
		return nil, err
	}
	if err := s.loadSent(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *storyState) close() error {
	var errs []error
	if s.logf != nil {
		errs = append(errs, s.logf.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // closing releases the flock
	}
	return errors.Join(errs...)
}

func (s *storyState) loadCursors() error {
	b, err := os.ReadFile(filepath.Join(s.dir, cursorsName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	if err := json.Unmarshal(b, &s.cursors); err != nil {
		// The file is only ever replaced by rename, so this is damage from
		// outside: start the cursors afresh (re-collecting is safe: the sent
		// log still prevents duplicates) rather than refusing to crawl.
		s.cursors = map[string]map[string]string{}
		return os.Rename(filepath.Join(s.dir, cursorsName), filepath.Join(s.dir, cursorsName+".damaged"))
	}
	return nil
}

func (s *storyState) loadSent() error {
	path := filepath.Join(s.dir, sentLogName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open sent log: %w", err)
	}
	var good int64 // offset after the last complete line
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // a torn last line (no newline) is dropped below
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("read sent log: %w", err)
		}
		good += int64(len(line))
		src, id, e, ok := parseSentLine(line)
		if !ok {
			continue
		}
		k := idKey(id)
		if _, had := s.sent[k]; !had {
			s.perSource[src]++
		}
		s.sent[k] = e
		s.logLines++
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return fmt.Errorf("repair sent log: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	s.logf = f
	if s.logLines > 10_000 && s.logLines > 2*len(s.sent) {
		return s.compact()
	}
	return nil
}

// appendSentLine appends one sent-log line: source TAB id TAB
// digest(16 hex) TAB first-seen LF.
func appendSentLine(b []byte, source, id string, e sentEntry) []byte {
	b = append(b, source...)
	b = append(b, '\t')
	b = append(b, id...)
	b = append(b, '\t')
	var hex [16]byte
	const digits = "0123456789abcdef"
	for i, d := 15, e.digest; i >= 0; i, d = i-1, d>>4 {
		hex[i] = digits[d&0xf]
	}
	b = append(b, hex[:]...)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(e.firstSeen), 10)
	return append(b, '\n')
}

func parseSentLine(line []byte) (src, id string, e sentEntry, ok bool) {
	parts := strings.Split(strings.TrimSuffix(string(line), "\n"), "\t")
	if len(parts) != 4 || parts[1] == "" {
		return "", "", e, false
	}
	d, err1 := strconv.ParseUint(parts[2], 16, 64)
	fs, err2 := strconv.ParseUint(parts[3], 10, 32)
	if err1 != nil || err2 != nil {
		return "", "", e, false
	}
	return parts[0], parts[1], sentEntry{digest: d, firstSeen: uint32(fs)}, true
}

// compact rewrites the sent log with only the current entry of each id.
func (s *storyState) compact() error {
	path := filepath.Join(s.dir, sentLogName)
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(s.dir, sentLogName+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	written := make(map[uint64]struct{}, len(s.sent))
	r := bufio.NewReader(in)
	lines := 0
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			break
		}
		_, id, e, ok := parseSentLine(line)
		k := idKey(id)
		if _, done := written[k]; !ok || done || s.sent[k] != e {
			continue
		}
		written[k] = struct{}{}
		w.Write(line)
		lines++
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		tmp.Close()
		return err
	}
	syncDir(s.dir)
	s.logf.Close()
	s.logf = tmp
	if _, err := tmp.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	s.logLines = lines
	return nil
}

// cursor returns the committed cursor of a source.
func (s *storyState) cursor(source, key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[source][key]
}

// acknowledged appends acknowledged reactions to the sent log and fsyncs it.
func (s *storyState) acknowledged(items []pendingItem) error {
	if len(items) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := s.logBuf[:0]
	for _, it := range items {
		buf = appendSentLine(buf, it.source, it.r.ID, it.entry)
		if !it.existed {
			s.perSource[it.source]++
		}
	}
	s.logBuf = buf
	if _, err := s.logf.Write(buf); err != nil {
		return fmt.Errorf("write sent log: %w", err)
	}
	if err := s.logf.Sync(); err != nil {
		return fmt.Errorf("sync sent log: %w", err)
	}
	s.logLines += len(items)
	return nil
}

// revert forgets the optimistic entry of a reaction the sink did not take,
// so that a later run (or poll) sends it again.
func (s *storyState) revert(it pendingItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := idKey(it.r.ID)
	if cur, ok := s.sent[k]; ok && cur == it.entry {
		if it.existed {
			s.sent[k] = it.prev
		} else {
			delete(s.sent, k)
		}
	}
}

// collectedBefore reports how many reactions a source has had acknowledged
// over all runs.
func (s *storyState) collectedBefore(source string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perSource[source]
}

// known reports whether a reaction with id was sent (acknowledged, or
// on its way to the sink).
func (s *storyState) known(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sent[idKey(id)]
	return ok
}

// setCursor queues a cursor value to be committed once everything emitted
// through owner up to seq was acknowledged.
func (s *storyState) setCursor(source, key, value string, seq uint64, owner *batcher) {
	s.mu.Lock()
	s.pending = append(s.pending, pendingCursor{source, key, value, seq, owner})
	s.mu.Unlock()
}

// commitCursors writes the cursors queued through owner at or below its
// acknowledged watermark. (A poll and a live stream each have a batcher,
// with seqs of its own.)
func (s *storyState) commitCursors(owner *batcher, watermark uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	keep := s.pending[:0]
	for _, p := range s.pending {
		if p.owner != owner || p.seq > watermark {
			keep = append(keep, p)
			continue
		}
		m := s.cursors[p.source]
		if m == nil {
			m = map[string]string{}
			s.cursors[p.source] = m
		}
		if m[p.key] != p.value {
			m[p.key] = p.value
			changed = true
		}
	}
	s.pending = keep
	if !changed {
		return nil
	}
	b, err := json.MarshalIndent(s.cursors, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.dir, cursorsName), b)
}

// dropPendingCursors forgets the cursors queued through owner that can no
// longer be committed (their reactions were not acknowledged); the next
// run fetches from the last committed cursor again.
func (s *storyState) dropPendingCursors(owner *batcher) {
	s.mu.Lock()
	keep := s.pending[:0]
	for _, p := range s.pending {
		if p.owner != owner {
			keep = append(keep, p)
		}
	}
	clear(s.pending[len(keep):])
	s.pending = keep
	s.mu.Unlock()
}

func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// idKey is the 64-bit key of a reaction id in the sent map: FNV-1a.
func idKey(id string) uint64 { return fnv1a.String(fnv1a.Offset, id) }

// digest hashes the content of a reaction that, when it changes, makes it
// worth sending again: text, deleted, likes, replies, parent, root,
// created_at, url, lang, author, is_root, content_warning and relation
// (hashed only when parent_id does not imply it). FirstSeen and the stance fields are not
// part of it. Each string is preceded by its length. The value is stored in
// the sent log: changing how it is computed makes the next run re-send
// everything once.
func digest(r *reaction.Reaction) uint64 {
	h := fnv1a.Offset
	str := func(s string) { h = fnv1a.Field(h, s) }
	num := func(v int64) { h = fnv1a.Uint64(h, uint64(v)) }
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
	// Hashed only when set, so that the digests in logs written before
	// these fields existed still match.
	if r.IsRoot {
		str("is_root")
	}
	if r.ContentWarning != "" {
		str("content_warning")
		str(r.ContentWarning)
	}
	if r.Relation != "" && r.Relation != r.ImpliedRelation() {
		str("relation")
		str(r.Relation)
	}
	return h
}

func unixSeconds(t time.Time) uint32 {
	u := t.Unix()
	if u < 0 {
		return 0
	}
	if u > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(u)
}
