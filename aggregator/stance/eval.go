package stance

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/reactions-research/reactions/reaction"
)

// ClassReport holds one class's precision, recall and F1.
type ClassReport struct {
	// Precision is the share of items labelled with the class that have it.
	Precision float64 `json:"precision"`
	// Recall is the share of items of the class that were labelled with it.
	Recall float64 `json:"recall"`
	// F1 is the harmonic mean of precision and recall.
	F1 float64 `json:"f1"`
}

// Report is the result of an evaluation. Its JSON form is the object printed
// by "reactions classify eval --json".
type Report struct {
	// N is the number of evaluated examples.
	N int `json:"n"`
	// Accuracy is the share of correct labels.
	Accuracy float64 `json:"accuracy"`
	// MacroF1 is the mean F1 of the three classes.
	MacroF1 float64 `json:"macro_f1"`
	// PerClass maps a stance to its precision, recall and F1.
	PerClass map[reaction.Stance]ClassReport `json:"per_class"`
	// Confusion maps true stance -> predicted stance -> count.
	Confusion map[reaction.Stance]map[reaction.Stance]int `json:"confusion"`
	// HardAccuracy is the accuracy on examples marked hard (0 if none).
	HardAccuracy float64 `json:"hard_accuracy"`
	// HardN is the number of hard examples.
	HardN int `json:"-"`
	// Errors lists the misclassified examples.
	Errors []Prediction `json:"-"`
}

// Prediction is one evaluated example and the label it got.
type Prediction struct {
	Example
	// Predicted is the classifier's label.
	Predicted reaction.Stance
	// Score is the classifier's confidence in Predicted.
	Score float64
}

// Evaluate classifies every example and compares with its label.
func Evaluate(c *Classifier, examples []Example) Report {
	preds := make([]Prediction, len(examples))
	for i, ex := range examples {
		s, p := c.Classify(ex.Text, ex.Subject)
		preds[i] = Prediction{Example: ex, Predicted: s, Score: p}
	}
	return NewReport(preds)
}

