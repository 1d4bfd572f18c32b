package stance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// TrainOptions controls training. The zero value of a field means its default.
type TrainOptions struct {
	// Epochs over the training data (default 30).
	Epochs int `json:"epochs"`
	// LearningRate is AdaGrad's base step (default 0.2).
	LearningRate float64 `json:"learning_rate"`
	// L2 is the L2 penalty per update (default 3e-4).
	L2 float64 `json:"l2"`
	// Bits is log2 of the number of hashed feature buckets (default 18).
	Bits int `json:"bits"`
	// Seed fixes the shuffling order; training is deterministic for a seed.
	Seed uint64 `json:"seed"`
	// BalanceClasses weights examples inversely to their class frequency.
	BalanceClasses bool `json:"balance_classes"`
	// HardWeight multiplies the weight of examples marked hard (default 1).
	HardWeight float64 `json:"hard_weight"`
	// Features selects the feature groups (default DefaultFeatures()).
	Features *FeatureConfig `json:"features,omitempty"`
	// Restarts is the number of runs with different shuffling orders whose
	// weights are averaged (DefaultTrainOptions uses 3; 0 means 1).
	Restarts int `json:"restarts,omitempty"`
	// Sources names the training files; it is recorded in the model.
	Sources []string `json:"-"`
	// StoryCodes, when set, records in the model that it was trained on a
	// story's own codes (ModelMeta.StoryCodes).
	StoryCodes *StoryCodes `json:"-"`
}

// DefaultTrainOptions returns the options used for the shipped model.
func DefaultTrainOptions() TrainOptions {
	f := DefaultFeatures()
	return TrainOptions{Epochs: 30, LearningRate: 0.2, L2: 3e-4, Bits: 18, Seed: 1, BalanceClasses: true, HardWeight: 1, Restarts: 3, Features: &f}
}

func (o TrainOptions) withDefaults() TrainOptions {
	d := DefaultTrainOptions()
	if o.Epochs <= 0 {
		o.Epochs = d.Epochs
	}
	if o.LearningRate <= 0 {
		o.LearningRate = d.LearningRate
	}
	if o.L2 < 0 {
		o.L2 = 0
	}
	if o.Bits == 0 {
		o.Bits = d.Bits
	}
	if o.HardWeight <= 0 {
		o.HardWeight = 1
	}
	if o.Features == nil {
		o.Features = d.Features
	}
	return o
}

// ErrNoExamples is returned by Train when there is nothing to learn from.
var ErrNoExamples = errors.New("no training examples")

// sparse is one example's extracted features.
type sparse struct {
	idx []uint32
	val []float32
	y   int
	wt  float32
}

// Train fits a model to labelled examples. It is deterministic: the same
// examples in the same order with the same options give the same model.
func Train(examples []Example, opts TrainOptions) (*Model, error) {
	opts = opts.withDefaults()
	if len(examples) == 0 {
		return nil, ErrNoExamples
	}
	if opts.Bits < 10 || opts.Bits > 24 {
		return nil, fmt.Errorf("train: bits %d out of range 10..24", opts.Bits)
	}
	fc := *opts.Features
	mask := uint64(1)<<uint(opts.Bits) - 1
	var counts [3]int
	for i, ex := range examples {
		k := classIndex(ex.Stance)
		if k < 0 {
			return nil, fmt.Errorf("train: example %d (%s): bad stance %q", i+1, ex.ID, ex.Stance)
		}
		counts[k]++
	}
	var classWt [3]float32
	for k := range classWt {
		classWt[k] = 1
		if opts.BalanceClasses && counts[k] > 0 {
			classWt[k] = float32(float64(len(examples)) / (3 * float64(counts[k])))
		}
	}
	// Extract once.
	data := make([]sparse, len(examples))
	cache := subjectCache{}
	var sc scratch
	for i, ex := range examples {
		sc.extract(ex.Text, cache.get(ex.Subject), &fc)
		s := sparse{idx: make([]uint32, len(sc.feats)), val: make([]float32, len(sc.vals)), y: classIndex(ex.Stance)}
		for j, f := range sc.feats {
			s.idx[j] = uint32(f & mask)
		}
		copy(s.val, sc.vals)
		s.wt = classWt[s.y]
		if ex.Hard {
			s.wt *= float32(opts.HardWeight)
		}
		data[i] = s
	}
	// Fit Restarts models with different shuffling orders and average them:
	// the average depends much less on the order than any single run.
	restarts := max(1, opts.Restarts)
	fits := make([][]float32, restarts)
	var wg sync.WaitGroup
	for r := range fits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fits[r] = fit(data, opts, opts.Seed+uint64(r))
		}()
	}
	wg.Wait()
	w := fits[0]
	for _, f := range fits[1:] {
		for i, v := range f {
			w[i] += v
		}
	}
	if restarts > 1 {
		inv := 1 / float32(restarts)
		for i := range w {
			w[i] *= inv
		}
	}
	m := &Model{
		Meta: ModelMeta{
			FeatureVersion: featureVersion,
			Kind:           "lr",
			Bits:           opts.Bits,
			Features:       fc,
			Examples:       len(examples),
			Options:        opts,
			Sources:        opts.Sources,
			StoryCodes:     opts.StoryCodes,
		},
		w: w,
	}
	if err := m.finalize(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return m, nil
}

// fit runs AdaGrad on the softmax loss with one shuffling seed and returns
// the weights.
func fit(data []sparse, opts TrainOptions, seed uint64) []float32 {
	n := 3 << uint(opts.Bits)
	w := make([]float32, n)
	g := make([]float32, n) // AdaGrad accumulators
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	lr := float32(opts.LearningRate)
	l2 := float32(opts.L2)
	for epoch := 0; epoch < opts.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, di := range order {
			d := &data[di]
			var z [3]float32
			for j, b := range d.idx {
				ws := w[3*b : 3*b+3 : 3*b+3]
				v := d.val[j]
				z[0] += ws[0] * v
				z[1] += ws[1] * v
				z[2] += ws[2] * v
			}
			p := softmax(z)
			var grad [3]float32
			for k := range grad {
				grad[k] = float32(p[k]) * d.wt
			}
			grad[d.y] -= d.wt
			for j, b := range d.idx {
				v := d.val[j]
				for k := 0; k < 3; k++ {
					i := 3*int(b) + k
					gk := grad[k]*v + l2*w[i]
					if gk == 0 {
						continue
					}
					g[i] += gk * gk
					w[i] -= lr * gk / float32(math.Sqrt(float64(g[i]))+1e-6)
				}
			}
		}
	}
	return w
}
