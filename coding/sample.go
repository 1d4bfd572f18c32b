package coding

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"

	"github.com/reactions-research/reactions/internal/fnv1a"
	"github.com/reactions-research/reactions/reaction"
)

// Strategy is how a sample is drawn.
type Strategy string

// The sampling strategies.
const (
	// Stratified samples within strata of day × predicted stance (the
	// default), so that every day and every predicted class is represented
	// and error rates of small classes can be estimated.
	Stratified Strategy = "stratified"
	// Random is a simple random sample without replacement.
	Random Strategy = "random"
	// Uncertain takes the items the classifier is least sure of, for
	// training. It is not a probability sample: its items have no design
	// weight and are kept out of validation and correction.
	Uncertain Strategy = "uncertain"
)

// ParseStrategy reads a strategy name; "" is Stratified.
func ParseStrategy(s string) (Strategy, error) {
	switch Strategy(s) {
	case "", Stratified:
		return Stratified, nil
	case Random, Uncertain:
		return Strategy(s), nil
	}
	return "", fmt.Errorf("unknown sampling strategy %q: want stratified, random or uncertain", s)
}

// Design is what a sample is drawn by; with the same population it
// determines the sample.
type Design struct {
	// Strategy is how items are chosen. Default Stratified.
	Strategy Strategy `json:"strategy"`
	// N is the number of items to draw (all of them when the population
	// is smaller). Required, > 0.
	N int `json:"n"`
	// Seed makes the draw reproducible. 0 is a valid seed.
	Seed uint64 `json:"seed"`
}

// Candidate is one reaction that may be sampled.
type Candidate struct {
	// ID is the reaction's id, unique in the population.
	ID string `json:"id"`
	// Day is the reaction's calendar day as any integer, e.g. days since
	// 1970-01-01 UTC; Stratified uses it as a stratum.
	Day int32 `json:"day"`
	// Predicted is the classifier's stance; Stratified needs a valid one.
	Predicted reaction.Stance `json:"predicted"`
	// Score is the classifier's confidence in Predicted, in [0, 1];
	// Uncertain takes the lowest.
	Score float64 `json:"score"`
}

// Sampled is a drawn item with what estimation needs to know about its draw.
type Sampled struct {
	Candidate
	// Pi is the item's inclusion probability π (0 for Uncertain, which is
	// not a probability sample); its design weight is 1/π.
	Pi float64 `json:"pi"`
	// Stratum is the variance stratum that bootstrap intervals resample
	// within: the predicted stance at sampling time for Stratified (days
	// collapsed), "random" for Random, "" for Uncertain. Record it with
	// the sample: after a reclassification it is no longer the label.
	Stratum string `json:"stratum"`
}

// Stratum is one stratum of a stratified design.
type Stratum struct {
	Day       int32           `json:"day"`
	Predicted reaction.Stance `json:"predicted"`
	// Size is the number of candidates in the stratum (N_h).
	Size int64 `json:"size"`
	// Expected is the stratum's expected sample size x_h = N_h π_h; the
	// drawn size is ⌊x_h⌋ or ⌈x_h⌉.
	Expected float64 `json:"expected"`
	// Drawn is the number of items drawn (n_h).
	Drawn int `json:"drawn"`
}

// Sample is a drawn sample: its items in presentation order (a random
// order, which coders should follow) and its design.
type Sample struct {
	Design Design `json:"design"`
	// Population is the number of candidates (N).
	Population int64 `json:"population"`
	// Estimable reports whether the sample may be used to estimate error
	// rates (false for Uncertain).
	Estimable bool      `json:"estimable"`
	Items     []Sampled `json:"items"`
	// Strata lists the strata of a Stratified design in (stance, day)
	// order; nil otherwise.
	Strata []Stratum `json:"strata,omitempty"`
}

// ErrEmptyPopulation is returned when there is nothing to sample.
var ErrEmptyPopulation = errors.New("no candidates to sample")

