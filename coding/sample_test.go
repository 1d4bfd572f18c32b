package coding

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

// population makes candidates with the given sizes per (day, stance):
// sizes[day][class].
func population(sizes [][nClass]int) []Candidate {
	var cs []Candidate
	for day, row := range sizes {
		for k, n := range row {
			for i := range n {
				id := fmt.Sprintf("reddit:t1_%d_%d_%d", day, k, i)
				cs = append(cs, Candidate{ID: id, Day: int32(day), Predicted: reaction.Stances[k], Score: float64((i*7919)%1000) / 1000})
			}
		}
	}
	return cs
}

func draw(t *testing.T, d Design, cs []Candidate) *Sample {
	t.Helper()
	s, err := Draw(d, slices.Values(cs))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDrawReproducible(t *testing.T) {
	cs := population([][nClass]int{{40, 10, 5}, {200, 30, 12}, {3, 0, 1}})
	shuffled := slices.Clone(cs)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, st := range []Strategy{Stratified, Random, Uncertain} {
		a := draw(t, Design{Strategy: st, N: 30, Seed: 5}, cs)
		b := draw(t, Design{Strategy: st, N: 30, Seed: 5}, shuffled)
		if !slices.Equal(a.Items, b.Items) {
			t.Errorf("%s: the order of the candidates changed the sample", st)
		}
		if st == Uncertain {
			continue
		}
		c := draw(t, Design{Strategy: st, N: 30, Seed: 6}, cs)
		if slices.Equal(a.Items, c.Items) {
			t.Errorf("%s: seeds 5 and 6 drew the same sample", st)
		}
	}
}

func TestDrawDesign(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes [][nClass]int
		n     int
	}{
		{"skewed classes", [][nClass]int{{300, 20, 40}, {500, 60, 30}, {90, 3, 7}}, 50},
		{"more strata than n", [][nClass]int{{5, 1, 2}, {4, 0, 3}, {6, 2, 1}, {7, 1, 1}, {3, 1, 0}}, 6},
		{"a class smaller than its share", [][nClass]int{{400, 2, 100}, {400, 1, 100}}, 120},
		{"n above the population", [][nClass]int{{3, 2, 1}}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := population(tc.sizes)
			s := draw(t, Design{N: tc.n, Seed: 3}, cs)
			want := min(tc.n, len(cs))
			if len(s.Items) != want {
				t.Errorf("drew %d items, want %d", len(s.Items), want)
			}
			var sumPi, sumExpected float64
			nonEmpty := 0
			for _, row := range tc.sizes {
				for _, n := range row {
					if n > 0 {
						nonEmpty++
					}
				}
			}
			if len(s.Strata) != nonEmpty {
				t.Errorf("%d strata, want one per non-empty day × stance (%d)", len(s.Strata), nonEmpty)
			}
			drawn := map[[2]any]int{}
			for _, it := range s.Items {
				drawn[[2]any{it.Day, it.Predicted}]++
				if it.Stratum != string(it.Predicted) {
					t.Errorf("item %s: stratum %q, want its predicted stance", it.ID, it.Stratum)
				}
			}
			for _, st := range s.Strata {
				pi := st.Expected / float64(st.Size)
				sumPi += pi * float64(st.Size)
				sumExpected += st.Expected
				if !(pi > 0 && pi <= 1) {
					t.Errorf("stratum %d/%s: π = %v, want in (0, 1]", st.Day, st.Predicted, pi)
				}
				if f := math.Floor(st.Expected); st.Drawn != int(f) && st.Drawn != int(math.Ceil(st.Expected)) {
					t.Errorf("stratum %d/%s: drew %d, want ⌊%v⌋ or ⌈%v⌉", st.Day, st.Predicted, st.Drawn, st.Expected, st.Expected)
				}
				if got := drawn[[2]any{st.Day, st.Predicted}]; got != st.Drawn {
					t.Errorf("stratum %d/%s: %d items, recorded %d", st.Day, st.Predicted, got, st.Drawn)
				}
			}
			for _, it := range s.Items {
				for _, st := range s.Strata {
					if st.Day == it.Day && st.Predicted == it.Predicted && math.Abs(it.Pi-st.Expected/float64(st.Size)) > 1e-12 {
						t.Errorf("item %s: π %v, stratum's %v", it.ID, it.Pi, st.Expected/float64(st.Size))
					}
				}
			}
			if math.Abs(sumPi-float64(want)) > 1e-9 || math.Abs(sumExpected-float64(want)) > 1e-9 {
				t.Errorf("Σπ = %v, Σx_h = %v, want n = %d", sumPi, sumExpected, want)
			}
		})
	}
}

