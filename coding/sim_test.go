package coding

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

var long = flag.Bool("long", false, "simulate 1000 stories instead of 30 and print the corrected estimator's figures")

// realConfusion is P(predicted | true) like the shipped classifier's on
// independently written reactions: with true shares support 0.5,
// criticism 0.25, neutral 0.25 it gives accuracy 0.72, criticism
// precision 0.60 and neutral recall 0.51. Rows are the true stance.
var realConfusion = [nClass][nClass]float64{
	{0.82, 0.10, 0.08},
	{0.12, 0.72, 0.16},
	{0.20, 0.29, 0.51},
}

// simStory is a simulated story: buckets of reactions whose true stances
// follow shares that drift over time and whose predicted stances follow a
// known confusion.
type simStory struct {
	pred      []Counts
	trueShare []float64 // realised criticism ÷ (support + criticism) per bucket
	expShare  []float64 // the share the bucket's stances were drawn with
	pop       []simItem
}

type simItem struct {
	bucket      int32
	truth, pred int8
}

// newSimStory draws a story of nb buckets with sizes log-uniform in
// [minSize, maxSize]. The criticism share of each bucket's expected
// stances moves between 0.15 and 0.45, the neutral share between 0.17
// and 0.33.
func newSimStory(rng *rand.Rand, nb int, minSize, maxSize float64, conf [nClass][nClass]float64) *simStory {
	s := &simStory{}
	phase := rng.Float64() * 2 * math.Pi
	for b := range nb {
		size := int(math.Exp(math.Log(minSize) + rng.Float64()*(math.Log(maxSize)-math.Log(minSize))))
		x := 2*math.Pi*float64(b)/float64(nb) + phase
		crit := 0.30 + 0.15*math.Sin(x)
		neu := 0.25 + 0.08*math.Cos(1.7*x)
		p := [nClass]float64{(1 - neu) * (1 - crit), (1 - neu) * crit, neu}
		var truth, pred [nClass]int64
		for range size {
			t := pick(rng, p)
			q := pick(rng, conf[t])
			truth[t]++
			pred[q]++
			s.pop = append(s.pop, simItem{bucket: int32(b), truth: int8(t), pred: int8(q)})
		}
		s.pred = append(s.pred, Counts{pred[0], pred[1], pred[2]})
		share := math.NaN()
		if truth[0]+truth[1] > 0 {
			share = float64(truth[1]) / float64(truth[0]+truth[1])
		}
		s.trueShare = append(s.trueShare, share)
		s.expShare = append(s.expShare, crit)
	}
	return s
}

func pick(rng *rand.Rand, p [nClass]float64) int {
	u := rng.Float64()
	for k := range nClass - 1 {
		if u < p[k] {
			return k
		}
		u -= p[k]
	}
	return nClass - 1
}

