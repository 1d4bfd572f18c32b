package stance

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// quickOptions train in a fraction of a second: for tests of the
// machinery, not of the model.
func quickOptions() TrainOptions {
	o := DefaultTrainOptions()
	o.Epochs, o.Bits, o.Restarts = 3, 14, 1
	return o
}

// TestCrossValidate: each example is labelled by the model trained
// without its fold, exactly as a model trained by hand on the other folds
// (plus the extra data) labels it.
func TestCrossValidate(t *testing.T) {
	builtin, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	eval, extra := builtin[:240], builtin[4000:4100]
	fold := func(ex Example) int { return int(ex.ID[len(ex.ID)-1]) % 3 }
	preds, err := CrossValidate(eval, extra, 3, fold, quickOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) != len(eval) {
		t.Fatalf("%d predictions for %d examples", len(preds), len(eval))
	}
	train := append([]Example(nil), extra...)
	for _, ex := range eval {
		if fold(ex) != 1 {
			train = append(train, ex)
		}
	}
	m, err := Train(train, quickOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := New(m)
	checked := 0
	for i, ex := range eval {
		if preds[i].ID != ex.ID {
			t.Fatalf("prediction %d is of %s, want %s", i, preds[i].ID, ex.ID)
		}
		if fold(ex) != 1 {
			continue
		}
		s, p := c.Classify(ex.Text, ex.Subject)
		if preds[i].Predicted != s || preds[i].Score != p {
			t.Fatalf("%s: cross-validated %s %.4f, the fold's model gives %s %.4f", ex.ID, preds[i].Predicted, preds[i].Score, s, p)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("fold 1 is empty")
	}

	if _, err := CrossValidate(eval, nil, 1, fold, quickOptions()); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("one fold: %v", err)
	}
	if _, err := CrossValidate(eval, nil, 2, fold, quickOptions()); err == nil || !strings.Contains(err.Error(), "in fold 2 of 2") {
		t.Errorf("a fold out of range: %v", err)
	}
}

// TestStoryCodesRoundTrip: a model trained on a story's codes says so in
// its file, and its version is the same before saving and after loading
// (the out-of-fold predictions are stored under that version).
func TestStoryCodesRoundTrip(t *testing.T) {
	builtin, err := BuiltinExamples()
	if err != nil {
		t.Fatal(err)
	}
	opts := quickOptions()
	plain, err := Train(builtin[:200], opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.StoryCodes = &StoryCodes{Story: "teigen-loss", Codes: 200, Folds: 5, Builtin: false}
	m, err := Train(builtin[:200], opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "story.model")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != New(m).Version() || c.Version() == New(plain).Version() {
		t.Errorf("versions: trained %s, loaded %s, without story codes %s", New(m).Version(), c.Version(), New(plain).Version())
	}
	if !reflect.DeepEqual(c.Model().Meta.StoryCodes, opts.StoryCodes) {
		t.Errorf("story codes after loading: %+v", c.Model().Meta.StoryCodes)
	}
	if plain.Meta.StoryCodes != nil {
		t.Errorf("a model trained on files records story codes %+v", plain.Meta.StoryCodes)
	}
}