// TestDrawInclusionFrequencies checks the recorded π against how often
// each item is drawn over many seeds: the property that makes 1/π weights
// unbiased.
func TestDrawInclusionFrequencies(t *testing.T) {
	cs := population([][nClass]int{{12, 3, 1}, {20, 1, 4}, {2, 6, 0}})
	const n, seeds = 9, 4000
	hits := map[string]int{}
	pis := map[string]float64{}
	for seed := range uint64(seeds) {
		for _, it := range draw(t, Design{N: n, Seed: seed}, cs).Items {
			hits[it.ID]++
			pis[it.ID] = it.Pi
		}
	}
	for _, c := range cs {
		pi, ok := pis[c.ID]
		if !ok {
			t.Errorf("%s was never drawn in %d samples", c.ID, seeds)
			continue
		}
		f := float64(hits[c.ID]) / seeds
		if se := math.Sqrt(pi * (1 - pi) / seeds); math.Abs(f-pi) > 4*se+1e-9 {
			t.Errorf("%s: drawn in %.4f of samples, π = %.4f", c.ID, f, pi)
		}
	}
}

func TestAllocatePower(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		sizes []int64
		want  []float64
	}{
		// √900 : √64 : √36 = 30 : 8 : 6 of 100.
		{"power", 100, []int64{900, 64, 36}, []float64{100 * 30.0 / 44, 100 * 8.0 / 44, 100 * 6.0 / 44}},
		// √900 : √4 = 30 : 2 gives criticism 6.25 > 4: take all 4, support the other 96.
		{"capped", 100, []int64{900, 4, 0}, []float64{96, 4, 0}},
		{"all", 50, []int64{10, 4, 3}, []float64{10, 4, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := allocate(tc.n, tc.sizes, []int{0, 1, 2})
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-9 {
					t.Errorf("x = %v, want %v", got, tc.want)
				}
			}
		})
	}
	// Within a class, proportional to the days' sizes.
	got := allocate(10, []int64{30, 10, 60}, []int{0, 0, 0})
	if want := []float64{3, 1, 6}; !slices.Equal(got, want) {
		t.Errorf("within a class: x = %v, want %v", got, want)
	}
}

func TestDrawRandomAndUncertain(t *testing.T) {
	cs := population([][nClass]int{{50, 20, 30}})
	s := draw(t, Design{Strategy: Random, N: 10, Seed: 1}, cs)
	if len(s.Items) != 10 || !s.Estimable || s.Strata != nil {
		t.Fatalf("random: %d items, estimable %v, strata %v", len(s.Items), s.Estimable, s.Strata)
	}
	for _, it := range s.Items {
		if it.Pi != 0.1 || it.Stratum != "random" {
			t.Errorf("random item %s: π %v stratum %q, want 0.1 \"random\"", it.ID, it.Pi, it.Stratum)
		}
	}

	u := draw(t, Design{Strategy: Uncertain, N: 10}, cs)
	if u.Estimable {
		t.Error("an uncertainty sample is marked estimable")
	}
	scores := make([]float64, len(cs))
	for i, c := range cs {
		scores[i] = c.Score
	}
	slices.Sort(scores)
	for i, it := range u.Items {
		if it.Pi != 0 || it.Stratum != "" {
			t.Errorf("uncertain item %s: π %v stratum %q, want none", it.ID, it.Pi, it.Stratum)
		}
		if it.Score != scores[i] {
			t.Errorf("uncertain item %d has score %v, want the %d-th lowest %v", i, it.Score, i, scores[i])
		}
	}
}

