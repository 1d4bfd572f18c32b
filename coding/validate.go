package coding

import (
	"errors"
	"fmt"
	"slices"

	"github.com/reactions-research/reactions/internal/fnv1a"
	"github.com/reactions-research/reactions/reaction"
)

// Item is a coded item of a probability sample, for validation.
type Item struct {
	ID string `json:"id"`
	// Predicted is the label under test: the classifier's, or after a
	// retraining on the story's codes the prediction of the fold model
	// that did not see this item (see Fold).
	Predicted reaction.Stance `json:"predicted"`
	// Truth is the item's final code (see Resolve); Unclear items are
	// counted and left out.
	Truth reaction.Stance `json:"truth"`
	// Pi is the item's inclusion probability, from its Sampled record;
	// it must be in (0, 1], so Uncertain items cannot enter.
	Pi float64 `json:"pi"`
	// Stratum is the item's Sampled.Stratum. When items of several
	// samples are pooled, prefix it with the sample so that each sample's
	// strata are resampled apart.
	Stratum string `json:"stratum"`
}

// Validation is the classifier measured against the coders: figures that
// estimate its performance on the whole story (design-weighted), each
// with a 95 % interval, and the bootstrap replicates a Corrector reuses.
type Validation struct {
	// N is the number of items used (final code a stance).
	N int `json:"n"`
	// NUnclear is the number of items left out because their final code
	// is Unclear.
	NUnclear   int        `json:"n_unclear"`
	Accuracy   float64    `json:"accuracy"`
	AccuracyCI [2]float64 `json:"accuracy_ci"`
	// MacroF1 is the unweighted mean of the three classes' F1.
	MacroF1   float64        `json:"macro_f1"`
	MacroF1CI [2]float64     `json:"macro_f1_ci"`
	PerClass  []ClassMetrics `json:"per_class"`
	Confusion Confusion      `json:"confusion"`

	opts Options
	// reps holds each bootstrap replicate's weighted confusion matrix.
	reps [][nClass][nClass]float64
}

// ClassMetrics are one stance's precision, recall and F1 with intervals.
// A ratio with nothing to divide by (a class never predicted) is 0.
type ClassMetrics struct {
	Stance reaction.Stance `json:"stance"`
	// N is the number of coded items of this true stance.
	N           int        `json:"n"`
	Precision   float64    `json:"precision"`
	PrecisionCI [2]float64 `json:"precision_ci"`
	Recall      float64    `json:"recall"`
	RecallCI    [2]float64 `json:"recall_ci"`
	F1          float64    `json:"f1"`
	F1CI        [2]float64 `json:"f1_ci"`
}

// Confusion is the confusion matrix, rows the true stance and columns the
// predicted one, both in reaction.Stances order.
type Confusion struct {
	// Counts are coded items.
	Counts [nClass][nClass]int `json:"counts"`
	// Weighted are design-weighted (Σ 1/π): the estimated number of the
	// story's reactions in each cell.
	Weighted [nClass][nClass]float64 `json:"weighted"`
}

// ErrNoCodes is returned when no coded item has a stance.
var ErrNoCodes = errors.New("no coded item with a stance")

