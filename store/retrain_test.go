package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

func TestRetrainedModelRoundTrip(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	at := time.Date(2020, 11, 1, 12, 0, 0, 0, time.UTC)
	var oof []store.OutOfFold
	for i := range 30 {
		oof = append(oof, store.OutOfFold{ID: fmt.Sprintf("reddit:%03d", i), Fold: i % 5, Predicted: reaction.Stances[i%3], Score: float64(i) / 30})
	}
	m := store.RetrainedModel{Story: "rt", Classifier: "stance-v2+lr-aaaa", Codes: 30, Folds: 5, Builtin: true, TrainedAt: at, Source: "classify train"}
	if err := s.PutRetrainedModel(ctx, m, oof); err != nil {
		t.Fatal(err)
	}
	// Recorded again without predictions (a reclassification), later: the
	// row with the predictions stays.
	again := m
	again.TrainedAt, again.Source = at.Add(time.Hour), "reclassify"
	if err := s.PutRetrainedModel(ctx, again, nil); err != nil {
		t.Fatal(err)
	}
	// A version trained elsewhere: no predictions.
	if err := s.PutRetrainedModel(ctx, store.RetrainedModel{Story: "rt", Classifier: "stance-v2+lr-bbbb", Codes: 12, Folds: 3, TrainedAt: at, Source: "reclassify"}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.RetrainedModels(ctx, "rt")
	if err != nil {
		t.Fatal(err)
	}
	m.OutOfFold = 30
	want := []store.RetrainedModel{m, {Story: "rt", Classifier: "stance-v2+lr-bbbb", Codes: 12, Folds: 3, TrainedAt: at, Source: "reclassify"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("retrained models\n got %+v\nwant %+v", got, want)
	}
	preds, err := s.OutOfFold(ctx, "rt", m.Classifier)
	if err != nil || len(preds) != 30 || preds["reddit:007"] != oof[7] {
		t.Errorf("out-of-fold predictions: %v, %d, reddit:007 %+v", err, len(preds), preds["reddit:007"])
	}
	if preds, err := s.OutOfFold(ctx, "rt", "stance-v2+lr-bbbb"); err != nil || len(preds) != 0 {
		t.Errorf("a version without predictions has %d (%v)", len(preds), err)
	}
	if ms, err := s.RetrainedModels(ctx, "other"); err != nil || len(ms) != 0 {
		t.Errorf("another story: %v %v", ms, err)
	}

	for _, c := range []struct {
		m    store.RetrainedModel
		oof  []store.OutOfFold
		want string
	}{
		{store.RetrainedModel{Story: "Bad Story", Classifier: "x"}, nil, "not a story id"},
		{store.RetrainedModel{Story: "rt"}, nil, "classifier version"},
		{store.RetrainedModel{Story: "rt", Classifier: "x", Folds: 1}, oof[:1], "at least 2 folds"},
		{store.RetrainedModel{Story: "rt", Classifier: "x", Folds: 5}, []store.OutOfFold{oof[0], {ID: "reddit:x", Fold: 5, Predicted: reaction.Support}}, "prediction 2 (reddit:x): fold 5 of 5"},
		{store.RetrainedModel{Story: "rt", Classifier: "x", Folds: 5}, []store.OutOfFold{{ID: "reddit:x", Predicted: "unclear"}}, `"unclear" is not support`},
	} {
		if err := s.PutRetrainedModel(ctx, c.m, c.oof); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.m, err, c.want)
		}
	}
	if ms, _ := s.RetrainedModels(ctx, "rt"); len(ms) != 2 {
		t.Errorf("a refused record was written: %+v", ms)
	}
}