func TestDrawErrors(t *testing.T) {
	ok := []Candidate{{ID: "a", Predicted: reaction.Support, Score: 0.5}}
	for _, tc := range []struct {
		name string
		d    Design
		cs   []Candidate
		want string
	}{
		{"n", Design{N: 0}, ok, "sample size 0"},
		{"strategy", Design{N: 1, Strategy: "quota"}, ok, `unknown sampling strategy "quota"`},
		{"empty", Design{N: 1}, nil, "no candidates"},
		{"id", Design{N: 1}, []Candidate{{Predicted: reaction.Support}}, "candidate 1 has an empty id"},
		{"unlabelled", Design{N: 1}, []Candidate{{ID: "x"}}, `candidate "x": predicted stance ""`},
		{"score", Design{N: 1, Strategy: Uncertain}, []Candidate{{ID: "x", Score: math.NaN()}}, `candidate "x": score NaN`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Draw(tc.d, slices.Values(tc.cs))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkDraw draws a stratified sample of 400 from 10 million
// candidates over a year of days, with ids made as the store would hand
// them over; "generate" is the cost of making the candidates alone.
func BenchmarkDraw(b *testing.B) {
	const n = 10_000_000
	gen := func(yield func(Candidate) bool) {
		buf := make([]byte, 0, 32)
		x := uint64(1)
		for i := range n {
			x = mix64(x + uint64(i))
			buf = strconv.AppendUint(append(buf[:0], "reddit:t1_"...), x, 36)
			st := reaction.Support
			switch x % 10 {
			case 0, 1, 2:
				st = reaction.Criticism
			case 3, 4:
				st = reaction.Neutral
			}
			if !yield(Candidate{ID: string(buf), Day: int32(i / (n / 365)), Predicted: st, Score: float64(x%1000) / 1000}) {
				return
			}
		}
	}
	run := func(b *testing.B, f func()) {
		b.ReportAllocs()
		cpu := cpuTime(b)
		for range b.N {
			f()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
		b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/item")
	}
	b.Run("generate", func(b *testing.B) {
		run(b, func() {
			for c := range gen {
				sinkID = c.ID
			}
		})
	})
	for _, st := range []Strategy{Stratified, Random, Uncertain} {
		b.Run(string(st), func(b *testing.B) {
			run(b, func() {
				if _, err := Draw(Design{Strategy: st, N: 400, Seed: 7}, gen); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

var sinkID string

// TestPresentationOrderMixesStrata: a stratum taken whole is spread over
// the presentation order, not put last (its keys are not the smallest).
func TestPresentationOrderMixesStrata(t *testing.T) {
	var cs []Candidate
	for i := range 20000 {
		cs = append(cs, Candidate{ID: fmt.Sprint("s", i), Day: 1, Predicted: reaction.Support})
	}
	for i := range 30 {
		cs = append(cs, Candidate{ID: fmt.Sprint("c", i), Day: 1, Predicted: reaction.Criticism})
	}
	for seed := range uint64(5) {
		s, err := Draw(Design{N: 1000, Seed: seed}, slices.Values(cs))
		if err != nil {
			t.Fatal(err)
		}
		all, first := 0, 0
		for i, it := range s.Items {
			if it.Predicted == reaction.Criticism {
				all++
				if i < len(s.Items)/2 {
					first++
				}
			}
		}
		// Binomial(30, ½): 8..22 holds with probability 0.995.
		if all != 30 || first < 8 || first > 22 {
			t.Errorf("seed %d: %d of the %d items of the stratum taken whole are in the first half", seed, first, all)
		}
	}
}
