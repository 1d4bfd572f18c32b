package retrain_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/retrain"
	"github.com/reactions-research/reactions/internal/codedstory"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

// quick trains in a fraction of a second: these tests check the
// machinery, not the model.
func quick() *stance.TrainOptions {
	o := stance.DefaultTrainOptions()
	o.Epochs, o.Bits, o.Restarts = 4, 14, 1
	return &o
}

func TestTrainOnStoryCodes(t *testing.T) {
	st := chtest.New(t)
	ctx := context.Background()
	f := codedstory.Load(t, st, "rt", 900, 260, 0)
	set, err := retrain.Read(ctx, st, "rt")
	if err != nil {
		t.Fatal(err)
	}
	if set.Subject != codedstory.Subject || set.Unclear != len(f.Unclear) || set.Disputed != len(f.Disputed) ||
		len(set.Examples) != len(f.Coded)-len(f.Unclear)-len(f.Disputed) {
		t.Fatalf("set: subject %q, %d examples of %d coded, %d unclear, %d disputed", set.Subject, len(set.Examples), len(f.Coded), set.Unclear, set.Disputed)
	}
	for _, ex := range set.Examples {
		if ex.Stance != f.Truth[ex.ID] || ex.Subject != codedstory.Subject || ex.Text == "" {
			t.Fatalf("example %+v, truth %s", ex, f.Truth[ex.ID])
		}
	}
	if !slices.IsSortedFunc(set.Examples, func(a, b stance.Example) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("examples are not in id order")
	}

	res, err := retrain.Train(ctx, st, set, retrain.Options{Folds: 4, Train: quick(), Coding: coding.Options{Replicates: 200}})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, n := range res.FoldSizes {
		sum += n
	}
	if res.Folds != 4 || len(res.FoldSizes) != 4 || sum != len(set.Examples) || len(res.OutOfFold) != len(set.Examples) || res.Builtin != 0 {
		t.Fatalf("folds %d sizes %v, %d out-of-fold predictions for %d codes", res.Folds, res.FoldSizes, len(res.OutOfFold), len(set.Examples))
	}
	for i, p := range res.OutOfFold {
		if p.ID != set.Examples[i].ID || p.Fold != coding.Fold(p.ID, 4) || !p.Predicted.Valid() || p.Score <= 0 {
			t.Fatalf("out-of-fold prediction %d: %+v", i, p)
		}
	}
	cv := res.CrossValidated
	if cv.N != len(set.Examples) || cv.Accuracy < 0.7 || !(cv.MacroF1CI[0] <= cv.MacroF1 && cv.MacroF1 <= cv.MacroF1CI[1]) {
		t.Errorf("k-fold figures: n %d accuracy %.2f macro-F1 %.2f %v", cv.N, cv.Accuracy, cv.MacroF1, cv.MacroF1CI)
	}
	cur := res.Current
	if cur.Versions[codedstory.OldClassifier] != len(set.Examples) || cur.OutOfFold != 0 || cur.Validation == nil ||
		cur.Validation.Accuracy > 0.85 || cur.Validation.Accuracy < 0.6 {
		t.Errorf("current model: %+v", cur)
	}
	t.Logf("retrained out-of-fold: accuracy %.3f macro-F1 %.3f; %s: accuracy %.3f macro-F1 %.3f", cv.Accuracy, cv.MacroF1,
		codedstory.OldClassifier, cur.Validation.Accuracy, cur.Validation.MacroF1)
	sc := res.Model.Meta.StoryCodes
	if sc == nil || *sc != (stance.StoryCodes{Story: "rt", Codes: len(set.Examples), Folds: 4}) || stance.New(res.Model).Version() != res.Version {
		t.Errorf("model meta %+v, version %s", sc, res.Version)
	}

	// Stored: the predictions come back under the version; the model file
	// loads with the same version.
	if err := res.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := st.OutOfFold(ctx, "rt", res.Version)
	if err != nil || len(got) != len(res.OutOfFold) {
		t.Fatalf("stored %d predictions (%v)", len(got), err)
	}
	for _, p := range res.OutOfFold {
		if got[p.ID] != p {
			t.Fatalf("stored %+v, want %+v", got[p.ID], p)
		}
	}
	path := filepath.Join(t.TempDir(), "rt.model")
	if err := res.Model.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := stance.Load(path)
	if err != nil || c.Version() != res.Version {
		t.Fatalf("loaded %v, version %s, want %s", err, c.Version(), res.Version)
	}
	ex := set.Examples[0]
	if s1, p1 := c.Classify(ex.Text, ex.Subject); true {
		s2, p2 := stance.New(res.Model).Classify(ex.Text, ex.Subject)
		if s1 != s2 || p1 != p2 {
			t.Errorf("the loaded model labels %s %v, the trained one %s %v", s1, p1, s2, p2)
		}
	}

	// Registering the trained model again keeps its predictions; a model
	// trained on another story's codes is not registered.
	trained, oof, err := retrain.Register(ctx, st, "rt", c.Model())
	if err != nil || !trained || oof != len(res.OutOfFold) {
		t.Errorf("register: trained %v, %d predictions, %v", trained, oof, err)
	}
	if trained, _, err := retrain.Register(ctx, st, "other", c.Model()); err != nil || trained {
		t.Errorf("registered for another story: %v %v", trained, err)
	}

	// The same codes again, with the retrained version labelling them
	// now: the comparison goes through its out-of-fold predictions.
	var rs []reaction.Reaction
	if err := st.CurrentReactions(ctx, "rt", func(r *reaction.Reaction) error {
		rs = append(rs, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		rs[i].Stance, rs[i].StanceScore = c.Classify(rs[i].Text, codedstory.Subject)
		rs[i].Classifier = c.Version()
	}
	if _, err := st.Relabel(ctx, rs); err != nil {
		t.Fatal(err)
	}
	set, err = retrain.Read(ctx, st, "rt")
	if err != nil {
		t.Fatal(err)
	}
	res2, err := retrain.Train(ctx, st, set, retrain.Options{Folds: 4, Train: quick(), Coding: coding.Options{Replicates: 200}})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Current.OutOfFold != len(set.Examples) || res2.Current.Validation.Accuracy != cv.Accuracy || res2.Version != res.Version {
		t.Errorf("retraining on the same codes: current %d out-of-fold, accuracy %.3f (want %.3f); version %s (want %s)",
			res2.Current.OutOfFold, res2.Current.Validation.Accuracy, cv.Accuracy, res2.Version, res.Version)
	}
}

func TestTooFewCodes(t *testing.T) {
	st := chtest.New(t)
	ctx := context.Background()
	codedstory.Load(t, st, "few", 600, 200, 8)
	set, err := retrain.Read(ctx, st, "few")
	if err != nil {
		t.Fatal(err)
	}
	_, err = retrain.Train(ctx, st, set, retrain.Options{Train: quick()})
	if !errors.Is(err, retrain.ErrTooFewCodes) || !strings.Contains(err.Error(), "at least 10 final codes of each stance") {
		t.Fatalf("too few codes: %v", err)
	}
	if _, err := retrain.Train(ctx, st, set, retrain.Options{Folds: 1}); err == nil || !strings.Contains(err.Error(), "want 2 to 20") {
		t.Errorf("one fold: %v", err)
	}
}
