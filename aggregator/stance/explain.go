package stance

import (
	"fmt"
	"sort"
)

// Contribution is one feature's contribution to a decision (see Explain).
type Contribution struct {
	// Feature names the feature, e.g. "w:sorry" or "cue:condolence".
	Feature string
	// Value is the feature value.
	Value float32
	// Weights are value×weight for support, criticism and neutral.
	Weights [3]float32
}

// Explain lists the features of text and what each adds to each class score,
// largest effect first. It is slow and meant for debugging models.
func (c *Classifier) Explain(text, subject string) []Contribution {
	sc := &scratch{debug: true}
	sc.extract(text, c.subjects.get(subject), &c.m.Meta.Features)
	mask := c.m.mask()
	out := make([]Contribution, len(sc.feats))
	for i, f := range sc.feats {
		name := "char"
		if i < len(sc.names) && sc.names[i] != "?" {
			name = sc.names[i]
		}
		b := 3 * (f & mask)
		v := sc.vals[i]
		out[i] = Contribution{Feature: name, Value: v, Weights: [3]float32{c.m.w[b] * v, c.m.w[b+1] * v, c.m.w[b+2] * v}}
	}
	spread := func(x Contribution) float32 {
		return max(x.Weights[0], x.Weights[1], x.Weights[2]) - min(x.Weights[0], x.Weights[1], x.Weights[2])
	}
	sort.SliceStable(out, func(i, j int) bool { return spread(out[i]) > spread(out[j]) })
	return out
}

// String formats a contribution.
func (x Contribution) String() string {
	return fmt.Sprintf("%-28s %+.3f %+.3f %+.3f", x.Feature, x.Weights[0], x.Weights[1], x.Weights[2])
}
