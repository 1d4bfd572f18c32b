package stance

import "sync/atomic"

// wordCacheBits is log2 of the number of word cache slots. Reactions to a
// story share most of their words: the benchmark's 1,800 texts in four
// languages have under 6,000 distinct ones.
const wordCacheBits = 15

// wordCacheMax is the number of words after which the cache starts afresh,
// so that it follows a stream whose vocabulary drifts and stays under about
// 4 MB (an entry takes about 200 bytes).
const wordCacheMax = 1 << (wordCacheBits - 1)

// wordCacheProbes bounds the slots looked at for one word.
const wordCacheProbes = 8

// wordCache memoises, per folded word, what Classify derives from the word
// alone: its lexicon information and the model weights of its character
// n-grams. On a hit a word costs one lookup instead of up to a dozen lexicon
// probes, and its n-grams are summed from one contiguous run of weights
// instead of a scattered load each.
//
// It is an insert-only open-addressing table of immutable entries, shared by
// all goroutines without locks: a slot goes from empty to an entry once, by
// compare-and-swap. When it holds wordCacheMax words it is replaced by an
// empty one, so a warm cache allocates nothing.
//
// It changes no result: an entry holds exactly what push and charGrams would
// compute, and the n-gram weights are summed in the same order with the same
// float32 operations (a zero weight adds ±0, which changes nothing; see
// packedWeights).
type wordCache struct {
	tab atomic.Pointer[wordTable]
}

// wordTable is one generation of the word cache.
type wordTable struct {
	slots [1 << wordCacheBits]atomic.Pointer[wordEntry]
	n     atomic.Int32
}

// wordEntry is what the cache knows about one folded word.
type wordEntry struct {
	h   uint64 // FNV-1a hash of key
	key string
	// info is the word's lexicon entry, or nil; then cues are the cues of
	// the prefix entries it starts with (pushed as a scratch wordInfo) and
	// fallback the information it gets when there are none or no scratch
	// wordInfo is left (a negation ending in "n't", or an inflected form).
	info     *wordInfo
	cues     uint32
	fallback *wordInfo
	// grams holds three weights (support, criticism, neutral) per character
	// n-gram, in charGrams order; nil for words under 3 bytes or models
	// without character n-grams.
	grams []float32
}

// get returns the entry for word w with hash h, or nil.
func (c *wordCache) get(h uint64, w []byte) *wordEntry {
	t := c.tab.Load()
	if t == nil {
		return nil
	}
	const mask = 1<<wordCacheBits - 1
	i := (h * fibMul) >> (64 - wordCacheBits)
	for p := 0; p < wordCacheProbes; p++ {
		e := t.slots[i].Load()
		if e == nil {
			return nil
		}
		if e.h == h && e.key == string(w) {
			return e
		}
		i = (i + 1) & mask
	}
	return nil
}

// put adds e unless its probe window is full.
func (c *wordCache) put(e *wordEntry) {
	t := c.tab.Load()
	if t == nil || t.n.Load() >= wordCacheMax {
		fresh := new(wordTable)
		if !c.tab.CompareAndSwap(t, fresh) {
			return // another goroutine replaced it; drop this entry
		}
		t = fresh
	}
	const mask = 1<<wordCacheBits - 1
	i := (e.h * fibMul) >> (64 - wordCacheBits)
	for p := 0; p < wordCacheProbes; p++ {
		if t.slots[i].CompareAndSwap(nil, e) {
			t.n.Add(1)
			return
		}
		if o := t.slots[i].Load(); o.h == e.h && o.key == e.key {
			return // another goroutine added the same word
		}
		i = (i + 1) & mask
	}
}

// newWordEntry computes the entry for the folded word w with hash h. The
// prefix hashes of w must be in sc (hashPrefixes).
func (sc *scratch) newWordEntry(h uint64, w []byte, chars bool) *wordEntry {
	t := lex()
	e := &wordEntry{h: h, key: string(w)}
	e.info, _ = tabGet(&t.wordTab, h, w)
	if e.info == nil {
		e.cues = t.prefixCuesHashed(sc, w)
		e.fallback = t.fallbackInfo(sc, w)
	}
	if chars && len(w) >= 3 {
		pw := sc.weights
		e.grams = make([]float32, 0, 3*(3*len(w)-3))
		sc.eachCharGram(w, func(g uint64) {
			b := g & sc.mask
			ix := &pw.index[b/64]
			bit := uint64(1) << (b % 64)
			if ix.bits&bit == 0 {
				e.grams = append(e.grams, 0, 0, 0)
				return
			}
			i := 3 * (int(ix.rank) + popcount(ix.bits&(bit-1)))
			q := pw.q[i : i+3 : i+3]
			e.grams = append(e.grams, float32(q[0])*pw.scale, float32(q[1])*pw.scale, float32(q[2])*pw.scale)
		})
	}
	return e
}
