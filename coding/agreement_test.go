package coding

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

// TestAlphaKrippendorff2011 is the nominal example of Krippendorff (2011,
// "Computing Krippendorff's Alpha-Reliability", section C): 4 observers,
// 12 units, values 1–5, missing data ("." below). The paper gives
// α = 0.743.
//
//	unit  1 2 3 4 5 6 7 8 9 10 11 12
//	A     1 2 3 3 2 1 4 1 2 .  .  .
//	B     1 2 3 3 2 2 4 1 2 5  .  3
//	C     . 3 3 3 2 3 4 2 2 5  1  .
//	D     1 2 3 3 2 4 4 1 2 5  1  .
//
// By hand: unit 12 has one value and is not pairable, so n = 40 values.
// The diagonal of the coincidence matrix, Σ_u Σ_c n_uc(n_uc−1)/(m_u−1):
// unit 1: 3·2/2 = 3; 2: 3·2/3 = 2; 3, 4, 5, 7, 9: 4·3/3 = 4 each (20);
// 6: 0; 8: 3·2/3 = 2; 10: 3·2/2 = 3; 11: 2·1/1 = 2. Σ o_cc = 32.
// Category totals n_c: value 1: 3+1+3+2 = 9; 2: 3+4+1+1+4 = 13;
// 3: 1+4+4+1 = 10; 4: 1+4 = 5; 5: 3. Σ n_c² = 81+169+100+25+9 = 384.
// α = 1 − (n−1)(n − Σ o_cc) / (n² − Σ n_c²) = 1 − 39·8 / (1600 − 384)
// = 1 − 312/1216 = 0.74342.
func TestAlphaKrippendorff2011(t *testing.T) {
	const m = -1     // missing
	data := [][]int{ // observers × units, values 1–5
		{1, 2, 3, 3, 2, 1, 4, 1, 2, m, m, m},
		{1, 2, 3, 3, 2, 2, 4, 1, 2, 5, m, 3},
		{m, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, m},
		{1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, m},
	}
	var units [][]int
	for u := range data[0] {
		var vals []int
		for _, obs := range data {
			if obs[u] != m {
				vals = append(vals, obs[u]-1)
			}
		}
		if len(vals) >= 2 {
			units = append(units, vals)
		}
	}
	a := newAlphaUnits(units, 5).alpha(nil)
	if want := 1 - 312.0/1216; math.Abs(a-want) > 1e-12 {
		t.Errorf("α = %.6f, want %.6f", a, want)
	}
	if math.Round(a*1000)/1000 != 0.743 {
		t.Errorf("α = %.4f, the paper reports 0.743", a)
	}
}

// fleissTable is the two-rater diagnosis example of Fleiss, Levin & Paik
// (2003, Statistical Methods for Rates and Proportions, 3rd ed., ch. 18):
// 100 subjects, 3 categories, rows rater A and columns rater B.
//
//	        B1  B2  B3 | total
//	A1      75   1   4 |  80
//	A2       5   4   1 |  10
//	A3       0   0  10 |  10
//	total   80   5  15 | 100
//
// p_o = (75 + 4 + 10)/100 = 0.89; p_e = (80·80 + 10·5 + 10·15)/100² =
// 6600/10000 = 0.66; κ = (0.89 − 0.66)/(1 − 0.66) = 0.23/0.34 = 0.6765
// (the book's 0.68).
var fleissTable = [nClass][nClass]int{{75, 1, 4}, {5, 4, 1}, {0, 0, 10}}

