package study_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestCrossFitting: once the story is labelled by a version retrained on
// its codes, the items it was trained on are validated through their
// stored out-of-fold predictions, the items coded since through its
// labels, and a retrained version without stored predictions is not
// validated at all.
func TestCrossFitting(t *testing.T) {
	st := chtest.New(t)
	ctx := context.Background()
	truth := simStory(t, st, "cf", 2000)
	d, err := study.Draw(ctx, st, study.DrawRequest{Story: "cf", Name: "s1", Design: coding.Design{N: 300, Seed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range d.Items {
		ids = append(ids, it.ID)
	}
	codes := coder("Ann", 1, truth, ids, 0, 0)
	for i := range codes {
		codes[i].Story = "cf"
	}
	if err := st.WriteCodings(ctx, codes); err != nil {
		t.Fatal(err)
	}
	o := study.Options{Coding: coding.Options{Replicates: 200}, BuiltinClassifier: "sim-1"}
	r, err := study.Build(ctx, st, "cf", o)
	if err != nil {
		t.Fatal(err)
	}
	j := r.JSON(coding.Counts{}, map[string]int64{"sim-1": 1999})
	if r.Folds != 0 || r.Model != nil || len(j.Models) != 1 || j.Models[0].Origin != "builtin" || j.Classifier.Folds != 0 {
		t.Fatalf("before retraining: folds %d, model %+v, models %+v", r.Folds, r.Model, j.Models)
	}

	// sim-2 was trained on the first 200 coded items: their out-of-fold
	// predictions differ from its labels (support everywhere).
	oof := map[string]store.OutOfFold{}
	var preds []store.OutOfFold
	for i, id := range ids[:200] {
		p := store.OutOfFold{ID: id, Fold: coding.Fold(id, 5), Predicted: truth[id], Score: 0.7}
		if i%4 == 1 {
			p.Predicted = reaction.Criticism
		}
		if p.Predicted == reaction.Support {
			p.Predicted = reaction.Neutral // never the label, so the test tells them apart
		}
		oof[id] = p
		preds = append(preds, p)
	}
	if err := st.PutRetrainedModel(ctx, store.RetrainedModel{Story: "cf", Classifier: "sim-2", Codes: 200, Folds: 5, Builtin: true,
		Source: "test"}, preds); err != nil {
		t.Fatal(err)
	}
	relabel := func(version string) {
		t.Helper()
		var rs []reaction.Reaction
		if err := st.CurrentReactions(ctx, "cf", func(x *reaction.Reaction) error {
			rs = append(rs, *x)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := range rs {
			rs[i].Stance, rs[i].StanceScore, rs[i].Classifier = reaction.Support, 0.9, version
		}
		if _, err := st.Relabel(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	relabel("sim-2")
	r, err = study.Build(ctx, st, "cf", o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Classifier != "sim-2" || r.Validation == nil || r.Corrector == nil || r.Folds != 5 || r.Model == nil {
		t.Fatalf("retrained: classifier %s, validation %v, corrector %v, folds %d, notes %q", r.Classifier, r.Validation != nil,
			r.Corrector != nil, r.Folds, r.Notes)
	}
	n := 0
	for _, it := range r.Items {
		want := reaction.Support // the label of an item coded after the training
		if p, ok := oof[it.ID]; ok {
			want = p.Predicted
			n++
		}
		if it.Predicted != want {
			t.Fatalf("item %s is compared through %s, want %s", it.ID, it.Predicted, want)
		}
	}
	if n < 150 || n != r.OutOfFold || len(r.Items)-n < 50 {
		t.Errorf("%d of %d items out-of-fold (report: %d)", n, len(r.Items), r.OutOfFold)
	}
	j = r.JSON(coding.Counts{}, map[string]int64{"sim-2": 1999})
	if j.Classifier.Folds != 5 || j.Classifier.OutOfFold != n || len(j.Models) != 1 || j.Models[0].Origin != "retrained" ||
		j.Models[0].Retrained.OutOfFold != 200 || !j.Models[0].Retrained.Builtin {
		t.Errorf("JSON: classifier folds %d out-of-fold %d, models %+v", j.Classifier.Folds, j.Classifier.OutOfFold, j.Models)
	}
	if m := r.Methods(coding.Counts{Support: 100, Criticism: 50, Neutral: 20}); !strings.Contains(m, "5-fold out-of-fold predictions") ||
		!strings.Contains(m, "Chernozhukov") {
		t.Errorf("the methods paragraph does not state the cross-fitting:\n%s", m)
	}
	if s := r.Summary(); s == nil || s.Folds != 5 {
		t.Errorf("summary %+v", s)
	}
	if !slices.ContainsFunc(r.Notes, func(s string) bool { return strings.Contains(s, "never its own labels") }) {
		t.Errorf("notes %q", r.Notes)
	}

	// sim-3 was trained on the codes elsewhere: no predictions here.
	if err := st.PutRetrainedModel(ctx, store.RetrainedModel{Story: "cf", Classifier: "sim-3", Codes: 300, Folds: 5, Source: "reclassify"}, nil); err != nil {
		t.Fatal(err)
	}
	relabel("sim-3")
	r, err = study.Build(ctx, st, "cf", o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Classifier != "sim-3" || r.Validation != nil || r.Corrector != nil || len(r.Items) != 0 {
		t.Fatalf("elsewhere: classifier %s, validation %v, corrector %v", r.Classifier, r.Validation != nil, r.Corrector != nil)
	}
	if _, why := study.Correction(r, false, 0); !strings.Contains(why, "no out-of-fold predictions") {
		t.Errorf("no correction, because: %q", why)
	}
	j = r.JSON(coding.Counts{}, map[string]int64{"sim-3": 1999})
	if j.Classifier != nil || len(j.Models) != 1 || j.Models[0].Retrained == nil || j.Models[0].Retrained.OutOfFold != 0 {
		t.Errorf("JSON: classifier %+v, models %+v", j.Classifier, j.Models)
	}
}
