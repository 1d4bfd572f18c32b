package study_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

var t0 = time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)

// confusion[t] is the classifier's P(predicted | true t), rows and columns
// support, criticism, neutral: about as good as the shipped classifier,
// and like it too quick to see criticism.
var confusion = [3][3]float64{{0.80, 0.12, 0.08}, {0.10, 0.80, 0.10}, {0.15, 0.30, 0.55}}

// simStory stores n reactions over five days with a true stance each
// (returned by id) and a label drawn from confusion.
func simStory(t *testing.T, st *store.Store, story string, n int) map[string]reaction.Stance {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	truth := map[string]reaction.Stance{}
	var rs []reaction.Reaction
	for i := range n {
		var tr int
		switch u := rng.Float64(); {
		case u < 0.6:
			tr = 0
		case u < 0.85:
			tr = 1
		default:
			tr = 2
		}
		u, pred := rng.Float64(), 2
		if u < confusion[tr][0] {
			pred = 0
		} else if u < confusion[tr][0]+confusion[tr][1] {
			pred = 1
		}
		p := reaction.Platforms[i%3]
		id := reaction.MakeID(p, fmt.Sprint("r", i))
		at := t0.Add(time.Duration(rng.IntN(5*24*3600)) * time.Second)
		rs = append(rs, reaction.Reaction{Story: story, Platform: p, ID: id, RootID: id, URL: "https://example.org/" + id,
			CreatedAt: at, FirstSeen: at, Text: fmt.Sprintf("reaction %d", i), Stance: reaction.Stances[pred],
			StanceScore: 0.4 + 0.6*rng.Float64(), Classifier: "sim-1"})
		truth[id] = reaction.Stances[tr]
	}
	rs[0].Text = "=HYPERLINK(\"http://evil.example\")" // a formula in crawled text
	rs[1].Deleted, rs[1].Text = true, ""
	if _, err := st.Write(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	return truth
}

// coder codes items from the truth, wrong with probability errRate (a
// uniformly other stance) and unclear with probability unclear.
func coder(name string, seed uint64, truth map[string]reaction.Stance, ids []string, errRate, unclear float64) []store.Coding {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []store.Coding
	for _, id := range ids {
		c := truth[id]
		switch u := rng.Float64(); {
		case u < unclear:
			c = coding.Unclear
		case u < unclear+errRate:
			others := slices.DeleteFunc(slices.Clone(reaction.Stances), func(s reaction.Stance) bool { return s == c })
			c = others[rng.IntN(2)]
		}
		out = append(out, store.Coding{Story: "sim", Sample: "s1", ID: id, Coder: name, Code: c, Source: "test"})
	}
	return out
}

// TestStudyEndToEnd draws, codes, reports, corrects and caches a
// simulated story against the store, and relabels it. It is long because
// each step reads what the steps before stored.
func TestStudyEndToEnd(t *testing.T) {
	st := chtest.New(t)
	ctx := context.Background()
	truth := simStory(t, st, "sim", 3000)

	req := study.DrawRequest{Story: "sim", Name: "s1", Design: coding.Design{N: 400, Seed: 7}}
	d, err := study.Draw(ctx, st, req)
	if err != nil {
		t.Fatal(err)
	}
	if d.Existing || d.Sample.Drawn != 400 || d.Sample.Population != 2999 || !d.Sample.Estimable || d.Sample.Classifier != "sim-1" ||
		d.Sample.Strategy != "stratified" || d.Sample.Overlap != study.DefaultOverlap || len(d.Sample.Design) == 0 {
		t.Fatalf("drawn %+v", d.Sample)
	}
	overlap := 0
	for i, it := range d.Items {
		if it.Position != i+1 || !(it.Pi > 0 && it.Pi <= 1) || it.Stratum == "" {
			t.Fatalf("item %d: %+v", i, it)
		}
		if it.Overlap {
			overlap++
		}
		if !it.Overlap && i < 80 || it.Overlap && i >= 80 {
			t.Errorf("item %d overlap %v: the first 20 %% overlap", i, it.Overlap)
		}
	}
	// The same request writes the same sample out again; another design
	// under the same name is refused.
	again, err := study.Draw(ctx, st, req)
	if err != nil || !again.Existing || !slices.Equal(again.Items, d.Items) {
		t.Errorf("drawing again: %v existing=%v", err, again != nil && again.Existing)
	}
	other := req
	other.Design.Seed = 8
	if _, err := study.Draw(ctx, st, other); err == nil || !strings.Contains(err.Error(), "drawn differently") {
		t.Errorf("another design under the same name: %v", err)
	}
	// The same seed on the same reactions draws the same items.
	same := req
	same.Name = "s1-again"
	d2, err := study.Draw(ctx, st, same)
	if err != nil || !slices.EqualFunc(d2.Items, d.Items, func(a, b store.SampleItem) bool { return a.ID == b.ID && a.Pi == b.Pi }) {
		t.Errorf("the same seed drew other items (%v)", err)
	}
	unc, err := study.Draw(ctx, st, study.DrawRequest{Story: "sim", Design: coding.Design{Strategy: coding.Uncertain, N: 50}})
	if err != nil || unc.Sample.Name != "sample-3" || unc.Sample.Estimable || unc.Items[0].Pi != 0 {
		t.Fatalf("uncertain sample: %v %+v", err, unc.Sample)
	}

	var ids, overlapIDs []string
	for _, it := range d.Items {
		ids = append(ids, it.ID)
		if it.Overlap {
			overlapIDs = append(overlapIDs, it.ID)
		}
	}
	// Ann codes everything, Bo the overlap; the uncertain sample's items
	// are coded too (they count for agreement, not for validation).
	ann := coder("Ann", 1, truth, ids, 0.06, 0.02)
	bo := coder("Bo", 2, truth, overlapIDs, 0.08, 0.03)
	var uncIDs []string
	for _, it := range unc.Items {
		uncIDs = append(uncIDs, it.ID)
	}
	ann = append(ann, coder("Ann", 3, truth, uncIDs, 0.06, 0)...)
	if err := st.WriteCodings(ctx, append(ann, bo...)); err != nil {
		t.Fatal(err)
	}

	// Labels read again on every lookup; slow is the default (30 s).
	cache := study.NewCache(study.Options{Coding: coding.Options{Replicates: 300}, LabelsTTL: time.Nanosecond})
	slow := study.NewCache(study.Options{Coding: coding.Options{Replicates: 300}})
	r, err := cache.Get(ctx, st, "sim")
	if err != nil {
		t.Fatal(err)
	}
	if r.Reliability == nil || r.Reliability.NMulti != overlap || r.Reliability.Alpha == nil || *r.Reliability.Alpha < 0.6 {
		t.Fatalf("reliability %+v", r.Reliability)
	}
	if len(r.Resolution.Disputed) == 0 {
		t.Fatal("no disputed item: the coders never disagreed")
	}
	// One sample by default (the first with the most final codes); both
	// when asked, pooled; a sample that is not a probability sample cannot
	// be asked for.
	if !slices.Equal(r.Used, []string{"s1"}) || r.Classifier != "sim-1" || r.Corrector == nil {
		t.Fatalf("used %v, classifier %q, corrector %v, notes %v", r.Used, r.Classifier, r.Corrector != nil, r.Notes)
	}
	pooled, err := study.Build(ctx, st, "sim", study.Options{Samples: []string{"s1", "s1-again"}, Coding: coding.Options{Replicates: 200}})
	if err != nil || !slices.Equal(pooled.Used, []string{"s1", "s1-again"}) || pooled.Validation.N != 2*r.Validation.N ||
		!strings.Contains(strings.Join(pooled.Notes, " "), "pools the samples s1, s1-again") {
		t.Errorf("pooled: %v used %v notes %v", err, pooled.Used, pooled.Notes)
	}
	for _, names := range [][]string{{"sample-3"}, {"nope"}} {
		if _, err := study.Build(ctx, st, "sim", study.Options{Samples: names}); err == nil {
			t.Errorf("validating on %v was accepted", names)
		}
	}
	if again, _ := cache.Get(ctx, st, "sim"); again != r {
		t.Error("the cache rebuilt an unchanged report")
	}

	// Adjudicate every disagreement from the truth: the report changes.
	var adj []store.Coding
	for _, id := range r.Resolution.Disputed {
		adj = append(adj, store.Coding{Story: "sim", Sample: "s1", ID: id, Coder: "Cy", Adjudication: true, Code: truth[id]})
	}
	if err := st.WriteCodings(ctx, adj); err != nil {
		t.Fatal(err)
	}
	r2, err := cache.Get(ctx, st, "sim")
	if err != nil || r2 == r || len(r2.Resolution.Disputed) != 0 {
		t.Fatalf("after adjudication: %v, disputed %v", err, r2.Resolution.Disputed)
	}

	raw, err := study.Raw(ctx, st, "sim")
	if err != nil {
		t.Fatal(err)
	}
	var trueS, trueC float64
	for _, s := range truth {
		switch s {
		case reaction.Support:
			trueS++
		case reaction.Criticism:
			trueC++
		}
	}
	j := r2.JSON(raw, map[string]int64{"sim-1": 3000})
	trueShare := trueC / (trueS + trueC)
	rawShare := *j.Estimate.Raw.CriticismShare
	t.Logf("criticism share: true %.3f, raw %.3f, corrected %.3f (%.3f–%.3f); alpha %.2f; macro-F1 %.2f",
		trueShare, rawShare, *j.Estimate.Share, *j.Estimate.Lo, *j.Estimate.Hi, *j.Alpha, j.Classifier.MacroF1)
	if !(*j.Estimate.Lo <= trueShare && trueShare <= *j.Estimate.Hi) || math.Abs(*j.Estimate.Share-trueShare) >= math.Abs(rawShare-trueShare) {
		t.Errorf("the corrected share does not cover the truth or is no nearer than the raw one")
	}
	coded := len(slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(ids), uncIDs...)))))
	if j.NCoded != coded || j.NFinal == 0 || len(j.Samples) != 3 || j.Samples[0].Coded != 400 || j.Samples[0].ByCoder["Bo"] != overlap ||
		!strings.Contains(j.Methods, "Krippendorff") || j.Classifier.Version != "sim-1" {
		t.Errorf("report JSON: n_coded %d (want %d), n_final %d, progress %+v", j.NCoded, coded, j.NFinal, j.Samples[0].Progress)
	}
	if s := r2.Summary(); s == nil || s.NCoded != coded || !slices.Equal(s.Coders, []string{"Ann", "Bo"}) || s.Alpha == nil || s.Method == "" {
		t.Errorf("summary %+v", s)
	}

	// Correct: memoised estimates equal the Corrector's, under any
	// threshold.
	buckets := []coding.Counts{{Support: 40, Criticism: 20, Neutral: 5}, {Support: 3, Criticism: 2}, {Support: 40, Criticism: 20, Neutral: 5}}
	direct := r2.Corrector.Buckets(buckets)
	for range 2 {
		got := r2.Correct(buckets, 0)
		if !reflect.DeepEqual(got, direct) {
			t.Fatalf("Correct %+v, Corrector %+v", got, direct)
		}
	}
	if got := r2.Correct(buckets, 100); got[0].Share != nil || got[0].CriticismAdj != direct[0].CriticismAdj {
		t.Errorf("Correct with min bucket 100: %+v", got[0])
	}
	if got := r2.Correct(buckets, 1); got[1].Share == nil {
		t.Errorf("Correct with min bucket 1: %+v", got[1])
	}

	// Relabelling a sampled reaction changes the report's version (at
	// once with a short LabelsTTL, after it with the default).
	v1 := r2.Version()
	before, err := slow.Get(ctx, st, "sim")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := st.StoredReactions(ctx, "sim", ids[:1])
	if err != nil || len(cur) != 1 {
		t.Fatalf("StoredReactions: %v (%d)", err, len(cur))
	}
	cur[0].Classifier = "sim-2"
	if _, err := st.Relabel(ctx, cur); err != nil {
		t.Fatal(err)
	}
	r3, err := cache.Get(ctx, st, "sim")
	if err != nil || r3.Version() == v1 || len(r3.Notes) == 0 {
		t.Errorf("after a relabel: %v version %+v notes %v", err, r3.Version(), r3.Notes)
	}
	if again, err := slow.Get(ctx, st, "sim"); err != nil || again != before {
		t.Errorf("the default cache read the labels again within its TTL (%v)", err)
	}
}

