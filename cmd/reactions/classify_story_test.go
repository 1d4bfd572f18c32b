package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/internal/codedstory"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestClassifyTrainStory trains on a coded story's final codes, relabels
// the story with the model, and checks that the coding report validates
// it through the stored out-of-fold predictions.
// It is long because each command reads what the one before stored.
func TestClassifyTrainStory(t *testing.T) {
	dsn := chtest.DSN(t)
	t.Setenv(dsnEnv, dsn)
	t.Setenv("REACTIONS_HOME", t.TempDir())
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := codedstory.Load(t, st, "cmd-train", 900, 260, 0)
	n := len(f.Coded) - len(f.Unclear) - len(f.Disputed)
	ns := fmt.Sprint(n)
	codedstory.Load(t, st, "cmd-few", 500, 150, 8)
	dir := t.TempDir()
	model := filepath.Join(dir, "story.model")

	// Too few codes of a stance: refused, with the minimum, and no model.
	_, _, err = classifyRun(t, "train", "--story", "cmd-few", "--out", filepath.Join(dir, "few.model"), "--epochs", "3")
	if err == nil || !strings.Contains(err.Error(), "at least 10 final codes of each stance") || !strings.Contains(err.Error(), "story cmd-few has ") {
		t.Errorf("too few codes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "few.model")); err == nil {
		t.Error("a model was written from too few codes")
	}

	out, _, err := classifyRun(t, "train", "--story", "cmd-train", "--out", model, "--epochs", "3")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("classify train --story:\n%s", out)
	for _, want := range []string{"Story cmd-train: " + ns + " final codes (support ", "left out: 3 unclear, 2 waiting for adjudication",
		"5-fold cross-validation on the " + ns + " codes", "now: " + codedstory.OldClassifier, "accuracy", "macro-F1", "criticism (",
		"Confusion of the out-of-fold predictions", "Stored its " + ns + " out-of-fold predictions",
		"reactions reclassify --story cmd-train --model " + model} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	m := regexp.MustCompile(`Wrote .*: classifier (stance-v2\+lr-[0-9a-f]{8}), trained on the story's codes\.`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no version in the output")
	}
	version := m[1]

	// The model file round-trips under the version its predictions are
	// stored with.
	c, err := stance.Load(model)
	if err != nil || c.Version() != version {
		t.Fatalf("load: %v, version %s, want %s", err, c.Version(), version)
	}
	if sc := c.Model().Meta.StoryCodes; sc == nil || *sc != (stance.StoryCodes{Story: "cmd-train", Codes: n, Folds: 5}) {
		t.Errorf("the model records %+v", sc)
	}
	oof, err := st.OutOfFold(ctx, "cmd-train", version)
	if err != nil || len(oof) != n {
		t.Fatalf("%d out-of-fold predictions stored (%v)", len(oof), err)
	}

	// Reclassify: every reaction now carries the new version.
	var rout, rerr strings.Builder
	if err := runReclassify(ctx, []string{"--story", "cmd-train", "--model", model}, &rout, &rerr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rout.String(), "relabelled with "+version) || !strings.Contains(rout.String(), "with the "+ns+" stored out-of-fold predictions of its 5-fold cross-fitting") {
		t.Errorf("reclassify said:\n%s%s", rout.String(), rerr.String())
	}
	cnt, err := st.CountReactions(ctx, store.ReactionQuery{Story: "cmd-train"})
	if err != nil || len(cnt.Classifiers) != 1 || cnt.Classifiers[version] != 900 {
		t.Fatalf("classifier versions after reclassify: %v (%v)", cnt.Classifiers, err)
	}

	// The report compares each coded item it was trained on through its
	// out-of-fold prediction, not the label the model now gives it.
	r, err := study.Build(ctx, st, "cmd-train", study.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Classifier != version || r.Validation == nil || r.Folds != 5 || r.OutOfFold == 0 {
		t.Fatalf("report: classifier %s, validated %v, folds %d, %d out-of-fold; notes %q", r.Classifier, r.Validation != nil, r.Folds, r.OutOfFold, r.Notes)
	}
	labels, err := st.SampledLabels(ctx, "cmd-train")
	if err != nil {
		t.Fatal(err)
	}
	differ := 0
	for _, it := range r.Items {
		if it.Truth == coding.Unclear {
			continue // left out of the validation; never trained on
		}
		p, ok := oof[it.ID]
		if !ok {
			t.Fatalf("coded item %s has no out-of-fold prediction", it.ID)
		}
		if it.Predicted != p.Predicted {
			t.Fatalf("item %s: the report compares %s, its out-of-fold prediction is %s (label %s)", it.ID, it.Predicted, p.Predicted, labels[it.ID].Stance)
		}
		if p.Predicted != labels[it.ID].Stance {
			differ++
		}
	}
	if differ == 0 {
		t.Error("no coded item's out-of-fold prediction differs from its new label: the test cannot tell them apart")
	}
	t.Logf("%d of %d compared items: out-of-fold prediction ≠ the retrained model's label", differ, len(r.Items))

	rep, _, err := codeRun(t, "report", "--story", "cmd-train", "--json", "--replicates", "200")
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Classifier struct {
			Version   string `json:"version"`
			Folds     int    `json:"folds"`
			OutOfFold int    `json:"out_of_fold"`
		} `json:"classifier"`
		Models  []study.ModelJSON `json:"models"`
		Methods string            `json:"methods"`
	}
	if err := json.Unmarshal([]byte(rep), &j); err != nil {
		t.Fatal(err)
	}
	if j.Classifier.Version != version || j.Classifier.Folds != 5 || j.Classifier.OutOfFold != r.OutOfFold || len(j.Models) != 1 ||
		j.Models[0].Origin != "retrained" || !strings.Contains(j.Methods, "5-fold out-of-fold predictions") {
		t.Errorf("report JSON: classifier %+v, models %+v", j.Classifier, j.Models)
	}
	text, _, err := codeRun(t, "report", "--story", "cmd-train", "--replicates", "200")
	if err != nil || !strings.Contains(text, "Labelled by "+version+" (retrained on "+ns+" of this story's final codes, 5-fold cross-fitted): 900 reactions") ||
		!strings.Contains(text, "cross-fitted: ") {
		t.Errorf("text report (%v):\n%s", err, text)
	}

	// Trained again, with 2 folds: the current labels, by the retrained
	// version, are compared through its stored predictions.
	out, _, err = classifyRun(t, "train", "--story", "cmd-train", "--out", filepath.Join(dir, "again.model"), "--epochs", "3", "--folds", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var tj struct {
		Classifier     string `json:"classifier"`
		Codes          int    `json:"codes"`
		Folds          int    `json:"folds"`
		Out            string `json:"out"`
		CrossValidated struct {
			MacroF1   float64    `json:"macro_f1"`
			MacroF1CI [2]float64 `json:"macro_f1_ci"`
		} `json:"cross_validated"`
		Current struct {
			Versions  map[string]int `json:"versions"`
			OutOfFold int            `json:"out_of_fold"`
		} `json:"current"`
	}
	if err := json.Unmarshal([]byte(out), &tj); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if tj.Classifier == version || tj.Codes != n || tj.Folds != 2 || tj.Out != filepath.Join(dir, "again.model") || tj.Current.Versions[version] != n || tj.Current.OutOfFold != n ||
		!(tj.CrossValidated.MacroF1CI[0] <= tj.CrossValidated.MacroF1 && tj.CrossValidated.MacroF1 <= tj.CrossValidated.MacroF1CI[1]) {
		t.Errorf("train --json: %+v", tj)
	}

	for _, args := range [][]string{
		{"train", "--story", "cmd-train", "--data", "x.jsonl", "--out", model},
		{"train", "--story", "cmd-train"},
		{"train", "--story", "cmd-train", "--out", model, "--folds", "1"},
		{"train", "--data", "x.jsonl", "--out", model, "--folds", "3"},
		{"train", "--story", "Not An Id", "--out", model},
	} {
		if _, _, err := classifyRun(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("classify %q: %v, want a usage error", args, err)
		}
	}
}