// Draw draws a sample from a stream of candidates. The sample depends only
// on the set of candidates, the design and the seed, not on their order:
// each candidate gets a pseudo-random key hash(seed, id), and a simple
// random sample of m items from a group is the m smallest keys (a random
// permutation's first m; the same ordering SQL can reproduce with ORDER BY
// hash LIMIT m BY group).
//
// Stratified allocates N across predicted classes by power allocation,
// n_c ∝ N_c^½ (Bankier 1988: between proportional allocation, best for
// story-wide figures, and equal allocation, best for per-class error rates,
// so a class of 5 % gets about 15 % of the sample), capped at N_c; then
// within a class proportionally to each day's count, x_h = n_c N_h / N_c.
// The x_h are rounded by systematic sampling on their fractional parts, so
// n_h is ⌊x_h⌋ or ⌈x_h⌉ with expectation x_h, the total is N exactly, and
// every non-empty stratum has a chance: π_i = x_h / N_h exactly and
// Σ π_i = N, which keeps Horvitz–Thompson and Hájek estimates unbiased.
//
// Memory is bounded by min(population, strata × N) retained candidates
// (one bounded heap per stratum); time is linear in the population.
func Draw(d Design, candidates iter.Seq[Candidate]) (*Sample, error) {
	if d.Strategy == "" {
		d.Strategy = Stratified
	}
	if _, err := ParseStrategy(string(d.Strategy)); err != nil {
		return nil, err
	}
	if d.N <= 0 {
		return nil, fmt.Errorf("sample size %d: want at least 1", d.N)
	}
	s := sampler{d: d, seed: mix64(d.Seed ^ 0x9e3779b97f4a7c15), strata: map[int64]*stratum{}}
	s.all.cap = d.N
	for c := range candidates {
		if err := s.add(c); err != nil {
			return nil, err
		}
	}
	if s.n == 0 {
		return nil, ErrEmptyPopulation
	}
	return s.draw(), nil
}

type sampler struct {
	d      Design
	seed   uint64
	n      int64
	all    topN // Random and Uncertain
	strata map[int64]*stratum
	// The strata of the last candidate's day: candidates often arrive in
	// time order.
	day       int32
	dayOK     bool
	dayStrata [nClass]*stratum
}

type stratum struct {
	day   int32
	class int
	size  int64
	top   topN
}

func (s *sampler) add(c Candidate) error {
	if c.ID == "" {
		return fmt.Errorf("candidate %d has an empty id", s.n+1)
	}
	e := entry{key: mix64(fnv1a.String(fnv1a.Offset, c.ID) ^ s.seed), c: c}
	switch s.d.Strategy {
	case Stratified:
		k := class(c.Predicted)
		if k < 0 {
			return fmt.Errorf("candidate %q: predicted stance %q is not support, criticism or neutral (stratified sampling needs labelled reactions)", c.ID, c.Predicted)
		}
		if !s.dayOK || s.day != c.Day {
			s.day, s.dayOK, s.dayStrata = c.Day, true, [nClass]*stratum{}
		}
		st := s.dayStrata[k]
		if st == nil {
			sk := int64(c.Day)<<2 | int64(k)
			if st = s.strata[sk]; st == nil {
				st = &stratum{day: c.Day, class: k, top: topN{cap: s.d.N}}
				s.strata[sk] = st
			}
			s.dayStrata[k] = st
		}
		st.size++
		st.top.push(e)
	case Random:
		s.all.push(e)
	case Uncertain:
		if math.IsNaN(c.Score) || c.Score < 0 || c.Score > 1 {
			return fmt.Errorf("candidate %q: score %v is not in [0, 1]", c.ID, c.Score)
		}
		e.rank = c.Score
		s.all.push(e)
	}
	s.n++
	return nil
}

func (s *sampler) draw() *Sample {
	out := &Sample{Design: s.d, Population: s.n, Estimable: s.d.Strategy != Uncertain}
	var picked []entry
	switch s.d.Strategy {
	case Random:
		pi := math.Min(1, float64(s.d.N)/float64(s.n))
		for _, e := range s.all.sorted() {
			picked = append(picked, e)
			out.Items = append(out.Items, Sampled{Candidate: e.c, Pi: pi, Stratum: "random"})
		}
	case Uncertain:
		for _, e := range s.all.sorted() {
			out.Items = append(out.Items, Sampled{Candidate: e.c})
		}
		return out
	case Stratified:
		strata := make([]*stratum, 0, len(s.strata))
		for _, st := range s.strata {
			strata = append(strata, st)
		}
		slices.SortFunc(strata, func(a, b *stratum) int {
			return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.day, b.day))
		})
		sizes := make([]int64, len(strata))
		classes := make([]int, len(strata))
		for i, st := range strata {
			sizes[i], classes[i] = st.size, st.class
		}
		x := allocate(s.d.N, sizes, classes)
		drawn := roundSystematic(x, newRand(s.d.Seed, streamRounding).Float64())
		for i, st := range strata {
			pi := x[i] / float64(st.size)
			for _, e := range st.top.sorted()[:drawn[i]] {
				picked = append(picked, e)
				out.Items = append(out.Items, Sampled{Candidate: e.c, Pi: pi, Stratum: string(reaction.Stances[st.class])})
			}
			out.Strata = append(out.Strata, Stratum{Day: st.day, Predicted: reaction.Stances[st.class], Size: st.size, Expected: x[i], Drawn: drawn[i]})
		}
	}
	// Present in the order of a second hash of the key: a random order
	// that mixes strata. The keys themselves would not: the items a
	// stratum keeps are its smallest keys, so a stratum sampled thinly
	// would come first and one taken whole last, and a coder who stops
	// half-way would have coded mostly the large strata.
	idx := make([]int, len(picked))
	order := make([]uint64, len(picked))
	for i := range idx {
		idx[i], order[i] = i, mix64(picked[i].key^0x6f72646572) // "order"
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(order[a], order[b]), picked[a].compare(&picked[b]))
	})
	items := make([]Sampled, len(idx))
	for i, j := range idx {
		items[i] = out.Items[j]
	}
	out.Items = items
	return out
}

