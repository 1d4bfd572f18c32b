package coding

import (
	"path/filepath"
	"testing"

	"github.com/reactions-research/reactions/internal/golden"
)

func TestMethodsGolden(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	rel := &Reliability{NCoded: 400, NMulti: 83, NPairable: 80, Coders: []string{"ann", "bob", "cat"},
		Alpha: f(0.7812), AlphaCI: &[2]float64{0.7049, 0.8473}, PercentAgreement: f(0.8675)}
	val := &Validation{N: 392, Accuracy: 0.7214, AccuracyCI: [2]float64{0.6702, 0.7688}, MacroF1: 0.6931, MacroF1CI: [2]float64{0.6377, 0.7445}}
	ov := &Overall{Estimate: Estimate{Share: f(0.2534), Lo: f(0.2107), Hi: f(0.2988)}}
	for _, tc := range []struct {
		name string
		r    Report
	}{
		{"stratified", Report{Design: Design{Strategy: Stratified, N: 400, Seed: 7}, Population: 123456, Classifier: "stance-v3",
			Reliability: rel, Validation: val, Overall: ov, Raw: Counts{Support: 60000, Criticism: 31000, Neutral: 32456}}},
		{"random-crossfit", Report{Design: Design{Strategy: Random, N: 300, Seed: 1}, Population: 9876, Classifier: "story-model-1",
			Folds: 5, Reliability: &Reliability{NCoded: 300, Coders: []string{"ann"}}, Validation: &Validation{N: 296, Accuracy: 0.8412,
				AccuracyCI: [2]float64{0.7990, 0.8801}, MacroF1: 0.8233, MacroF1CI: [2]float64{0.7745, 0.8668}}, Options: Options{Replicates: 2000, MinBucket: 25}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", "methods-"+tc.name+".golden"), []byte(Methods(tc.r)))
		})
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 123456: "123,456", 10000000: "10,000,000", -4200: "-4,200"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
