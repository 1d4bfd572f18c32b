package stance

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/jonreiter/govader"

	"github.com/reactions-research/reactions/reaction"
)

// TestApproaches compares the approaches tried for issue 5 with
// leave-one-story-out on the shared dev set (the same protocol as
// TestLeaveOneStoryOut). It takes a minute, so it runs only with
// STANCE_APPROACHES=1:
//
//	STANCE_APPROACHES=1 go test -run Approaches -v ./aggregator/stance/
func TestApproaches(t *testing.T) {
	if os.Getenv("STANCE_APPROACHES") == "" {
		t.Skip("set STANCE_APPROACHES=1 to compare approaches")
	}
	dev, err := ReadExamplesFile(filepath.Join(moduleRoot(t), "..", "shared", "data", "stance", "dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
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
	for _, ex := range dev {
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
	for _, ex := range dev {
		preds = append(preds, Prediction{Example: ex, Predicted: ruleStance(ex.Text, ex.Subject)})
	}
	show("2 cue lexicons + hand rules (no training)", NewReport(preds))

	// 3. Naive Bayes over word and character n-grams.
	nbFeat := FeatureConfig{Words: true, Chars: true, WordScale: 1, CharScale: 1, CueScale: 1}
	show("3a naive Bayes, n-grams, dev only", losoNB(t, dev, nil, nbFeat))
	show("3b naive Bayes, n-grams, dev + own data", losoNB(t, dev, builtin, nbFeat))

	// 4. Logistic regression with several feature sets.
	for _, v := range []struct {
		name  string
		extra []Example
		fc    FeatureConfig
	}{
		{"4a LR words only, dev only", nil, FeatureConfig{Words: true, WordScale: 1}},
		{"4b LR words+chars, dev only", nil, FeatureConfig{Words: true, Chars: true, WordScale: 1, CharScale: 1}},
		{"4c LR cues+sentiment, dev only", nil, FeatureConfig{Cues: true, Sentiment: true, CueScale: 1}},
		{"4d LR all features, dev only", nil, DefaultFeatures()},
		{"4e LR words+chars, dev + own data", builtin, FeatureConfig{Words: true, Chars: true, WordScale: 1, CharScale: 1}},
		{"4f LR cues+sentiment, dev + own data", builtin, FeatureConfig{Cues: true, Sentiment: true, CueScale: 1}},
		{"4g LR all features, dev + own data (shipped)", builtin, DefaultFeatures()},
	} {
		opts := DefaultTrainOptions()
		fc := v.fc
		opts.Features = &fc
		r, _, err := LeaveOneStoryOut(dev, v.extra, opts)
		if err != nil {
			t.Fatal(err)
		}
		show(v.name, r)
	}

	// 5. Ensemble: average of the full model and the cue+sentiment model.
	for _, w := range []float64{0.3, 0.5} {
		var preds []Prediction
		for _, held := range storiesOf(dev) {
			train := append([]Example(nil), builtin...)
			for _, e := range dev {
				if e.Story != held {
					train = append(train, e)
				}
			}
			full, err := Train(train, DefaultTrainOptions())
			if err != nil {
				t.Fatal(err)
			}
			o := DefaultTrainOptions()
			o.Features = &FeatureConfig{Cues: true, Sentiment: true, CueScale: 1}
			cues, err := Train(train, o)
			if err != nil {
				t.Fatal(err)
			}
			cf, cc := New(full), New(cues)
			for _, e := range dev {
				if e.Story != held {
					continue
				}
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

// losoNB is leave-one-story-out with multinomial naive Bayes over hashed features.
func losoNB(t *testing.T, dev, extra []Example, fc FeatureConfig) Report {
	t.Helper()
	stories := storiesOf(dev)
	const bits = 18
	var all []Prediction
	for _, held := range stories {
		var counts [3][]float64
		var totals, docs [3]float64
		for k := range counts {
			counts[k] = make([]float64, 1<<bits)
		}
		var train []Example
		train = append(train, extra...)
		for _, e := range dev {
			if e.Story != held {
				train = append(train, e)
			}
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
		for _, e := range dev {
			if e.Story != held {
				continue
			}
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
	}
	return NewReport(all)
}
