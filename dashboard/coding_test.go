package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/reaction"
)

func (e *env) post(t *testing.T, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/codings", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestCodingAPI codes, undoes and adjudicates through POST /api/v1/codings
// as the Code view does, and checks what a bad request gets.
func TestCodingAPI(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var view struct {
		Assigned, Done int
		Next           *int
		Items          []struct {
			ID       string
			Text     string
			Overlap  bool
			Assigned bool
			Code     *string
		}
	}
	get := func(coder string) {
		t.Helper()
		res, b := e.get(t, "/api/v1/coding/sample?story=jack-test&sample=fixture&coder="+coder)
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
		view.Items = nil
		if err := json.Unmarshal(b, &view); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{`"predicted"`, `"stance"`, `"score"`, "stance-test-1"} {
			if strings.Contains(string(b), k) {
				t.Fatalf("a coder's view shows the classifier's label (%s)", k)
			}
		}
	}
	// A new coder: the overlap is theirs, the rest is coded by Ann.
	get("Dee")
	if view.Assigned != 24 || view.Done != 0 || view.Next == nil || *view.Next != 1 {
		t.Fatalf("new coder: assigned %d done %d next %v", view.Assigned, view.Done, view.Next)
	}
	first, second := view.Items[0].ID, view.Items[1].ID
	code := func(id, c string) string {
		return `{"story":"jack-test","codes":[{"sample":"fixture","id":"` + id + `","coder":"Dee","code":"` + c + `"}]}`
	}
	if st, b := e.post(t, code(first, "1"), nil); st != 200 || !strings.Contains(b, `"stored":1`) {
		t.Fatalf("code: %d %s", st, b)
	}
	if st, b := e.post(t, code(second, "criticism"), map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}); st != 200 {
		t.Fatalf("code from the page: %d %s", st, b)
	}
	get("Dee")
	if view.Done != 2 || *view.Next != 3 || *view.Items[0].Code != "support" {
		t.Fatalf("after two codes: done %d next %v", view.Done, *view.Next)
	}
	// Undo the last one.
	if st, b := e.post(t, code(second, "withdrawn"), nil); st != 200 {
		t.Fatalf("undo: %d %s", st, b)
	}
	get("Dee")
	if view.Done != 1 || *view.Next != 2 || view.Items[1].Code != nil {
		t.Fatalf("after undo: done %d next %v", view.Done, *view.Next)
	}

	// Dee disagrees with Ann on the first item: a dispute, then its
	// adjudication.
	if st, b := e.post(t, code(first, "3"), nil); st != 200 {
		t.Fatalf("recode: %d %s", st, b)
	}
	var disputes struct {
		Pending  int
		Disputes []struct {
			ID           string
			Adjudication *struct{ Code string }
		}
	}
	_, b := e.get(t, "/api/v1/disputes?story=jack-test")
	json.Unmarshal(b, &disputes)
	if disputes.Pending != 1 || disputes.Disputes[0].ID != first || disputes.Disputes[0].Adjudication != nil {
		t.Fatalf("disputes: %s", b)
	}
	if st, b := e.post(t, `{"story":"jack-test","codes":[{"id":"`+first+`","coder":"Cy","code":"support","adjudication":true}]}`, nil); st != 200 {
		t.Fatalf("adjudicate: %d %s", st, b)
	}
	_, b = e.get(t, "/api/v1/disputes?story=jack-test")
	json.Unmarshal(b, &disputes)
	if disputes.Pending != 0 {
		t.Fatalf("after adjudication: %s", b)
	}
	var rep struct {
		NCoded     int      `json:"n_coded"`
		Coders     []string `json:"coders"`
		Disputed   []string `json:"disputed"`
		Classifier struct {
			Version       string           `json:"version"`
			StoryVersions map[string]int64 `json:"story_versions"`
		} `json:"classifier"`
		ClassifierVersions map[string]int64 `json:"classifier_versions"`
	}
	_, b = e.get(t, "/api/v1/coding/report?story=jack-test")
	json.Unmarshal(b, &rep)
	if strings.Join(rep.Coders, ",") != "Ann,Bo,Dee" || len(rep.Disputed) != 0 {
		t.Errorf("report after coding: %s", b[:200])
	}
	// Which model labelled the story, as the CLI's report says it.
	n := int64(len(e.rs))
	if rep.Classifier.Version != "stance-test-1" || len(rep.ClassifierVersions) != 1 || rep.ClassifierVersions["stance-test-1"] != n ||
		rep.Classifier.StoryVersions["stance-test-1"] != n {
		t.Errorf("report names the classifier %q, story versions %v and %v, want stance-test-1 with %d reactions",
			rep.Classifier.Version, rep.ClassifierVersions, rep.Classifier.StoryVersions, n)
	}

	before, err := e.st.Codings(ctx, fixture.StoryID)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name, body string
		header     map[string]string
		status     int
		want       string
	}{
		{"not JSON", `story=jack-test`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"cross-site", code(first, "1"), map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "own pages"},
		{"other origin", code(first, "1"), map[string]string{"Origin": "http://evil.example"}, 403, "own pages"},
		{"unknown field", `{"story":"jack-test","codes":[],"x":1}`, nil, 400, "unknown field"},
		{"no codes", `{"story":"jack-test","codes":[]}`, nil, 400, "codes: empty"},
		{"bad code", code(first, "maybe"), nil, 400, `codes[0].code: unknown code \"maybe\"`},
		{"not in sample", code("reddit:nope", "1"), nil, 400, "is not an item of sample"},
		{"no coder", `{"story":"jack-test","codes":[{"sample":"fixture","id":"` + first + `","coder":" ","code":"1"}]}`, nil, 400, "codes[0].coder"},
		{"no sample", `{"story":"jack-test","codes":[{"id":"` + first + `","coder":"Dee","code":"1"}]}`, nil, 400, "codes[0].sample: missing"},
		{"unknown story", strings.Replace(code(first, "1"), "jack-test", "no-story", 1), nil, 404, "no story"},
		// A good code and a bad one: nothing is stored.
		{"one bad of two", `{"story":"jack-test","codes":[{"sample":"fixture","id":"` + second + `","coder":"Dee","code":"1"},{"sample":"fixture","id":"x","coder":"Dee","code":"1"}]}`, nil, 400, "codes[1].id"},
		{"adjudicating nothing", `{"story":"jack-test","codes":[{"id":"reddit:000001","coder":"Cy","code":"1","adjudication":true}]}`, nil, 400, "no code to adjudicate"},
	}
	for _, c := range bad {
		st, b := e.post(t, c.body, c.header)
		if st != c.status || !strings.Contains(b, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, st, b, c.status, c.want)
		}
	}
	after, err := e.st.Codings(ctx, fixture.StoryID)
	if err != nil || len(after) != len(before) {
		t.Errorf("bad requests stored codes: %d before, %d after (%v)", len(before), len(after), err)
	}
	if res, _ := e.get(t, "/api/v1/codings"); res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
		t.Errorf("GET /api/v1/codings: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	if res, _ := e.get(t, "/api/v1/coding/sample?story=jack-test&sample=nope&coder=Dee"); res.StatusCode != 404 {
		t.Errorf("unknown sample: %d", res.StatusCode)
	}
	if res, _ := e.get(t, "/api/v1/coding/sample?story=jack-test&sample=fixture"); res.StatusCode != 400 {
		t.Errorf("no coder: %d", res.StatusCode)
	}
}

