package series

import (
	"math"
	"sort"
)

// Spike rule (a Hampel filter on bucket totals): a bucket is a spike when
//
//	total >= SpikeMinCount and (total - median) / scale >= SpikeThreshold
//
// where median is the median of the totals of up to SpikeHalfWindow buckets
// on each side (the bucket itself excluded; at least SpikeMinNeighbours of
// them), and scale = max(1.4826 × MAD, √median, 1): the MAD estimates the
// spread robustly, √median is the Poisson noise floor of counts, and 1 keeps
// a silent baseline from making every single reaction a spike.
const (
	SpikeHalfWindow     = 12
	SpikeMinNeighbours  = 6
	SpikeThreshold      = 4.0
	SpikeMinCount       = 5
	MaxSpikes           = 50
	madToSigma          = 1.4826
	spikeNoiseFloorUnit = 1.0
)

// Spike is a bucket that stands out from its neighbours.
type Spike struct {
	// Index is the bucket's index in the series.
	Index int
	// Baseline is the median total of the neighbouring buckets.
	Baseline float64
	// Score is (total - baseline) / scale: how many robust standard
	// deviations the bucket stands above its neighbours.
	Score float64
}

// Spikes returns the spikes of s, in time order (at most MaxSpikes: the
// highest scores).
func (s *Series) Spikes() []Spike {
	totals := make([]int64, len(s.Buckets))
	for i, b := range s.Buckets {
		totals[i] = b.Total
	}
	return DetectSpikes(totals)
}

// DetectSpikes applies the spike rule to a series of totals.
func DetectSpikes(totals []int64) []Spike {
	var out []Spike
	nb := make([]float64, 0, 2*SpikeHalfWindow)
	dev := make([]float64, 0, 2*SpikeHalfWindow)
	for i, x := range totals {
		if x < SpikeMinCount {
			continue
		}
		nb = nb[:0]
		for j := max(0, i-SpikeHalfWindow); j <= min(len(totals)-1, i+SpikeHalfWindow); j++ {
			if j != i {
				nb = append(nb, float64(totals[j]))
			}
		}
		if len(nb) < SpikeMinNeighbours {
			continue
		}
		med := median(nb)
		dev = dev[:0]
		for _, v := range nb {
			dev = append(dev, math.Abs(v-med))
		}
		scale := math.Max(madToSigma*median(dev), math.Max(math.Sqrt(med), spikeNoiseFloorUnit))
		if score := (float64(x) - med) / scale; score >= SpikeThreshold {
			out = append(out, Spike{Index: i, Baseline: med, Score: math.Round(score*100) / 100})
		}
	}
	if len(out) > MaxSpikes {
		sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
		out = out[:MaxSpikes]
		sort.Slice(out, func(a, b int) bool { return out[a].Index < out[b].Index })
	}
	return out
}

// median sorts v in place and returns its median.
func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
