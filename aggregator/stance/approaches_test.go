package stance

import (
	"math"
	"os"
	"testing"

	"github.com/jonreiter/govader"

	"github.com/reactions-research/reactions/reaction"
)

// TestApproaches compares the approaches tried for issue 5 on stories none of
// them has seen: each trains on the package's training data (data/*.jsonl)
// and is scored on the held-out set (testdata/heldout), the protocol of
// TestLeaveOneStoryOut's held-out subtest. It takes a minute, so it runs only
// with STANCE_APPROACHES=1:
//
//	STANCE_APPROACHES=1 go test -run Approaches -v ./aggregator/stance/
func TestApproaches(t *testing.T) {
	if os.Getenv("STANCE_APPROACHES") == "" {
		t.Skip("set STANCE_APPROACHES=1 to compare approaches")
	}
	held := heldoutExamples(t)
	builtin, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	show := func(name string, r Report) {
		t.Logf("%-44s accuracy %.3f  macro-F1 %.3f  hard accuracy %.3f", name, r.Accuracy, r.MacroF1, r.HardAccuracy)
	}

	// 1. Sentiment only: VADER compound with the README's thresholds.
	sia := govader.NewSentimentIntensityAnalyzer()
	var preds []Prediction
	for _, ex := range held {
		c := sia.PolarityScores(ex.Text).Compound
		p := reaction.Neutral
		if c >= 0.05 {
			p = reaction.Support
		} else if c <= -0.05 {
			p = reaction.Criticism
		}
		preds = append(preds, Prediction{Example: ex, Predicted: p})
	}
	show("1 govader compound only (no training)", NewReport(preds))

	// 2. Rules: the cue lexicons with hand-set weights, no training.
	preds = preds[:0]
	for _, ex := range held {
		preds = append(preds, Prediction{Example: ex, Predicted: ruleStance(ex.Text, ex.Subject)})
	}
	show("2 cue lexicons + hand rules (no training)", NewReport(preds))

	// 3. Naive Bayes over word and character n-grams.
	show("3 naive Bayes, n-grams", naiveBayes(builtin, held, FeatureConfig{Words: true, Chars: true, WordScale: 1, CharScale: 1, CueScale: 1}))

	// 4. Logistic regression with several feature sets.
	models := map[string]*Classifier{}
	for _, v := range []struct {
		name string
		fc   FeatureConfig
	}{
		{"4a LR words only", FeatureConfig{Words: true, WordScale: 1}},
		{"4b LR words+chars", FeatureConfig{Words: true, Chars: true, WordScale: 1, CharScale: 1}},
		{"4c LR cues+sentiment", FeatureConfig{Cues: true, Sentiment: true, CueScale: 1}},
		{"4d LR all features (shipped recipe)", DefaultFeatures()},
	} {
		opts := DefaultTrainOptions()
		fc := v.fc
		opts.Features = &fc
		m, err := Train(builtin, opts)
		if err != nil {
			t.Fatal(err)
		}
		models[v.name] = New(m)
		show(v.name, Evaluate(models[v.name], held))
	}

	// 5. Ensemble: average of the full model and the cue+sentiment model.
	cf, cc := models["4d LR all features (shipped recipe)"], models["4c LR cues+sentiment"]
	for _, w := range []float64{0.3, 0.5} {
		var preds []Prediction
		for _, e := range held {
			pf, pc := cf.Probabilities(e.Text, e.Subject), cc.Probabilities(e.Text, e.Subject)
			best := 0
			var p [3]float64
			for k := range p {
				p[k] = (1-w)*pf[k] + w*pc[k]
				if p[k] > p[best] {
					best = k
				}
			}
			preds = append(preds, Prediction{Example: e, Predicted: classes[best]})
		}
		show("5 ensemble full + cues, w="+itoa(uint64(w*10))+"/10", NewReport(preds))
	}
}

// ruleStance is the untrained baseline: cue counts with hand-set weights.
func ruleStance(text, subject string) reaction.Stance {
	sc := &scratch{debug: true}
	sc.extract(text, deriveSubject(subject), &FeatureConfig{Cues: true, Sentiment: true, CueScale: 1})
	has := map[string]bool{}
	var sent float64
	for i, n := range sc.names {
		has[n] = true
		if n == "sentval:final" {
			sent = float64(sc.vals[i])
		}
	}
	var sup, crit float64
	for _, c := range []string{"condolence", "praise", "defend"} {
		if has["cue:"+c] {
			sup++
		}
	}
	for _, c := range []string{"blame", "motive", "sarcasm"} {
		if has["cue:"+c] {
			crit++
		}
		if has["cuefinal:"+c] {
			crit++
		}
	}
	if has["cuefinal:condolence"] || has["cuefinal:praise"] {
		sup++
	}
	misc := func(id uint64) bool { return has[mName(id)] }
	if misc(mCriticAttack) || misc(mCriticDocAttack) || has["cuecritic:blame"] || has["cuecritic:motive"] {
		sup += 2
	}
	if misc(mAttackPlain) {
		crit++
	}
	if misc(mSarcPos) {
		crit++
	}
	if misc(mPoliteContrast) {
		crit++
	}
	if has["cue:condolence"] && sent < 0 {
		sent = -sent
	}
	sup += math.Max(sent, 0) * 1.5
	crit += math.Max(-sent, 0) * 1.5
	if has["cue:spam"] || has["cue:news"] || has["cue:offtopic"] || misc(mURL) || misc(mQMark) {
		if sup < 1.5 && crit < 1.5 {
			return reaction.Neutral
		}
	}
	switch {
	case sup < 0.5 && crit < 0.5:
		return reaction.Neutral
	case sup >= crit:
		return reaction.Support
	}
	return reaction.Criticism
}

func mName(id uint64) string { return "misc:" + itoa(id) }

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

// naiveBayes trains multinomial naive Bayes over hashed features on train
// and scores it on eval.
func naiveBayes(train, eval []Example, fc FeatureConfig) Report {
	const bits = 18
	var counts [3][]float64
	var totals, docs [3]float64
	for k := range counts {
		counts[k] = make([]float64, 1<<bits)
	}
	for _, e := range train {
		k := classIndex(e.Stance)
		sc := &scratch{}
		sc.extract(e.Text, deriveSubject(e.Subject), &fc)
		docs[k]++
		for _, f := range sc.feats {
			counts[k][f&(1<<bits-1)]++
			totals[k]++
		}
	}
	const alpha = 0.3
	var all []Prediction
	for _, e := range eval {
		sc := &scratch{}
		sc.extract(e.Text, deriveSubject(e.Subject), &fc)
		best, bestScore := 0, math.Inf(-1)
		for k := 0; k < 3; k++ {
			s := math.Log(docs[k] / float64(len(train)))
			for _, f := range sc.feats {
				s += math.Log((counts[k][f&(1<<bits-1)] + alpha) / (totals[k] + alpha*(1<<bits)))
			}
			if s > bestScore {
				best, bestScore = k, s
			}
		}
		all = append(all, Prediction{Example: e, Predicted: classes[best]})
	}
	return NewReport(all)
}