// TestSeriesCorrected: with the fixture's coded sample the series carries
// corrected figures whose interval holds the share the coders' truth
// gives, nearer than the raw share; the small-bucket rule follows
// min_bucket, raw and corrected alike.
func TestSeriesCorrected(t *testing.T) {
	e := setup(t)
	get := func(q string) dashboard.SeriesJSON {
		t.Helper()
		res, b := e.get(t, "/api/v1/series?story=jack-test&"+q)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, res.StatusCode, b)
		}
		var s dashboard.SeriesJSON
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := get("interval=1d")
	if s.Correction == nil || s.Correction.NCoded != 120 || s.MinBucket != 10 || s.CorrectionNote != "" {
		t.Fatalf("correction %+v, min bucket %d, note %q", s.Correction, s.MinBucket, s.CorrectionNote)
	}
	var trueS, trueC float64
	for _, r := range e.rs {
		switch fixture.Truth(r) {
		case reaction.Support:
			trueS++
		case reaction.Criticism:
			trueC++
		}
	}
	truth := trueC / (trueS + trueC)
	tot := s.Totals
	if tot.CriticismShareAdj == nil || !(*tot.CriticismShareLo <= truth && truth <= *tot.CriticismShareHi) ||
		math.Abs(*tot.CriticismShareAdj-truth) >= math.Abs(*tot.CriticismShare-truth) {
		t.Errorf("truth %.3f: raw %.3f, corrected %v (%v-%v)", truth, *tot.CriticismShare, *tot.CriticismShareAdj, *tot.CriticismShareLo, *tot.CriticismShareHi)
	}
	for i, b := range s.Buckets {
		if b.SupportAdj == nil || math.Abs(*b.SupportAdj+*b.CriticismAdj+*b.NeutralAdj-float64(b.Total)) > 1e-6 {
			t.Errorf("bucket %d: corrected counts do not sum to %d", i, b.Total)
		}
	}

	// The small-bucket rule: hourly buckets of 2 reactions show no share
	// by default, raw or corrected; min_bucket=1 shows them.
	small := 0
	for _, b := range get("interval=1h").Buckets {
		if b.Support+b.Criticism < 10 {
			small++
			if b.CriticismShare != nil || b.CriticismShareAdj != nil || b.CriticismShareLo != nil {
				t.Fatalf("a bucket of %d support + criticism shows a share", b.Support+b.Criticism)
			}
		}
	}
	if small == 0 {
		t.Fatal("no small bucket in the fixture")
	}
	for _, b := range get("interval=1h&min_bucket=1").Buckets {
		if b.Support+b.Criticism > 0 && (b.CriticismShare == nil || b.CriticismShareAdj == nil) {
			t.Fatalf("min_bucket=1: a bucket of %d support + criticism shows no share", b.Support+b.Criticism)
		}
	}
	if s := get("interval=1d&min_bucket=1000000"); s.Totals.CriticismShare != nil || s.Totals.CriticismShareAdj != nil || s.MinBucket != 1000000 {
		t.Errorf("min_bucket=1000000: totals %+v", s.Totals)
	}
	for _, bad := range []string{"min_bucket=0", "min_bucket=x", "min_bucket=1000001"} {
		if res, _ := e.get(t, "/api/v1/series?story=jack-test&"+bad); res.StatusCode != 400 {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
	// Thread starters counted: the samples leave them out, so no
	// correction.
	if s := get("interval=1d&include_roots=1"); s.Correction != nil || s.Totals.SupportAdj != nil || !strings.Contains(s.CorrectionNote, "thread starters") {
		t.Errorf("include_roots: correction %+v note %q", s.Correction, s.CorrectionNote)
	}
}

// TestReportModelOrigin: with Options.BuiltinClassifier, the coding report
// names the version that labels the fixture as the built-in model.
func TestReportModelOrigin(t *testing.T) {
	e := setup(t)
	d, err := dashboard.New(dashboard.Options{Store: e.st, Registerer: prometheus.NewRegistry(), BuiltinClassifier: "stance-test-1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/coding/report?story=" + fixture.StoryID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep struct {
		Models []struct {
			Version, Origin string
			Reactions       int64
			Retrained       *struct{}
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %v", res.StatusCode, err)
	}
	if len(rep.Models) != 1 || rep.Models[0].Version != "stance-test-1" || rep.Models[0].Origin != "builtin" ||
		rep.Models[0].Reactions == 0 || rep.Models[0].Retrained != nil {
		t.Errorf("models %+v, want stance-test-1 as the built-in model", rep.Models)
	}
}
