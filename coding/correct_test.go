package coding

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// solverOf builds the solver of a confusion given as P(predicted | true)
// rows, as Validate's weighted matrix would hold it.
func solverOf(t *testing.T, conf [nClass][nClass]float64) simplexLS {
	t.Helper()
	s, ok := newSimplexLS(conf)
	if !ok {
		t.Fatal("no solver")
	}
	return s
}

// objective is ‖M p − q‖².
func objective(s *simplexLS, p, q [nClass]float64) float64 {
	var res float64
	for r := range nClass {
		x := -q[r]
		for k := range nClass {
			x += s.col[k][r] * p[k]
		}
		res += x * x
	}
	return res
}

// bruteMin searches the simplex on a grid of step 1/n.
func bruteMin(s *simplexLS, q [nClass]float64, n int) float64 {
	best := math.Inf(1)
	for i := 0; i <= n; i++ {
		for j := 0; i+j <= n; j++ {
			p := [nClass]float64{float64(i) / float64(n), float64(j) / float64(n), float64(n-i-j) / float64(n)}
			best = math.Min(best, objective(s, p, q))
		}
	}
	return best
}

func TestSimplexLS(t *testing.T) {
	s := solverOf(t, realConfusion)
	// M M⁻¹ = I.
	for i := range nClass {
		for j := range nClass {
			var x float64
			for k := range nClass {
				x += s.col[k][i] * s.inv[k][j]
			}
			if want := float64(map[bool]int{true: 1}[i == j]); math.Abs(x-want) > 1e-12 {
				t.Errorf("(M M⁻¹)[%d][%d] = %v", i, j, x)
			}
		}
	}
	// Inside the simplex the solve inverts q = M p exactly.
	p := [nClass]float64{0.5, 0.3, 0.2}
	var q [nClass]float64
	for r := range nClass {
		for k := range nClass {
			q[r] += s.col[k][r] * p[k]
		}
	}
	if got := s.solve(q); math.Abs(got[0]-p[0])+math.Abs(got[1]-p[1])+math.Abs(got[2]-p[2]) > 1e-12 {
		t.Errorf("solve(M p) = %v, want %v", got, p)
	}

	singular := solverOf(t, [nClass][nClass]float64{{0.7, 0.2, 0.1}, {0.7, 0.2, 0.1}, {0.1, 0.1, 0.8}})
	if !singular.singular {
		t.Fatal("two equal rows did not make M singular")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sv := range []*simplexLS{&s, &singular} {
		for range 100 {
			// Predicted shares anywhere in the simplex, many of them
			// outside M's image of it.
			g := [nClass]float64{rng.ExpFloat64(), rng.ExpFloat64(), rng.ExpFloat64()}
			q := normalise(g)
			got := sv.solve(q)
			if math.Abs(got[0]+got[1]+got[2]-1) > 1e-12 || got[0] < 0 || got[1] < 0 || got[2] < 0 {
				t.Fatalf("solve(%v) = %v is not in the simplex", q, got)
			}
			if f, best := objective(sv, got, q), bruteMin(sv, q, 100); f > best+1e-12 {
				t.Errorf("solve(%v) = %v: residual %v, a grid point has %v", q, got, f, best)
			}
		}
	}
}

// TestGammas checks the Gamma variates behind the posterior by their
// first three moments: mean a, variance a, skewness 2/√a.
func TestGammas(t *testing.T) {
	const B = 200_000
	c := &Corrector{}
	rng := rand.New(rand.NewPCG(7, 8))
	for t := range gammaTries {
		c.z[0][t], c.u[0][t] = make([]float64, B), make([]float64, B)
		for r := range B {
			c.z[0][t][r], c.u[0][t][r] = rng.NormFloat64(), rng.Float64()
		}
	}
	c.logU[0] = make([]float64, B)
	for r, u := range c.u[0][0] {
		c.logU[0][r] = math.Log(u)
	}
	g := make([]float64, B)
	for _, a := range []float64{0.5, 1.5, 2.5, 7.5, 100.5, 5000.5} {
		c.gammas(g, a, 0)
		var m1, m2, m3 float64
		for _, x := range g {
			m1 += x
		}
		m1 /= B
		for _, x := range g {
			d := x - m1
			m2 += d * d
			m3 += d * d * d
		}
		m2 /= B
		m3 /= B
		skew := m3 / math.Pow(m2, 1.5)
		// Standard errors: mean √(a/B), variance ≈ a√(2(1+3/a)/B)
		// (excess kurtosis 6/a), skewness about √(6·(1+…)/B) ≈ 0.01.
		if math.Abs(m1-a) > 5*math.Sqrt(a/B) || math.Abs(m2-a) > 5*a*math.Sqrt(2*(1+3/a)/B) || math.Abs(skew-2/math.Sqrt(a)) > 0.05*(1+2/math.Sqrt(a)) {
			t.Errorf("Gamma(%v): mean %.4f variance %.4f skewness %.4f, want %v %v %.4f", a, m1, m2, skew, a, a, 2/math.Sqrt(a))
		}
	}
}

// corrector validates a sample with the given confusion counts (rows
// true, columns predicted) coded at π = 0.5.
func corrector(t *testing.T, conf [nClass][nClass]int, o Options) *Corrector {
	t.Helper()
	v, err := Validate(itemsOf(conf, [nClass]float64{0.5, 0.5, 0.5}), o)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Corrector()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuckets(t *testing.T) {
	c := corrector(t, exampleConfusion, Options{Replicates: 400})
	est := c.Buckets([]Counts{{}, {Support: 5, Criticism: 4, Neutral: 30}, {Support: 6, Criticism: 4}, {Support: 600, Criticism: 300, Neutral: 100}})

	if est[0] != (Estimate{}) {
		t.Errorf("an empty bucket gave %+v", est[0])
	}
	// Below MinBucket (9 support + criticism): counts, no share.
	if e := est[1]; e.Share != nil || e.Lo != nil || e.Hi != nil || math.Abs(e.SupportAdj+e.CriticismAdj+e.NeutralAdj-39) > 1e-9 {
		t.Errorf("a bucket of 9 gave %+v", e)
	}
	for i, e := range est[2:] {
		if e.Share == nil || !(*e.Lo <= *e.Share && *e.Share <= *e.Hi) || *e.Lo < 0 || *e.Hi > 1 {
			t.Errorf("bucket %d: %+v", i+2, e)
		}
	}
	if small, large := *est[2].Hi-*est[2].Lo, *est[3].Hi-*est[3].Lo; !(small > large) {
		t.Errorf("a bucket of 10 has an interval of %.3f, one of 1000 %.3f", small, large)
	}
	// The corrected counts are the bucket's total times the solution of
	// M p = q, which here lies inside the simplex.
	e := est[3]
	if math.Abs(e.SupportAdj+e.CriticismAdj+e.NeutralAdj-1000) > 1e-9 || math.Abs(*e.Share-e.CriticismAdj/(e.SupportAdj+e.CriticismAdj)) > 1e-12 {
		t.Errorf("bucket of 1000: %+v", e)
	}
	p := c.point.solve([nClass]float64{0.6, 0.3, 0.1})
	if math.Abs(e.CriticismAdj-1000*p[1]) > 1e-9 {
		t.Errorf("criticism_adj %v, want %v", e.CriticismAdj, 1000*p[1])
	}

	again := c.Buckets([]Counts{{Support: 600, Criticism: 300, Neutral: 100}})[0]
	if *again.Lo != *e.Lo || *again.Hi != *e.Hi {
		t.Errorf("the same counts gave (%v, %v) and (%v, %v)", *e.Lo, *e.Hi, *again.Lo, *again.Hi)
	}

	// Many buckets go through the goroutines of Buckets: same answers.
	many := make([]Counts, 1000)
	for i := range many {
		many[i] = Counts{Support: int64(10 + i%50), Criticism: int64(i % 30), Neutral: int64(i % 7)}
	}
	par := c.Buckets(many)
	for i := 0; i < len(many); i += 97 {
		one := c.Buckets(many[i : i+1])[0]
		if (one.Share == nil) != (par[i].Share == nil) || one.Share != nil && (*one.Lo != *par[i].Lo || *one.Hi != *par[i].Hi) {
			t.Errorf("bucket %d alone %+v, in a series %+v", i, one, par[i])
		}
	}
}

// TestBucketsPerfectClassifier: when the coders and the classifier always
// agree, the bucket's true counts are its predicted counts, and the
// interval for the share among its reactions has no width (up to
// rounding).
func TestBucketsPerfectClassifier(t *testing.T) {
	c := corrector(t, [nClass][nClass]int{{40, 0, 0}, {0, 30, 0}, {0, 0, 20}}, Options{Replicates: 200})
	e := c.Buckets([]Counts{{Support: 30, Criticism: 10, Neutral: 7}})[0]
	if e.Share == nil || math.Abs(*e.Share-0.25) > 1e-12 || math.Abs(*e.Lo-0.25) > 1e-6 || math.Abs(*e.Hi-0.25) > 1e-6 {
		t.Errorf("perfect classifier: share %v (%v, %v)", *e.Share, *e.Lo, *e.Hi)
	}
}

func TestMinBucket(t *testing.T) {
	c := corrector(t, exampleConfusion, Options{Replicates: 100, MinBucket: 50})
	for _, tc := range []struct {
		cnt  Counts
		show bool
	}{
		{Counts{Support: 30, Criticism: 19, Neutral: 500}, false},
		{Counts{Support: 30, Criticism: 20}, true},
	} {
		if got := c.Buckets([]Counts{tc.cnt})[0].Share != nil; got != tc.show || (Options{MinBucket: 50}).Enough(tc.cnt) != tc.show {
			t.Errorf("%+v: shown %v, want %v", tc.cnt, got, tc.show)
		}
	}
	// Another threshold on the same Corrector: the same figures, another
	// rule; the original keeps its own.
	small := Counts{Support: 30, Criticism: 19, Neutral: 10}
	if e, d := c.WithMinBucket(10).Buckets([]Counts{small})[0], c.Buckets([]Counts{small})[0]; e.Share == nil || d.Share != nil || e.CriticismAdj != d.CriticismAdj {
		t.Errorf("WithMinBucket(10): %+v, the original: %+v", e, d)
	}
	if e := c.WithMinBucket(0).Buckets([]Counts{{Support: 5, Criticism: 4}})[0]; e.Share != nil {
		t.Errorf("WithMinBucket(0) is not the default rule: %+v", e)
	}
	if (Options{}).Enough(Counts{Support: 9}) || !(Options{}).Enough(Counts{Support: 9, Criticism: 1}) {
		t.Errorf("the default threshold is not %d", DefaultMinBucket)
	}
}

func TestOverall(t *testing.T) {
	c := corrector(t, exampleConfusion, Options{Replicates: 400})
	o := c.Overall(Counts{Support: 5000, Criticism: 3000, Neutral: 2000})
	if o.Total != 10000 || o.Share == nil {
		t.Fatalf("overall %+v", o)
	}
	if s := o.Support.Value + o.Criticism.Value + o.Neutral.Value; math.Abs(s-1) > 1e-12 {
		t.Errorf("proportions sum to %v", s)
	}
	for name, p := range map[string]Proportion{"support": o.Support, "criticism": o.Criticism, "neutral": o.Neutral} {
		if !(p.Lo <= p.Value && p.Value <= p.Hi) || p.Hi-p.Lo > 0.5 {
			t.Errorf("%s: %+v", name, p)
		}
	}
	if math.Abs(o.CriticismAdj/10000-o.Criticism.Value) > 1e-12 {
		t.Errorf("criticism_adj %v, proportion %v", o.CriticismAdj, o.Criticism.Value)
	}
	if (c.Overall(Counts{}) != Overall{}) {
		t.Error("no reactions gave an estimate")
	}
}

func TestCorrectorTooFewCodes(t *testing.T) {
	v, err := Validate(itemsOf([nClass][nClass]int{{40, 5, 5}, {1, 7, 1}, {6, 6, 8}}, [nClass]float64{1, 1, 1}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Corrector(); !errors.Is(err, ErrTooFewCodes) {
		t.Errorf("9 coded criticism items: %v, want ErrTooFewCodes", err)
	}
}

// BenchmarkBuckets measures the corrected estimate of a series (B = 1000
// replicates) of 720 buckets (hourly, 30 days) and 8760 (hourly, a year),
// bucket sizes log-uniform from 12 to 5000 reactions.
func BenchmarkBuckets(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newSimStory(rng, 48, 12, 5000, realConfusion)
	v, err := Validate(s.code(b, 300, 1), Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := v.Corrector()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{720, 8760} {
		counts := make([]Counts, n)
		for i := range counts {
			counts[i] = s.pred[i%len(s.pred)]
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime(b)
			for range b.N {
				c.Buckets(counts)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/series")
			b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/bucket")
		})
	}
}

// BenchmarkCorrector measures the per-story preparation: validation with
// its 1000 bootstrap replicates and the Corrector built from them.
func BenchmarkCorrector(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newSimStory(rng, 48, 12, 5000, realConfusion)
	items := s.code(b, 400, 1)
	b.ReportAllocs()
	for range b.N {
		v, err := Validate(items, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Corrector(); err != nil {
			b.Fatal(err)
		}
	}
}
