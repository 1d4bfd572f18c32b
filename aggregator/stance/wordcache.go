package stance

import "sync/atomic"

const (
	// wordCacheBits is log2 of the number of word cache slots. Reactions to
	// a story share most of their words: the benchmark's 1,800 texts in four
	// languages have about 4,500 distinct folded words.
	wordCacheBits = 14
	// wordCacheMax is the number of words after which the cache starts
	// afresh, so that it follows a stream whose vocabulary drifts.
	wordCacheMax = 1 << (wordCacheBits - 1)
	// wordCacheProbes bounds the slots looked at for one word.
	wordCacheProbes = 8
	// wordKeyMax is the longest word the cache holds (in bytes, folded).
	wordKeyMax = 32
	// wordArenaSize is the number of n-grams whose weights a cache
	// generation holds, about 15 per word.
	wordArenaSize = 1 << 17
)

// wordCache memoises, per folded word, what Classify derives from the word
// alone: its lexicon information and the model weights of its character
// n-grams. On a hit a word costs one slot (two cache lines) instead of up to
// a dozen lexicon probes, and its n-grams are summed from one contiguous run
// of weights instead of a scattered load each. A generation takes 2 MB of
// slots and 1.5 MB of weights, allocated when the previous one is full.
//
// It changes no result: a slot holds exactly what push computes, and the
// n-gram weights are summed in charGrams order with the same float32
// operations as flush (a zero weight adds ±0, which changes nothing; see
// packedWeights).
//
// It is shared by all goroutines without locks. A generation is an
// insert-only open-addressing table of 128-byte slots: a writer claims an
// empty slot by compare-and-swap, fills it and publishes it; readers use only
// published slots, and a slot never changes once published. The n-gram
// weights go to an arena where a writer reserves its run with an atomic add.
// When a generation is full, the next text starts a new one.
type wordCache struct {
	tab atomic.Pointer[wordTable]
}

// wordTable is one generation of the word cache.
type wordTable struct {
	slots [1 << wordCacheBits]wordSlot
	arena [][3]float32 // n-gram weights, as in packedWeights.w
	used  atomic.Int64 // n-grams of arena reserved
	n     atomic.Int32 // slots claimed
}

// Slot states.
const (
	slotEmpty uint32 = iota
	slotWriting
	slotReady
)

// wordSlot is what the cache knows about one folded word, in two cache
// lines: the first has what a lookup compares, the second a copy of the
// word's lexicon entry, so that feature extraction reads it from a line the
// lookup has just brought in rather than from the lexicon's scattered ones.
type wordSlot struct {
	state   atomic.Uint32
	gramOff uint32 // the word's n-gram weights: arena[gramOff:gramOff+gramLen]
	h       uint64 // FNV-1a hash of the word
	// fallback is what a word without a lexicon entry gets when it has no
	// prefix cues or no scratch wordInfo is left.
	fallback *wordInfo
	// cues are the cues of the prefix entries the word starts with when it
	// has no lexicon entry (pushed as a scratch wordInfo).
	cues    uint32
	gramLen uint16
	klen    uint8
	hasInfo bool // info holds the word's lexicon entry
	key     [wordKeyMax]byte
	info    wordInfo
	_       [24]byte
}

// table returns the generation to use for one text, starting a new one when
// it is full.
func (c *wordCache) table() *wordTable {
	t := c.tab.Load()
	if t != nil && t.n.Load() < wordCacheMax && t.used.Load() <= wordArenaSize-(3*wordKeyMax-3) {
		return t
	}
	fresh := &wordTable{arena: make([][3]float32, wordArenaSize)}
	if c.tab.CompareAndSwap(t, fresh) {
		return fresh
	}
	return c.tab.Load()
}

// get returns the published slot of word w with hash h, or nil.
func (t *wordTable) get(h uint64, w []byte) *wordSlot {
	const mask = 1<<wordCacheBits - 1
	i := (h * fibMul) >> (64 - wordCacheBits)
	for p := 0; p < wordCacheProbes; p++ {
		s := &t.slots[i]
		switch s.state.Load() {
		case slotEmpty:
			return nil
		case slotReady:
			if s.h == h && int(s.klen) == len(w) && string(s.key[:s.klen]) == string(w) {
				return s
			}
		}
		i = (i + 1) & mask
	}
	return nil
}

// add computes and publishes the slot of the folded word w with hash h and
// returns it, or returns nil when the word is too long or the generation
// has no room (the caller then computes without the cache). The prefix
// hashes of w must be in sc (hashPrefixes).
func (t *wordTable) add(sc *scratch, h uint64, w []byte) *wordSlot {
	if len(w) > wordKeyMax || t.n.Load() >= wordCacheMax {
		return nil
	}
	const mask = 1<<wordCacheBits - 1
	i := (h * fibMul) >> (64 - wordCacheBits)
	var s *wordSlot
	for p := 0; p < wordCacheProbes; p++ {
		if c := &t.slots[i]; c.state.CompareAndSwap(slotEmpty, slotWriting) {
			s = c
			break
		}
		i = (i + 1) & mask
	}
	if s == nil {
		return nil
	}
	t.n.Add(1)
	lx := lex()
	s.h = h
	s.klen = uint8(copy(s.key[:], w))
	if info, _ := tabGet(&lx.wordTab, h, w); info != nil {
		s.info, s.hasInfo = *info, true
	} else {
		s.cues = lx.prefixCuesHashed(sc, w)
		s.fallback = lx.fallbackInfo(sc, w)
	}
	if sc.chars && len(w) >= 3 {
		n := 3*len(w) - 3
		off := t.used.Add(int64(n)) - int64(n)
		if off+int64(n) <= int64(len(t.arena)) {
			s.gramOff, s.gramLen = uint32(off), uint16(n)
			run := t.arena[off : off+int64(n)]
			pw, k := sc.weights, 0
			sc.eachCharGram(w, func(g uint64) {
				b := g & sc.mask
				ix := &pw.index[b/64]
				bit := uint64(1) << (b % 64)
				if ix.bits&bit != 0 { // else the run's zeros stand
					run[k] = pw.w[int(ix.rank)+popcount(ix.bits&(bit-1))]
				}
				k++
			})
		}
	}
	s.state.Store(slotReady)
	return s
}