// code draws a stratified sample of n (days are buckets) and returns its
// items coded with the truth, as a perfect coder would.
func (s *simStory) code(t testing.TB, n int, seed uint64) []Item {
	smp, err := Draw(Design{N: n, Seed: seed}, func(yield func(Candidate) bool) {
		for i, it := range s.pop {
			if !yield(Candidate{ID: strconv.Itoa(i), Day: it.bucket, Predicted: reaction.Stances[it.pred]}) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	items := make([]Item, len(smp.Items))
	for i, x := range smp.Items {
		j, _ := strconv.Atoi(x.ID)
		items[i] = Item{ID: x.ID, Predicted: x.Predicted, Truth: reaction.Stances[s.pop[j].truth], Pi: x.Pi, Stratum: x.Stratum}
	}
	return items
}

// band sums the figures of buckets whose predicted support + criticism
// falls in [lo, hi).
type band struct {
	lo, hi          int64
	buckets, inside int
	raw, adj, width float64
}

func (b band) String() string {
	hi := fmt.Sprint(b.hi)
	if b.hi == math.MaxInt64 {
		hi = "∞"
	}
	if b.buckets == 0 {
		return fmt.Sprintf("%5d–%-5s no bucket", b.lo, hi)
	}
	n := float64(b.buckets)
	return fmt.Sprintf("%5d–%-5s %6d buckets: coverage %.3f, mean |error| raw %.4f corrected %.4f (ratio %.2f), mean width %.3f",
		b.lo, hi, b.buckets, float64(b.inside)/n, b.raw/n, b.adj/n, b.adj/b.raw, b.width/n)
}

// simConfig is one simulation: stories of 48 buckets of 12 to 5000
// reactions, each with a stratified sample of nMin to nMax coded items.
type simConfig struct {
	stories    int
	conf       [nClass][nClass]float64
	nMin, nMax int
	opts       Options
	// superpop scores the intervals against the share the stances were
	// drawn with instead of the share among the bucket's reactions.
	superpop bool
}

// simResult sums a simulation by bucket size (bands[0] is every bucket)
// and counts how often the whole-story interval covered.
type simResult struct {
	bands                  []band
	stories, overallInside int
	// undefined counts buckets shown raw whose corrected support and
	// criticism are both 0, so that their corrected share is undefined.
	undefined int
}

func (r simResult) String() string {
	var lines []string
	for _, b := range r.bands {
		lines = append(lines, b.String())
	}
	return fmt.Sprintf("whole story: coverage %.3f of %d stories; %d buckets without a corrected share (all corrected to neutral); buckets by predicted support + criticism:\n%s",
		float64(r.overallInside)/float64(r.stories), r.stories, r.undefined, strings.Join(lines, "\n"))
}

func simulate(t testing.TB, cfg simConfig) simResult {
	r := simResult{bands: []band{{lo: 0, hi: math.MaxInt64}, {lo: 0, hi: 20}, {lo: 20, hi: 50}, {lo: 50, hi: 200}, {lo: 200, hi: 1000}, {lo: 1000, hi: math.MaxInt64}}}
	for seed := range uint64(cfg.stories) {
		rng := rand.New(rand.NewPCG(seed, 99))
		s := newSimStory(rng, 48, 12, 5000, cfg.conf)
		o := cfg.opts
		o.Seed = seed
		v, err := Validate(s.code(t, cfg.nMin+rng.IntN(cfg.nMax-cfg.nMin+1), seed), o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Corrector()
		if err != nil {
			t.Fatalf("story %d: %v", seed, err)
		}
		var total Counts
		var trueS, trueC float64
		for _, p := range s.pred {
			total.Support += p.Support
			total.Criticism += p.Criticism
			total.Neutral += p.Neutral
		}
		for _, it := range s.pop {
			switch it.truth {
			case iSupport:
				trueS++
			case iCriticism:
				trueC++
			}
		}
		r.stories++
		if ov := c.Overall(total); *ov.Lo <= trueC/(trueS+trueC) && trueC/(trueS+trueC) <= *ov.Hi {
			r.overallInside++
		}
		for b, e := range c.Buckets(s.pred) {
			p := s.pred[b]
			if e.Share == nil {
				if o.Enough(p) && e.SupportAdj+e.CriticismAdj > 0 {
					t.Errorf("story %d bucket %d: %+v has no corrected share", seed, b, p)
				}
				if o.Enough(p) {
					r.undefined++ // the correction finds only neutral reactions
				}
				continue
			}
			truth := s.trueShare[b]
			if cfg.superpop {
				truth = s.expShare[b]
			}
			raw := float64(p.Criticism) / float64(p.Support+p.Criticism)
			for i := range r.bands {
				bd := &r.bands[i]
				if sc := p.Support + p.Criticism; sc < bd.lo || sc >= bd.hi {
					continue
				}
				bd.buckets++
				bd.raw += math.Abs(raw - truth)
				bd.adj += math.Abs(*e.Share - truth)
				bd.width += *e.Hi - *e.Lo
				if *e.Lo <= truth && truth <= *e.Hi {
					bd.inside++
				}
			}
		}
	}
	return r
}

// TestCorrectedEstimator checks the corrected shares on simulated stories
// with a known truth and a confusion like the real classifier's, 200 to
// 400 coded items: the 95 % intervals cover the bucket's true share in
// 90–98 % of buckets, overall and among the smallest buckets shown (10 to
// 50 support and criticism); on buckets of a busy day (1000+) the
// corrected share is off by at most half as much as the raw one. On small
// buckets the correction removes the bias but not the noise, which the
// interval shows. -long runs 1000 stories and more settings.
func TestCorrectedEstimator(t *testing.T) {
	cfg := simConfig{stories: 30, conf: realConfusion, nMin: 200, nMax: 400, opts: Options{Replicates: 500}}
	if *long {
		cfg.stories, cfg.opts.Replicates = 1000, 0
	}
	r := simulate(t, cfg)
	o := cfg.opts.withDefaults()
	t.Logf("%d stories, %d–%d coded items, the real classifier's confusion, %d replicates (%d per bucket): %s",
		cfg.stories, cfg.nMin, cfg.nMax, o.Replicates, min(o.Replicates, o.BucketReplicates), r)
	bands := r.bands
	small := band{lo: bands[1].lo, hi: bands[2].hi, buckets: bands[1].buckets + bands[2].buckets, inside: bands[1].inside + bands[2].inside}
	for _, b := range []band{bands[0], small, bands[5]} {
		if cov := float64(b.inside) / float64(b.buckets); cov < 0.90 || cov > 0.98 {
			t.Errorf("buckets %d–%d: coverage %.3f, want 0.90–0.98", b.lo, b.hi, cov)
		}
	}
	if daily := bands[5]; daily.adj > 0.5*daily.raw {
		t.Errorf("daily buckets: corrected error %.4f is more than half the raw error %.4f", daily.adj/float64(daily.buckets), daily.raw/float64(daily.buckets))
	}
	if !*long {
		return
	}
	for _, c := range []struct {
		name string
		cfg  simConfig
	}{
		{"scored against the generating share, not the bucket's", simConfig{stories: 1000, conf: realConfusion, nMin: 200, nMax: 400, superpop: true}},
		{"100 coded items", simConfig{stories: 1000, conf: realConfusion, nMin: 100, nMax: 100}},
		{"a better classifier (accuracy about 0.86)", simConfig{stories: 1000, conf: [nClass][nClass]float64{{0.9, 0.05, 0.05}, {0.06, 0.86, 0.08}, {0.1, 0.12, 0.78}}, nMin: 200, nMax: 400}},
	} {
		t.Logf("%s: %s", c.name, simulate(t, c.cfg))
	}
}
