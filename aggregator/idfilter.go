package aggregator

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// idFilter implements store.IDFilter with one scalable Bloom filter per
// story: it holds every id stored for the story (loaded from ClickHouse on
// the story's first write, then kept up to date by Writing), so that
// store.Write looks up only the ids that may be stored. New reactions, most
// of a crawl, then cost no lookup. A false positive costs one lookup; there
// are no false negatives as long as this process is the only writer, which
// exact deduplication assumes anyway.
type idFilter struct {
	conn driver.Conn

	mu      sync.Mutex
	stories map[string]*scalableBloom
}

func newIDFilter(conn driver.Conn) *idFilter {
	return &idFilter{conn: conn, stories: map[string]*scalableBloom{}}
}

// definitelyNew reports whether id is certainly not stored for story: the
// story's filter is loaded and does not hold it. Safe for concurrent use
// with the writer; an answer that is stale by one write is harmless to its
// user (labelling ahead of the writer).
func (f *idFilter) definitelyNew(story, id string) bool {
	f.mu.Lock()
	b := f.stories[story]
	f.mu.Unlock()
	return b != nil && b.loaded.Load() && !b.test(id)
}

// MayBeStored implements store.IDFilter.
func (f *idFilter) MayBeStored(ctx context.Context, story string, ids []string) ([]string, error) {
	f.mu.Lock()
	b := f.stories[story]
	f.mu.Unlock()
	if b == nil || !b.loaded.Load() {
		if err := f.load(ctx, story); err != nil {
			return nil, err
		}
		f.mu.Lock()
		b = f.stories[story]
		f.mu.Unlock()
	}
	if b == nil || !b.loaded.Load() {
		return ids, nil // still loading (preload): look everything up
	}
	out := make([]string, 0, len(ids)/8)
	for _, id := range ids {
		if b.test(id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Writing implements store.IDFilter.
func (f *idFilter) Writing(story string, ids []string) {
	f.mu.Lock()
	b := f.stories[story]
	f.mu.Unlock()
	if b == nil {
		// Cannot happen: Write asks MayBeStored first, which registers the
		// filter, and a filter is never dropped.
		return
	}
	for _, id := range ids {
		b.add(id)
	}
}

// load reads every id ever written for story into its filter, registered
// (empty) at the first load, so that ids written meanwhile (by a write that
// runs while a preload reads) are added to it too; it is used once a read
// is complete. If the read fails, the filter stays registered, unused, with
// what it holds, and the next write reads again into it: the ids of a write
// still under way when the read failed are in it already, while a new read
// of the table could miss them.
func (f *idFilter) load(ctx context.Context, story string) error {
	f.mu.Lock()
	b := f.stories[story]
	if b == nil {
		b = newScalableBloom()
		f.stories[story] = b
	}
	f.mu.Unlock()
	if b.loaded.Load() || !b.loading.CompareAndSwap(false, true) {
		return nil // loaded, or being loaded by another goroutine
	}
	defer b.loading.Store(false)
	if err := f.read(ctx, story, b); err != nil {
		return fmt.Errorf("load stored ids of %s: %w", story, err)
	}
	b.loaded.Store(true)
	return nil
}

func (f *idFilter) read(ctx context.Context, story string, b *scalableBloom) error {
	rows, err := f.conn.Query(ctx, "SELECT DISTINCT id FROM reactions WHERE story = ?", story)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		b.add(id)
	}
	return rows.Err()
}

// scalableBloom is a list of Bloom filters of doubling capacity, each
// sized for a 1 % false-positive rate: it grows without knowing its final
// size and without re-reading what it holds. Safe for concurrent use.
type scalableBloom struct {
	loaded  atomic.Bool // every stored id has been added
	loading atomic.Bool // a read of the stored ids is under way
	mu      sync.RWMutex
	layers  []*bloom
}

const (
	bloomFirstCapacity = 1 << 16
	bloomBitsPerID     = 10 // with 7 hashes: about 1 % false positives
	bloomHashes        = 7
)

var seed1, seed2 = maphash.MakeSeed(), maphash.MakeSeed()

func newScalableBloom() *scalableBloom {
	return &scalableBloom{layers: []*bloom{newBloom(bloomFirstCapacity)}}
}

func (s *scalableBloom) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.layers[len(s.layers)-1]
	if last.n >= last.capacity {
		last = newBloom(2 * last.capacity)
		s.layers = append(s.layers, last)
	}
	last.add(id)
}

func (s *scalableBloom) test(id string) bool {
	h1, h2 := hashes(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, l := range s.layers {
		if l.testHashes(h1, h2) {
			return true
		}
	}
	return false
}

type bloom struct {
	bits     []uint64
	m        uint64
	n        int
	capacity int
}

func newBloom(capacity int) *bloom {
	m := uint64(capacity * bloomBitsPerID)
	m = (m + 63) &^ 63
	return &bloom{bits: make([]uint64, m/64), m: m, capacity: capacity}
}

func hashes(id string) (uint64, uint64) {
	return maphash.String(seed1, id), maphash.String(seed2, id) | 1
}

func (b *bloom) add(id string) {
	h1, h2 := hashes(id)
	for i := uint64(0); i < bloomHashes; i++ {
		p := (h1 + i*h2) % b.m
		b.bits[p/64] |= 1 << (p % 64)
	}
	b.n++
}

func (b *bloom) testHashes(h1, h2 uint64) bool {
	for i := uint64(0); i < bloomHashes; i++ {
		p := (h1 + i*h2) % b.m
		if b.bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}