// NewReport computes the figures for a set of predictions.
func NewReport(preds []Prediction) Report {
	r := Report{
		N:         len(preds),
		PerClass:  map[reaction.Stance]ClassReport{},
		Confusion: map[reaction.Stance]map[reaction.Stance]int{},
	}
	for _, t := range reaction.Stances {
		r.Confusion[t] = map[reaction.Stance]int{}
		for _, p := range reaction.Stances {
			r.Confusion[t][p] = 0
		}
	}
	correct, hardCorrect := 0, 0
	for _, p := range preds {
		r.Confusion[p.Stance][p.Predicted]++
		if p.Hard {
			r.HardN++
		}
		if p.Stance == p.Predicted {
			correct++
			if p.Hard {
				hardCorrect++
			}
		} else {
			r.Errors = append(r.Errors, p)
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(correct) / float64(r.N)
	}
	if r.HardN > 0 {
		r.HardAccuracy = float64(hardCorrect) / float64(r.HardN)
	}
	for _, s := range reaction.Stances {
		tp := r.Confusion[s][s]
		predicted, actual := 0, 0
		for _, o := range reaction.Stances {
			predicted += r.Confusion[o][s]
			actual += r.Confusion[s][o]
		}
		var cr ClassReport
		if predicted > 0 {
			cr.Precision = float64(tp) / float64(predicted)
		}
		if actual > 0 {
			cr.Recall = float64(tp) / float64(actual)
		}
		if cr.Precision+cr.Recall > 0 {
			cr.F1 = 2 * cr.Precision * cr.Recall / (cr.Precision + cr.Recall)
		}
		r.PerClass[s] = cr
		r.MacroF1 += cr.F1 / float64(len(reaction.Stances))
	}
	return r
}

// LeaveOneStoryOut evaluates by story: for each story in eval, it trains on
// extra plus the other stories of eval, and classifies the held-out story. It
// returns the pooled report and one report per story. This is how the model
// does on a story it has never seen.
func LeaveOneStoryOut(eval, extra []Example, opts TrainOptions) (Report, map[string]Report, error) {
	var stories []string
	index := map[string]int{}
	group := make([]int, len(eval))
	for i, ex := range eval {
		g, ok := index[ex.Story]
		if !ok {
			g = len(stories)
			index[ex.Story] = g
			stories = append(stories, ex.Story)
		}
		group[i] = g
	}
	if len(stories) < 2 && len(extra) == 0 {
		return Report{}, nil, fmt.Errorf("leave one story out: need at least two stories, have %d", len(stories))
	}
	preds, err := heldOut(eval, extra, group, len(stories), opts, func(g int) string { return "leave out " + stories[g] })
	if err != nil {
		return Report{}, nil, err
	}
	byStory := make([][]Prediction, len(stories))
	for i, p := range preds {
		byStory[group[i]] = append(byStory[group[i]], p)
	}
	per := map[string]Report{}
	var all []Prediction
	for g, held := range stories {
		per[held] = NewReport(byStory[g])
		all = append(all, byStory[g]...)
	}
	return NewReport(all), per, nil
}

// CrossValidate predicts every example of eval with a model that was not
// trained on it (k-fold cross-validation, or cross-fitting when the
// predictions then stand in for a model trained on all of eval): fold
// f's model is trained on extra plus the examples of eval whose fold is
// not f, in eval's order, and labels the examples of fold f. fold must map
// every example to 0…k-1. The predictions come back in eval's order; the
// folds are trained in parallel, up to GOMAXPROCS at a time.
func CrossValidate(eval, extra []Example, k int, fold func(Example) int, opts TrainOptions) ([]Prediction, error) {
	if k < 2 {
		return nil, fmt.Errorf("cross-validate: %d folds, want at least 2", k)
	}
	group := make([]int, len(eval))
	for i, ex := range eval {
		f := fold(ex)
		if f < 0 || f >= k {
			return nil, fmt.Errorf("cross-validate: example %d (%s) is in fold %d of %d", i+1, ex.ID, f, k)
		}
		group[i] = f
	}
	return heldOut(eval, extra, group, k, opts, func(f int) string { return fmt.Sprintf("fold %d of %d", f+1, k) })
}

// heldOut labels each example of eval with a model trained on extra plus
// the examples of the other groups (group[i] in 0…n-1 is example i's);
// name names a group in errors. Groups without examples train nothing.
func heldOut(eval, extra []Example, group []int, n int, opts TrainOptions, name func(int) string) ([]Prediction, error) {
	members := make([][]int, n)
	for i, g := range group {
		members[g] = append(members[g], i)
	}
	preds := make([]Prediction, len(eval))
	errs := make([]error, n)
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for g := range n {
		if len(members[g]) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			train := append([]Example(nil), extra...)
			for i, ex := range eval {
				if group[i] != g {
					train = append(train, ex)
				}
			}
			m, err := Train(train, opts)
			if err != nil {
				errs[g] = fmt.Errorf("%s: %w", name(g), err)
				return
			}
			c := New(m)
			for _, i := range members[g] {
				ex := eval[i]
				s, p := c.Classify(ex.Text, ex.Subject)
				preds[i] = Prediction{Example: ex, Predicted: s, Score: p}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return preds, nil
}

// WriteText writes the report as readable text: accuracy, per-class
// precision/recall/F1, macro-F1, the confusion matrix (rows are the true
// stance, columns the predicted one) and the accuracy on hard items.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "n             %d\n", r.N)
	fmt.Fprintf(&b, "accuracy      %.3f\n", r.Accuracy)
	fmt.Fprintf(&b, "macro-F1      %.3f\n", r.MacroF1)
	fmt.Fprintf(&b, "hard accuracy %.3f (%d hard items)\n\n", r.HardAccuracy, r.HardN)
	fmt.Fprintf(&b, "%-10s %9s %9s %9s\n", "class", "precision", "recall", "F1")
	for _, s := range reaction.Stances {
		c := r.PerClass[s]
		fmt.Fprintf(&b, "%-10s %9.3f %9.3f %9.3f\n", s, c.Precision, c.Recall, c.F1)
	}
	fmt.Fprintf(&b, "\nconfusion (rows: true, columns: predicted)\n%-10s", "")
	for _, s := range reaction.Stances {
		fmt.Fprintf(&b, " %9s", s)
	}
	b.WriteString("\n")
	for _, t := range reaction.Stances {
		fmt.Fprintf(&b, "%-10s", t)
		for _, p := range reaction.Stances {
			fmt.Fprintf(&b, " %9d", r.Confusion[t][p])
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// storiesOf returns the distinct stories of examples, sorted.
func storiesOf(examples []Example) []string {
	seen := map[string]bool{}
	var out []string
	for _, ex := range examples {
		if !seen[ex.Story] {
			seen[ex.Story] = true
			out = append(out, ex.Story)
		}
	}
	sort.Strings(out)
	return out
}