func TestCohenKappaFleiss(t *testing.T) {
	n, po, kappa := cohen(fleissTable)
	if n != 100 || math.Abs(po-0.89) > 1e-12 || math.Abs(kappa-0.23/0.34) > 1e-12 {
		t.Errorf("n %d, p_o %v, κ %v; want 100, 0.89, %v", n, po, kappa, 0.23/0.34)
	}

	// The same table through Agree, as two coders' codes.
	var codings []Coding
	id := 0
	for a := range nClass {
		for b := range nClass {
			for range fleissTable[a][b] {
				item := "i" + string(rune('A'+id/26)) + string(rune('a'+id%26))
				codings = append(codings,
					Coding{ID: item, Coder: "ann", Code: reaction.Stances[a]},
					Coding{ID: item, Coder: "bob", Code: reaction.Stances[b]})
				id++
			}
		}
	}
	r, err := Agree(codings, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.KappaPairs) != 1 {
		t.Fatalf("%d pairs, want 1", len(r.KappaPairs))
	}
	kp := r.KappaPairs[0]
	if kp.A != "ann" || kp.B != "bob" || kp.N != 100 || kp.Kappa == nil || math.Abs(*kp.Kappa-0.23/0.34) > 1e-12 || math.Abs(kp.Agreement-0.89) > 1e-12 {
		t.Errorf("pair %+v, want ann/bob n 100 κ 0.6765 agreement 0.89", kp)
	}
	// Two coders on every item: α is κ with Krippendorff's small-sample
	// correction of the expected disagreement. Coincidences: o_cc = 2 ×
	// the table's diagonal (178 of n = 200 values); n_c = row + column
	// totals (160, 15, 25). α = 1 − 199·(200 − 178)/(200² − (160² + 15² +
	// 25²)) = 1 − 4378/13550 = 0.676900.
	if r.Alpha == nil || math.Abs(*r.Alpha-(1-4378.0/13550)) > 1e-12 {
		t.Errorf("α = %v, want %v", r.Alpha, 1-4378.0/13550)
	}
	if r.PercentAgreement == nil || math.Abs(*r.PercentAgreement-0.89) > 1e-12 {
		t.Errorf("percent agreement %v, want 0.89", r.PercentAgreement)
	}
	if r.AlphaCI == nil || !(r.AlphaCI[0] < *r.Alpha && *r.Alpha < r.AlphaCI[1]) || r.AlphaCI[1]-r.AlphaCI[0] > 0.4 {
		t.Errorf("α interval %v around %v", r.AlphaCI, *r.Alpha)
	}
}

func TestAgree(t *testing.T) {
	s, c, n, u := reaction.Support, reaction.Criticism, reaction.Neutral, Unclear
	codings := []Coding{
		{"1", "ann", s}, {"1", "bob", s}, {"1", "cat", s},
		{"2", "ann", c}, {"2", "bob", c},
		{"3", "ann", n}, {"3", "bob", s},
		{"4", "ann", c}, {"4", "bob", u}, // one stance: not pairable
		{"5", "ann", u}, // coded, unclear
		{"6", "cat", n}, {"6", "bob", n},
	}
	r, err := Agree(codings, Options{Replicates: 200})
	if err != nil {
		t.Fatal(err)
	}
	if r.NCoded != 6 || r.NMulti != 5 || r.NPairable != 4 {
		t.Errorf("n_coded %d n_multi %d n_pairable %d, want 6 5 4", r.NCoded, r.NMulti, r.NPairable)
	}
	if !slices.Equal(r.Coders, []string{"ann", "bob", "cat"}) {
		t.Errorf("coders %v", r.Coders)
	}
	// Pairable units: {s,s,s}, {c,c}, {n,s}, {n,n}: n = 9 values.
	// Diagonal: 3·2/2 + 2·1/1 + 0 + 2 = 7. n_s = 4, n_c = 2, n_n = 3:
	// Σ n_c² = 29. α = 1 − 8·(9 − 7)/(81 − 29) = 1 − 16/52.
	if r.Alpha == nil || math.Abs(*r.Alpha-(1-16.0/52)) > 1e-12 {
		t.Errorf("α = %v, want %v", r.Alpha, 1-16.0/52)
	}
	// Coder pairs: unit 1 has 3 agreeing; 2 and 6 one agreeing; 3 one disagreeing.
	if r.PercentAgreement == nil || *r.PercentAgreement != 5.0/6 {
		t.Errorf("percent agreement %v, want 5/6", r.PercentAgreement)
	}
	want := []KappaPair{{A: "ann", B: "bob", N: 3}, {A: "ann", B: "cat", N: 1}, {A: "bob", B: "cat", N: 2}}
	if len(r.KappaPairs) != len(want) {
		t.Fatalf("pairs %+v", r.KappaPairs)
	}
	for i, w := range want {
		if g := r.KappaPairs[i]; g.A != w.A || g.B != w.B || g.N != w.N {
			t.Errorf("pair %d: %s/%s n %d, want %s/%s n %d", i, g.A, g.B, g.N, w.A, w.B, w.N)
		}
	}
	// ann/cat agree on one item of one stance: chance agreement 1, no κ.
	if r.KappaPairs[1].Kappa != nil {
		t.Errorf("ann/cat κ %v, want undefined", *r.KappaPairs[1].Kappa)
	}
	again, _ := Agree(codings, Options{Replicates: 200})
	if *again.AlphaCI != *r.AlphaCI {
		t.Errorf("the same codes gave intervals %v and %v", *r.AlphaCI, *again.AlphaCI)
	}

	none, err := Agree([]Coding{{"1", "ann", s}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if none.Alpha != nil || none.AlphaCI != nil || none.PercentAgreement != nil || len(none.KappaPairs) != 0 {
		t.Errorf("one code gave %+v", none)
	}
}

func TestAgreeErrors(t *testing.T) {
	for _, tc := range []struct {
		codings []Coding
		want    string
	}{
		{[]Coding{{"1", "ann", "yes"}}, `item "1", coder "ann": code "yes"`},
		{[]Coding{{"1", "ann", "support"}, {"1", "ann", "neutral"}}, `item "1" has two codes by "ann"`},
		{[]Coding{{"", "ann", "support"}}, "empty item id"},
		{[]Coding{{"1", "", "support"}}, "no coder"},
	} {
		_, err := Agree(tc.codings, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	s, c, n, u := reaction.Support, reaction.Criticism, reaction.Neutral, Unclear
	codings := []Coding{
		{"agree", "ann", s}, {"agree", "bob", s},
		{"one-unclear", "ann", c}, {"one-unclear", "bob", u},
		{"dispute", "ann", c}, {"dispute", "bob", n},
		{"settled", "ann", c}, {"settled", "bob", s},
		{"dropped", "ann", c}, {"dropped", "bob", s},
		{"unclear", "ann", u},
	}
	r, err := Resolve(codings, map[string]reaction.Stance{"settled": n, "dropped": u})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]reaction.Stance{"agree": s, "one-unclear": c, "settled": n}
	if len(r.Final) != len(want) {
		t.Errorf("final %v, want %v", r.Final, want)
	}
	for id, st := range want {
		if r.Final[id] != st {
			t.Errorf("%s: %q, want %q", id, r.Final[id], st)
		}
	}
	if !slices.Equal(r.Disputed, []string{"dispute"}) {
		t.Errorf("disputed %v, want [dispute]", r.Disputed)
	}
	if _, err := Resolve(nil, map[string]reaction.Stance{"x": "maybe"}); err == nil {
		t.Error("an unknown adjudicated code was accepted")
	}
}

func TestParseCode(t *testing.T) {
	for in, want := range map[string]reaction.Stance{
		"support": reaction.Support, "1": reaction.Support, " Criticism ": reaction.Criticism,
		"2": reaction.Criticism, "NEUTRAL": reaction.Neutral, "3": reaction.Neutral, "unclear": Unclear, "0": Unclear,
	} {
		if got, err := ParseCode(in); err != nil || got != want {
			t.Errorf("ParseCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "4", "pro"} {
		if _, err := ParseCode(in); err == nil {
			t.Errorf("ParseCode(%q) gave no error", in)
		}
	}
}

func TestPercentileInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 10, 41, 1000, 1001} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.NormFloat64() * 4) // ties too
		}
		sorted := slices.Sorted(slices.Values(xs))
		q := func(p float64) float64 { // type 7
			h := p * float64(n-1)
			k := int(h)
			if k+1 >= n {
				return sorted[k]
			}
			return sorted[k] + (h-float64(k))*(sorted[k+1]-sorted[k])
		}
		lo, hi := percentileInterval(xs)
		if lo != q(0.025) || hi != q(0.975) {
			t.Errorf("n %d: (%v, %v), want (%v, %v)", n, lo, hi, q(0.025), q(0.975))
		}
	}
}

