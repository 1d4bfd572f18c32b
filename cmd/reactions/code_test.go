package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// codeEnv stores a story of n reactions (a true stance each, returned by
// id, and a label that is right about 3 times in 4) on a fresh test
// database that the commands use.
func codeEnv(t *testing.T, n int) map[string]reaction.Stance {
	t.Helper()
	dsn := chtest.DSN(t)
	t.Setenv(dsnEnv, dsn)
	t.Setenv("REACTIONS_HOME", t.TempDir())
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := story.Parse([]byte("id: cmd-code\nsubject: [Mia Cole]\nsources:\n  - platform: hackernews\n    stories: [1]\n" +
		"codebook:\n  support: {definition: Sides with Mia., examples: [Go Mia]}\n  criticism: {definition: Against Mia.}\n  neutral: {definition: Neither.}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutStory(ctx, s); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	truth := map[string]reaction.Stance{}
	var rs []reaction.Reaction
	for i := range n {
		tr := reaction.Stances[min(rng.IntN(10), 2)%3]
		if rng.IntN(10) < 6 {
			tr = reaction.Support
		}
		pred := tr
		if rng.Float64() < 0.25 {
			pred = reaction.Stances[rng.IntN(3)]
		}
		id := reaction.MakeID(reaction.HackerNews, fmt.Sprint(1000+i))
		at := t0.Add(time.Duration(rng.IntN(3*24*3600)) * time.Second)
		rs = append(rs, reaction.Reaction{Story: "cmd-code", Platform: reaction.HackerNews, ID: id, RootID: id,
			URL: "https://news.ycombinator.com/item?id=" + id[11:], CreatedAt: at, FirstSeen: at, Text: fmt.Sprintf("comment %d", i),
			Stance: pred, StanceScore: 0.5 + rng.Float64()/2, Classifier: "cmd-1"})
		truth[id] = tr
	}
	rs[5].Text = "+1 =SUM(A1:A9)"
	if _, err := st.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	return truth
}

func codeRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := runCode(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func readSheet(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestCodeCommands(t *testing.T) {
	truth := codeEnv(t, 600)
	dir := t.TempDir()
	sheet := filepath.Join(dir, "s.csv")
	out, _, err := codeRun(t, "sample", "--story", "cmd-code", "--n", "200", "--seed", "11", "--out", sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Drew sample sample-1 of story cmd-code: 200 of 600 reactions, stratified, seed 11") ||
		!strings.Contains(out, "Rows 1-40 (20 %) are the reliability overlap") {
		t.Errorf("sample output: %s", out)
	}
	recs := readSheet(t, sheet)
	if !slices.Equal(recs[0], []string{"id", "platform", "created_at", "url", "text", "code"}) || len(recs) != 201 {
		t.Fatalf("sheet header %q, %d rows", recs[0], len(recs))
	}
	for _, rec := range recs[1:] {
		if rec[5] != "" || slices.Contains(rec, "cmd-1") || slices.ContainsFunc(rec, func(c string) bool { return reaction.Stance(c).Valid() }) {
			t.Fatalf("a row shows the code or the classifier's label: %q", rec)
		}
		if strings.HasPrefix(rec[4], "+") || strings.HasPrefix(rec[4], "=") {
			t.Errorf("a formula reaches the sheet: %q", rec[4])
		}
	}
	cb, err := os.ReadFile(sheet + ".codebook.txt")
	if err != nil || !strings.Contains(string(cb), "Sides with Mia.") || !strings.Contains(string(cb), "e.g. Go Mia") || !strings.Contains(string(cb), "0  unclear") {
		t.Errorf("codebook %q %v", cb, err)
	}

	// Reproducible: the same seed draws the same items in the same order.
	again := filepath.Join(dir, "again.csv")
	if _, _, err := codeRun(t, "sample", "--story", "cmd-code", "--n", "200", "--seed", "11", "--name", "again", "--out", again); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.csv")
	if _, _, err := codeRun(t, "sample", "--story", "cmd-code", "--n", "200", "--seed", "12", "--name", "other", "--out", other); err != nil {
		t.Fatal(err)
	}
	ids := func(recs [][]string) []string {
		var out []string
		for _, r := range recs[1:] {
			out = append(out, r[0])
		}
		return out
	}
	if !slices.Equal(ids(readSheet(t, again)), ids(recs)) || slices.Equal(ids(readSheet(t, other)), ids(recs)) {
		t.Error("the same seed drew another sample, or another seed the same")
	}
	if _, _, err := codeRun(t, "sample", "--story", "cmd-code", "--n", "100", "--seed", "11", "--out", sheet, "--name", "sample-1"); err == nil {
		t.Error("another design under an existing name was accepted")
	}

	// Import: a bad file names its lines and stores nothing.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("id,code,comment\n"+recs[1][0]+",1,ok\nhackernews:nope,2,\n"+recs[2][0]+",yes,\n"), 0o644)
	_, _, err = codeRun(t, "import", "--story", "cmd-code", "--coder", "Ann", "--file", bad)
	if err == nil || !strings.Contains(err.Error(), `line 3: unknown id "hackernews:nope"`) || !strings.Contains(err.Error(), "line 4: id "+recs[2][0]+`: unknown code "yes"`) ||
		!strings.Contains(err.Error(), "nothing was stored") {
		t.Errorf("bad import: %v", err)
	}
	if out, _, _ := codeRun(t, "export", "--story", "cmd-code"); strings.Count(out, "\n") != 1 {
		t.Errorf("a bad import stored codes:\n%s", out)
	}

	// Two coders: Ann codes every item, Bo the overlap (and disagrees on
	// a few); an adjudicator settles the disagreements.
	code := func(name string, rows [][]string, wrong int) string {
		var b strings.Builder
		b.WriteString("id,platform,created_at,url,text,code\n")
		for i, r := range rows {
			c := truth[r[0]]
			if wrong > 0 && i%wrong == 3 {
				c = reaction.Stances[(slices.Index(reaction.Stances, c)+1)%3]
			}
			key := map[reaction.Stance]string{reaction.Support: "1", reaction.Criticism: "criticism", reaction.Neutral: "3"}[c]
			fmt.Fprintf(&b, "%s,%s,%s,%s,\"%s\",%s\n", r[0], r[1], r[2], r[3], strings.ReplaceAll(r[4], `"`, `""`), key)
		}
		path := filepath.Join(dir, name+".csv")
		os.WriteFile(path, []byte(b.String()), 0o644)
		return path
	}
	out, _, err = codeRun(t, "import", "--story", "cmd-code", "--coder", "Ann", "--file", code("ann", recs[1:], 0))
	if err != nil || !strings.Contains(out, "Stored 200 codes by Ann") {
		t.Fatalf("import Ann: %v %s", err, out)
	}
	if _, _, err := codeRun(t, "import", "--story", "cmd-code", "--coder", "Bo", "--file", code("bo", recs[1:41], 7)); err != nil {
		t.Fatal(err)
	}

	out, _, err = codeRun(t, "report", "--story", "cmd-code", "--json", "--replicates", "200")
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"n_coded", "n_multi", "alpha", "alpha_ci", "kappa_pairs", "classifier", "estimate"} {
		if _, ok := j[k]; !ok {
			t.Errorf("report JSON has no %q", k)
		}
	}
	c, _ := j["classifier"].(map[string]any)
	for _, k := range []string{"version", "accuracy", "macro_f1", "macro_f1_ci", "per_class", "confusion"} {
		if _, ok := c[k]; !ok {
			t.Errorf("report JSON's classifier has no %q", k)
		}
	}
	if j["n_coded"] != 200.0 || j["n_multi"] != 40.0 || c["version"] != "cmd-1" || j["alpha"] == nil || len(j["disputed"].([]any)) == 0 {
		t.Errorf("report: n_coded %v n_multi %v version %v alpha %v disputed %v", j["n_coded"], j["n_multi"], c["version"], j["alpha"], j["disputed"])
	}
	if e, _ := j["estimate"].(map[string]any); e == nil || e["criticism_share_adj"] == nil {
		t.Errorf("no corrected estimate: %v (notes %v)", j["estimate"], j["notes"])
	}

	text, _, err := codeRun(t, "report", "--story", "cmd-code", "--replicates", "200")
	if err != nil || !strings.Contains(text, "Krippendorff's alpha (nominal): 0.") || !strings.Contains(text, "Methods\n\nWe hand-coded a stratified random sample of 200") ||
		!strings.Contains(text, "References") {
		t.Errorf("text report (%v):\n%s", err, text)
	}

	exp, _, err := codeRun(t, "export", "--story", "cmd-code")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(exp)).ReadAll()
	if err != nil || len(rows) != 241 || !slices.Equal(rows[0], []string{"story", "sample", "id", "coder", "role", "code", "coded_at", "seq", "source"}) ||
		rows[1][3] != "Ann" || rows[1][4] != "coder" || rows[1][8] != "import ann.csv" {
		t.Errorf("export: %d rows %v, first %q", len(rows), err, rows[:2])
	}

	for _, args := range [][]string{
		{"sample", "--story", "cmd-code", "--out", sheet},
		{"sample", "--story", "cmd-code", "--n", "5"},
		{"sample", "--story", "cmd-code", "--n", "5", "--out", sheet, "--strategy", "cluster"},
		{"import", "--story", "cmd-code", "--file", bad},
		{"report"},
		{"nothing"},
	} {
		if _, _, err := codeRun(t, args...); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
