package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const classifyTestData = `{"story":"a","subject":"Mia Cole (singer)","text":"So sorry for your loss Mia, sending love","stance":"support","hard":true}
{"story":"a","subject":"Mia Cole (singer)","text":"Stay strong Mia, we love you","stance":"support","hard":false}
{"story":"a","subject":"Mia Cole (singer)","text":"Posting this for clout is gross","stance":"criticism","hard":false}
{"story":"a","subject":"Mia Cole (singer)","text":"What time is the show tonight?","stance":"neutral","hard":false}
{"story":"b","subject":"Tom Reed (CEO of Acme)","text":"Thank you Tom, real leadership","stance":"support","hard":false}
{"story":"b","subject":"Tom Reed (CEO of Acme)","text":"Resign, Tom. Shameful decision.","stance":"criticism","hard":false}
{"story":"b","subject":"Tom Reed (CEO of Acme)","text":"Wow so brave to fire 300 people 🙄","stance":"criticism","hard":true}
{"story":"b","subject":"Tom Reed (CEO of Acme)","text":"Acme shares rose 3% per Reuters https://t.co/x","stance":"neutral","hard":false}
`

func writeClassifyData(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "labels.jsonl")
	if err := os.WriteFile(path, []byte(classifyTestData), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func classifyRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := runClassify(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestClassifyText(t *testing.T) {
	out, _, err := classifyRun(t, "text", "Wow, so brave to share this with 30 million followers 🙄", "--subject", "Mia Cole (singer)")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^criticism [01]\.\d{3}\n$`).MatchString(out) {
		t.Errorf("output %q, want \"criticism <score>\"", out)
	}
	out, _, err = classifyRun(t, "text", "--subject", "Mia Cole", "--json", "I'm so so sorry Mia 💔")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Stance     string  `json:"stance"`
		Score      float64 `json:"score"`
		Classifier string  `json:"classifier"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Stance != "support" || v.Score <= 0 || !strings.HasPrefix(v.Classifier, "stance-v2+") {
		t.Errorf("--json output %q (%v)", out, err)
	}
}

func TestClassifyUsageErrors(t *testing.T) {
	data := writeClassifyData(t)
	for _, args := range [][]string{
		{},
		{"nonsense"},
		{"text", "hello"},
		{"text", "--subject", "X"},
		{"text", "a", "b", "--subject", "X"},
		{"text", "--bogus", "x"},
		{"eval"},
		{"eval", "--data", data, "--loso", "--model", "m"},
		{"train", "--data", data},
		{"train", "--out", "m"},
	} {
		_, _, err := classifyRun(t, args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("classify %q: err = %v, want a usage error", args, err)
		}
	}
	if _, _, err := classifyRun(t, "eval", "--data", filepath.Join(t.TempDir(), "missing.jsonl")); err == nil || errors.Is(err, errUsage) {
		t.Errorf("eval of a missing file: err = %v, want a plain error", err)
	}
}

func TestClassifyEvalJSON(t *testing.T) {
	data := writeClassifyData(t)
	out, _, err := classifyRun(t, "eval", "--data", data, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("eval --json output %q: %v", out, err)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got, want := strings.Join(keys, ","), "accuracy,confusion,hard_accuracy,macro_f1,n,per_class"; got != want {
		t.Errorf("keys %s, want %s", got, want)
	}
	var r struct {
		N        int `json:"n"`
		PerClass map[string]struct {
			Precision, Recall, F1 float64
		} `json:"per_class"`
		Confusion map[string]map[string]int `json:"confusion"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.N != 8 || len(r.PerClass) != 3 || len(r.Confusion) != 3 {
		t.Errorf("report %+v", r)
	}
}

func TestClassifyTrainAndEval(t *testing.T) {
	data := writeClassifyData(t)
	model := filepath.Join(t.TempDir(), "my.model")
	out, _, err := classifyRun(t, "train", "--data", data, "--out", model, "--epochs", "5")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "trained on 8 examples") {
		t.Errorf("train output %q", out)
	}
	out, _, err = classifyRun(t, "eval", "--data", data, "--model", model)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accuracy", "macro-F1", "hard accuracy", "confusion (rows: true, columns: predicted)", "precision"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval report lacks %q:\n%s", want, out)
		}
	}
	out, _, err = classifyRun(t, "eval", "--data", data, "--loso", "--no-builtin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "leave-one-story-out over 2 stories") {
		t.Errorf("loso report:\n%s", out)
	}
}