// TestAlphaIntervalCoverage (-long) prints how often α's bootstrap
// interval covers the α of the coders' process: two coders who each give
// the true stance with probability 0.8 and a random one otherwise.
func TestAlphaIntervalCoverage(t *testing.T) {
	if !*long {
		return
	}
	gen := func(rng *rand.Rand, n int) []Coding {
		var cs []Coding
		for i := range n {
			truth := pick(rng, [nClass]float64{0.5, 0.3, 0.2})
			for _, coder := range []string{"ann", "bob"} {
				code := truth
				if rng.Float64() > 0.8 {
					code = rng.IntN(nClass)
				}
				cs = append(cs, Coding{ID: strconv.Itoa(i), Coder: coder, Code: reaction.Stances[code]})
			}
		}
		return cs
	}
	big, err := Agree(gen(rand.New(rand.NewPCG(0, 0)), 200_000), Options{Replicates: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{30, 80, 200} {
		const reps = 500
		in := 0
		for s := range uint64(reps) {
			r, err := Agree(gen(rand.New(rand.NewPCG(s+1, 9)), n), Options{Seed: s})
			if err != nil {
				t.Fatal(err)
			}
			if r.AlphaCI[0] <= *big.Alpha && *big.Alpha <= r.AlphaCI[1] {
				in++
			}
		}
		t.Logf("%d items coded twice, α %.3f: the 95 %% interval covers it in %.3f of %d samples", n, *big.Alpha, float64(in)/reps, reps)
	}
}