func TestCSVAndImport(t *testing.T) {
	st := chtest.New(t)
	ctx := context.Background()
	truth := simStory(t, st, "sim", 200)
	d, err := study.Draw(ctx, st, study.DrawRequest{Story: "sim", Name: "s1", Design: coding.Design{N: 199, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range d.Items {
		ids = append(ids, it.ID)
	}
	rs, err := st.ReactionsByID(ctx, "sim", ids)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := study.WriteCSV(&buf, d.Items, rs); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFFid,platform,created_at,url,text,code\r\n")) {
		t.Fatalf("header: %q", buf.String()[:60])
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil || len(recs) != 200 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	formula := false
	for _, rec := range recs[1:] {
		if len(rec) != 6 || rec[5] != "" {
			t.Fatalf("row %q", rec)
		}
		for _, cell := range rec {
			for _, s := range reaction.Stances {
				if cell == string(s) {
					t.Fatalf("a cell holds the label %q: coding must be blind (%q)", s, rec)
				}
			}
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("a cell starts a formula: %q", cell)
			}
		}
		if strings.HasPrefix(rec[4], "'=HYPERLINK") {
			formula = true
		}
	}
	if !formula {
		t.Error("the formula in the text was not defused (or not sampled)")
	}

	// A coder fills half the sheet in a spreadsheet (extra column, codes
	// in both spellings); the import stores those and skips the rest.
	var sheet strings.Builder
	sheet.WriteString("\uFEFFID,note,Code\r\n")
	for i, id := range ids {
		code := ""
		if i < 100 {
			code = []string{"1", "criticism", "3", "0"}[i%4]
		}
		fmt.Fprintf(&sheet, "%s,x,%s\r\n", id, code)
	}
	res, err := study.Import(ctx, st, "sim", "Ann", "import test", strings.NewReader(sheet.String()))
	if err != nil || res.Stored != 100 || res.Skipped != 99 || res.Unchanged != 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	// The same file again changes nothing.
	if res, err := study.Import(ctx, st, "sim", "Ann", "import test", strings.NewReader(sheet.String())); err != nil || res.Stored != 0 || res.Unchanged != 100 {
		t.Errorf("import again: %+v %v", res, err)
	}

	// Bad lines: every one is named, and nothing is stored.
	bad := "id,code\n" + ids[0] + ",support\n" + "reddit:nope,support\n" + ids[1] + ",maybe\n" + ids[2] + ",2\n" + ids[0] + ",neutral\n" + ",1\n"
	_, err = study.Import(ctx, st, "sim", "Bo", "import test", strings.NewReader(bad))
	var ie study.ImportErrors
	if !errors.As(err, &ie) {
		t.Fatalf("bad file: %v", err)
	}
	for _, want := range []string{`line 3: unknown id "reddit:nope"`, `line 4: id ` + ids[1] + `: unknown code "maybe"`,
		"line 6: id " + ids[0] + " is coded again (first on line 2)", "line 7: empty id", "4 bad lines, nothing was stored"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	latest, err := st.LatestCodings(ctx, "sim")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range latest {
		if c.Coder == "Bo" {
			t.Fatalf("a bad file stored a code: %+v", c)
		}
	}
	for _, tc := range []struct{ file, want string }{
		{"", "the file is empty"},
		{"id,stance\nx,1\n", `line 1: the header "id,stance" has no code column`},
		{"code\n1\n", "has no id column"},
	} {
		if _, err := study.Import(ctx, st, "sim", "Bo", "t", strings.NewReader(tc.file)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.file, err, tc.want)
		}
	}
	// A reaction of the story outside every sample may be coded.
	var outside string
	for id := range truth {
		if !slices.Contains(ids, id) {
			outside = id
		}
	}
	res, err = study.Import(ctx, st, "sim", "Bo", "t", strings.NewReader("id,code\n"+outside+",support\n"))
	if err != nil || res.NotSampled != 1 {
		t.Errorf("a reaction outside the samples: %+v %v", res, err)
	}
}