// Validate measures the classifier on coded items. Every figure is a Hájek
// (ratio) estimate with weights 1/π, so a stratified sample estimates the
// story's figures, not the sample's. Intervals are bootstrap percentile
// intervals: each replicate draws, within each stratum, as many items as it
// has, with replacement (the stratified bootstrap; Efron & Tibshirani 1993;
// Rao & Wu 1988). Days are collapsed into the predicted-class strata:
// a day × class stratum often holds one or two items, whose bootstrap
// would show no variance, and collapsing strata errs on the wide side
// (Wolter 2007).
func Validate(items []Item, o Options) (*Validation, error) {
	o = o.withDefaults()
	v := &Validation{opts: o}
	type obs struct {
		t, p int
		w    float64
	}
	var kept []obs
	strata := map[string][]int{}
	var names []string
	for _, it := range items {
		p := class(it.Predicted)
		if p < 0 {
			return nil, fmt.Errorf("item %q: predicted stance %q is not support, criticism or neutral", it.ID, it.Predicted)
		}
		if !(it.Pi > 0 && it.Pi <= 1) {
			return nil, fmt.Errorf("item %q: inclusion probability %v is not in (0, 1] (only items of stratified or random samples can validate)", it.ID, it.Pi)
		}
		t := class(it.Truth)
		if t < 0 {
			if it.Truth != Unclear {
				return nil, fmt.Errorf("item %q: code %q is not support, criticism, neutral or unclear", it.ID, it.Truth)
			}
			v.NUnclear++
			continue
		}
		if _, ok := strata[it.Stratum]; !ok {
			names = append(names, it.Stratum)
		}
		strata[it.Stratum] = append(strata[it.Stratum], len(kept))
		kept = append(kept, obs{t, p, 1 / it.Pi})
		v.Confusion.Counts[t][p]++
		v.Confusion.Weighted[t][p] += 1 / it.Pi
	}
	v.N = len(kept)
	if v.N == 0 {
		return nil, ErrNoCodes
	}
	slices.Sort(names)

	v.reps = make([][nClass][nClass]float64, o.Replicates)
	rng := newRand(o.Seed, streamValidate)
	for b := range v.reps {
		w := &v.reps[b]
		for _, name := range names {
			idx := strata[name]
			for range idx {
				x := kept[idx[rng.IntN(len(idx))]]
				w[x.t][x.p] += x.w
			}
		}
	}

	point := metricsOf(v.Confusion.Weighted)
	reps := make([]metrics, len(v.reps))
	for b, w := range v.reps {
		reps[b] = metricsOf(w)
	}
	ci := func(f func(metrics) float64) [2]float64 {
		xs := make([]float64, len(reps))
		for b, m := range reps {
			xs[b] = f(m)
		}
		lo, hi := percentileInterval(xs)
		return [2]float64{lo, hi}
	}
	v.Accuracy, v.AccuracyCI = point.accuracy, ci(func(m metrics) float64 { return m.accuracy })
	v.MacroF1, v.MacroF1CI = point.macroF1, ci(func(m metrics) float64 { return m.macroF1 })
	for c, s := range reaction.Stances {
		cm := ClassMetrics{Stance: s}
		for p := range nClass {
			cm.N += v.Confusion.Counts[c][p]
		}
		cm.Precision, cm.PrecisionCI = point.precision[c], ci(func(m metrics) float64 { return m.precision[c] })
		cm.Recall, cm.RecallCI = point.recall[c], ci(func(m metrics) float64 { return m.recall[c] })
		cm.F1, cm.F1CI = point.f1[c], ci(func(m metrics) float64 { return m.f1[c] })
		v.PerClass = append(v.PerClass, cm)
	}
	return v, nil
}

type metrics struct {
	accuracy, macroF1     float64
	precision, recall, f1 [nClass]float64
}

// metricsOf computes the figures of a (weighted) confusion matrix w[t][p].
func metricsOf(w [nClass][nClass]float64) metrics {
	var m metrics
	var total, right float64
	var rows, cols [nClass]float64
	for t := range nClass {
		for p := range nClass {
			total += w[t][p]
			rows[t] += w[t][p]
			cols[p] += w[t][p]
		}
		right += w[t][t]
	}
	m.accuracy = ratio(right, total)
	for c := range nClass {
		m.precision[c] = ratio(w[c][c], cols[c])
		m.recall[c] = ratio(w[c][c], rows[c])
		m.f1[c] = ratio(2*m.precision[c]*m.recall[c], m.precision[c]+m.recall[c])
		m.macroF1 += m.f1[c] / nClass
	}
	return m
}

// ratio is a/b, or 0 when b is 0 (a metric of an empty class).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Fold assigns an item to one of k folds by a hash of its id, the same on
// every run and independent of the other items, so that cross-fitting can
// be repeated and new codes join a fold without moving old ones. After a
// model is retrained on coded items, fit fold f's model on the items of the
// other folds and take its predictions for fold f's items as their
// Item.Predicted: error rates then come from predictions on items the
// model did not see (cross-fitting; Chernozhukov et al. 2018). Fold sizes
// are binomial: with 200 items and k = 5 they vary by about ±15 %.
func Fold(id string, k int) int {
	if k <= 1 {
		return 0
	}
	return int(mix64(fnv1a.String(fnv1a.Offset, id)^0x666f6c64) % uint64(k))
}
