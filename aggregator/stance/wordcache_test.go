package stance

import (
	"fmt"
	"sync"
	"testing"
)

// TestWordCacheConcurrent classifies from several goroutines at once with
// more distinct words than a cache generation holds, so that generations
// are replaced while other goroutines read them, and checks every result
// against a classifier without the cache, bit for bit.
func TestWordCacheConcurrent(t *testing.T) {
	m := Default().Model()
	plain := New(m)
	plain.noWords = true
	cached := New(m)

	type item struct {
		text, subject string
		p             [3]float64
	}
	var items []item
	for _, g := range generatedInputs()[:600] {
		items = append(items, item{text: g.text, subject: g.subject})
	}
	// Unseen words, more than a generation holds: "zq00001 sorry", ...
	for i := 0; i < 3*wordCacheMax/4; i++ {
		text := fmt.Sprintf("zq%05d so sorry, xv%05dx was brave zz%05dzz", i, i, i)
		items = append(items, item{text: text, subject: "Chrissy Teigen and John Legend"})
	}
	for i := range items {
		items[i].p = plain.Probabilities(items[i].text, items[i].subject)
	}
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range items {
				it := &items[(k*7+w*len(items)/workers)%len(items)]
				if p := cached.Probabilities(it.text, it.subject); p != it.p {
					errs <- fmt.Sprintf("%q: %v with the word cache, %v without", it.text, p, it.p)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if tab := cached.words.tab.Load(); tab == nil || tab.n.Load() == 0 {
		t.Error("the word cache is empty after classifying")
	}
}

// TestWordCacheSlot checks what a cache slot holds for a few kinds of word
// against the uncached lookups in push.
func TestWordCacheSlot(t *testing.T) {
	c := New(Default().Model())
	sc := c.pool.Get().(*scratch)
	sc.wtab = c.words.table()
	for _, w := range []string{"sorry", "the", "trolls", "schlechten", "couldn't", "inspirationalness", "qqqq",
		"a", "ab", "supercalifragilisticexpialidocious"} { // the last is longer than wordKeyMax
		b := []byte(w)
		h := hashBytes(b)
		sc.hashPrefixes(b)
		s := sc.wtab.add(sc, h, b)
		if len(w) > wordKeyMax {
			if s != nil {
				t.Errorf("%q: cached a word longer than %d bytes", w, wordKeyMax)
			}
			continue
		}
		if s == nil || sc.wtab.get(h, b) != s {
			t.Fatalf("%q: not found after adding", w)
		}
		lx := lex()
		info, _ := tabGet(&lx.wordTab, h, b)
		if s.hasInfo != (info != nil) || info != nil && (s.info.cues != info.cues || s.info.val != info.val || len(s.info.phrases) != len(info.phrases)) {
			t.Errorf("%q: slot info %v %+v, lexicon %+v", w, s.hasInfo, s.info, info)
		}
		if info == nil && (s.cues != lx.prefixCuesHashed(sc, b) || s.fallback != lx.fallbackInfo(sc, b)) {
			t.Errorf("%q: slot cues %b fallback %p, want %b %p", w, s.cues, s.fallback, lx.prefixCuesHashed(sc, b), lx.fallbackInfo(sc, b))
		}
		if len(w) < 3 {
			if s.gramLen != 0 {
				t.Errorf("%q: %d n-grams cached for a word under 3 bytes", w, s.gramLen)
			}
			continue
		}
		var want [][3]float32
		sc.eachCharGram(b, func(g uint64) {
			bk := g & sc.mask
			ix := sc.weights.index[bk/64]
			var ws [3]float32
			if bit := uint64(1) << (bk % 64); ix.bits&bit != 0 {
				ws = sc.weights.w[int(ix.rank)+popcount(ix.bits&(bit-1))]
			}
			if full := m3(c.m.w, bk); ws != full {
				t.Errorf("%q: packed weights %v, model %v", w, ws, full)
			}
			want = append(want, ws)
		})
		got := sc.wtab.arena[s.gramOff : s.gramOff+uint32(s.gramLen)]
		if len(got) != len(want) {
			t.Fatalf("%q: %d n-grams cached, want %d", w, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%q n-gram %d: cached %v, want %v", w, i, got[i], want[i])
			}
		}
	}
}

// m3 returns the three weights of bucket b of w.
func m3(w []float32, b uint64) [3]float32 { return [3]float32{w[3*b], w[3*b+1], w[3*b+2]} }

// TestPackedWeights checks the packed form against every bucket of the
// default model.
func TestPackedWeights(t *testing.T) {
	m := Default().Model()
	pw := m.packed
	nonZero := 0
	for b := uint64(0); b < uint64(len(m.w)/3); b++ {
		full := m3(m.w, b)
		ix := pw.index[b/64]
		bit := uint64(1) << (b % 64)
		if ix.bits&bit == 0 {
			if full != [3]float32{} {
				t.Fatalf("bucket %d: weights %v missing from the packed form", b, full)
			}
			continue
		}
		nonZero++
		if got := pw.w[int(ix.rank)+popcount(ix.bits&(bit-1))]; got != full {
			t.Fatalf("bucket %d: packed %v, model %v", b, got, full)
		}
	}
	if nonZero != len(pw.w) {
		t.Errorf("%d non-zero buckets, %d packed", nonZero, len(pw.w))
	}
	t.Logf("%d of %d buckets non-zero", nonZero, len(m.w)/3)
}

// TestScoringPathsAgree checks, for models with other feature groups and
// bucket counts, that Classify's three ways of scoring (word cache, packed
// weights only, Model.scores over the collected features) agree bit for bit.
func TestScoringPathsAgree(t *testing.T) {
	ex, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	in := goldenInputs(t)
	for _, fc := range []FeatureConfig{
		{Words: true, WordScale: 1},
		{Chars: true, CharScale: 0.7},
		{Cues: true, Sentiment: true, CueScale: 1},
		{Words: true, Chars: true, Cues: true, WordScale: 0.5, CharScale: 1, CueScale: 2},
	} {
		opts := DefaultTrainOptions()
		opts.Epochs, opts.Bits, opts.Restarts = 2, 14, 1
		opts.Features = &fc
		m, err := Train(ex, opts)
		if err != nil {
			t.Fatal(err)
		}
		cached, packed := New(m), New(m)
		packed.noWords = true
		for _, g := range in[len(in)-800:] {
			var sc scratch
			sc.extract(g.text, deriveSubject(g.subject), &m.Meta.Features)
			want := softmax(m.scores(&sc))
			if p := cached.Probabilities(g.text, g.subject); p != want {
				t.Errorf("%+v %s: %v with the word cache, %v from the collected features", fc, g.key(), p, want)
			}
			if p := packed.Probabilities(g.text, g.subject); p != want {
				t.Errorf("%+v %s: %v with packed weights, %v from the collected features", fc, g.key(), p, want)
			}
		}
	}
}