// allocate returns each stratum's expected sample size x_h: power
// allocation of n over the classes (n_c ∝ √N_c, capped at N_c, the excess
// spread over the other classes), then proportional within a class.
func allocate(n int, sizes []int64, classes []int) []float64 {
	var nc [nClass]float64
	var Nc [nClass]int64
	for i, s := range sizes {
		Nc[classes[i]] += s
	}
	var total int64
	for _, v := range Nc {
		total += v
	}
	x := make([]float64, len(sizes))
	if int64(n) >= total {
		for i, s := range sizes {
			x[i] = float64(s)
		}
		return x
	}
	var capped [nClass]bool
	left := float64(n)
	for {
		var w float64
		for c := range nClass {
			if !capped[c] {
				w += math.Sqrt(float64(Nc[c]))
			}
		}
		again := false
		for c := range nClass {
			if capped[c] {
				continue
			}
			nc[c] = left * math.Sqrt(float64(Nc[c])) / w
			if nc[c] >= float64(Nc[c]) {
				nc[c], capped[c] = float64(Nc[c]), true
				left -= nc[c]
				again = true
			}
		}
		if !again {
			break
		}
	}
	for i, s := range sizes {
		c := classes[i]
		if nc[c] >= float64(Nc[c]) {
			x[i] = float64(s) // take all
		} else {
			x[i] = nc[c] * float64(s) / float64(Nc[c])
		}
	}
	return x
}

// roundSystematic rounds expected sizes x to integers with E[n_h] = x_h
// and Σ n_h = round(Σ x_h): ⌊x_h⌋ plus one where a systematic sample with
// start u ∈ [0, 1) falls in the stratum's fractional part.
func roundSystematic(x []float64, u float64) []int {
	n := make([]int, len(x))
	var cum float64
	for i, v := range x {
		f := math.Floor(v)
		n[i] = int(f)
		// Points u, u+1, … hit (cum, cum+frac]: count them.
		frac := v - f
		if frac < 1e-12 {
			continue
		}
		n[i] += int(math.Ceil(cum+frac-u) - math.Ceil(cum-u))
		cum += frac
	}
	return n
}

// entry is a candidate with its sort key: rank (Uncertain's score, else 0),
// then the pseudo-random key, then the id for the (2^-64) tie.
type entry struct {
	rank float64
	key  uint64
	c    Candidate
}

func (e *entry) compare(f *entry) int {
	switch {
	case e.rank != f.rank:
		return cmp.Compare(e.rank, f.rank)
	case e.key != f.key:
		return cmp.Compare(e.key, f.key)
	}
	return strings.Compare(e.c.ID, f.c.ID)
}

// topN keeps the cap smallest entries pushed, as a max-heap.
type topN struct {
	cap int
	h   []entry
}

func (t *topN) push(e entry) {
	if len(t.h) < t.cap {
		t.h = append(t.h, e)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if t.h[p].compare(&t.h[i]) >= 0 {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if e.compare(&t.h[0]) >= 0 {
		return
	}
	t.h[0] = e
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(t.h) && t.h[l].compare(&t.h[m]) > 0 {
			m = l
		}
		if r := l + 1; r < len(t.h) && t.h[r].compare(&t.h[m]) > 0 {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// sorted returns the kept entries, smallest first.
func (t *topN) sorted() []entry {
	slices.SortFunc(t.h, func(a, b entry) int { return a.compare(&b) })
	return t.h
}

// mix64 is SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection
// that spreads every input bit over the output, so keys are uniform even
// for ids that differ in one character.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
