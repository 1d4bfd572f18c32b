package stance

import "testing"

// TestScoringPathsAgree checks, for models with other feature groups and
// bucket counts, that Classify's scoring while extracting and Model.scores
// over the collected features agree bit for bit.
func TestScoringPathsAgree(t *testing.T) {
	ex, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	in := goldenInputs(t)
	for _, fc := range []FeatureConfig{
		{Words: true, WordScale: 1},
		{Chars: true, CharScale: 0.7},
		{Cues: true, Sentiment: true, CueScale: 1},
		{Words: true, Chars: true, Cues: true, WordScale: 0.5, CharScale: 1, CueScale: 2},
	} {
		opts := DefaultTrainOptions()
		opts.Epochs, opts.Bits, opts.Restarts = 2, 14, 1
		opts.Features = &fc
		m, err := Train(ex, opts)
		if err != nil {
			t.Fatal(err)
		}
		c := New(m)
		for _, g := range in[len(in)-800:] {
			var sc scratch
			sc.extract(g.text, deriveSubject(g.subject), &m.Meta.Features)
			want := softmax(m.scores(&sc))
			if p := c.Probabilities(g.text, g.subject); p != want {
				t.Errorf("%+v %s: %v while extracting, %v from the collected features", fc, g.key(), p, want)
			}
		}
	}
}
