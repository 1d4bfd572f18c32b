package coding

import "slices"

// level is the coverage of every interval in the package.
const level = 0.95

// percentileInterval returns the central 95 % percentile interval of xs
// with quantiles of type 7 (linear interpolation between order
// statistics, R's default; Hyndman & Fan 1996), reordering xs. NaNs must
// have been removed; xs must not be empty.
func percentileInterval(xs []float64) (lo, hi float64) {
	n := len(xs)
	// The upper quantile first: then the lower one is among xs[:kHi+1].
	hHi := (1 + level) / 2 * float64(n-1)
	kHi := int(hHi)
	hi = selectK(xs, kHi)
	if kHi+1 < n {
		hi += (hHi - float64(kHi)) * (slices.Min(xs[kHi+1:]) - hi)
	}
	hLo := (1 - level) / 2 * float64(n-1)
	kLo := int(hLo)
	lo = selectK(xs[:kHi+1], kLo)
	if kLo+1 < n {
		// The next order statistic: xs[kHi] bounds everything after it.
		end := kHi + 1
		if kLo+1 >= end {
			end = n
		}
		lo += (hLo - float64(kLo)) * (slices.Min(xs[kLo+1:end]) - lo)
	}
	return lo, hi
}

// selectK places the k-th smallest element of xs at xs[k], smaller ones
// before and larger ones after, and returns it (Hoare's quickselect with a
// median-of-three pivot; linear on average).
func selectK(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		p := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < p {
				i++
			}
			for xs[j] > p {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}
