package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// scoreShown matches a classifier score as the drill-down shows it.
var scoreShown = regexp.MustCompile(`(?i)score\W*[01]\.\d`)

// codingView is what the page's test hook says of the Code view.
type codingView struct {
	Name     string  `json:"name"`
	Sample   string  `json:"sample"`
	ID       *string `json:"id"`
	Position *int    `json:"position"`
	Assigned int     `json:"assigned"`
	Done     int     `json:"done"`
	Pending  int     `json:"pending"`
}

// TestBrowserCoding codes in a real browser as researchers do: two coders
// code ten items of the fixture's sample with the keyboard (with an undo
// and a resume from the server's state in between), an adjudicator settles
// the disagreement they leave, and the chart view shows the updated α, the
// report and the corrected share's band. Coding stays blind throughout.
// It is one long function on purpose: each step starts from the page the
// step before left, in one browser session.
func TestBrowserCoding(t *testing.T) {
	e, b := setupBrowser(t)
	truth := map[string]reaction.Stance{}
	for _, r := range e.rs {
		truth[r.ID] = fixture.Truth(r)
	}
	keyOf := map[reaction.Stance]string{reaction.Support: "1", reaction.Criticism: "2", reaction.Neutral: "3"}
	getJSON := func(path string, out any) {
		t.Helper()
		res, body := e.get(t, path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	state := func() codingView {
		t.Helper()
		var v codingView
		b.eval(`window.reactionsDashboard.coding()`, &v)
		return v
	}
	// code presses key on the item shown and waits until the code is saved.
	code := func(key string) string {
		t.Helper()
		before := state()
		if before.ID == nil {
			t.Fatalf("no item to code: %+v", before)
		}
		b.run(chromedp.KeyEvent(key))
		b.waitFor(fmt.Sprintf(`window.reactionsDashboard.coding().done === %d && window.reactionsDashboard.coding().pending === 0`, before.Done+1))
		return *before.ID
	}
	// blind checks that the Code view shows neither the classifier's label
	// nor its score, on the item or anywhere in the view.
	blind := func() {
		t.Helper()
		var v struct{ View, Meta, Mine string }
		b.eval(`({view: document.getElementById('view-code').textContent, meta: document.getElementById('code-meta').textContent,
			mine: document.getElementById('code-mine').textContent})`, &v)
		if strings.Contains(v.View, "stance-test-1") || scoreShown.MatchString(v.View) {
			t.Errorf("the Code view shows the classifier's version or a score: %q", v.View)
		}
		for _, st := range reaction.Stances {
			if strings.Contains(v.Meta, string(st)) {
				t.Errorf("the item shows a stance: %+v", v)
			}
		}
		if v.Mine != "Not coded yet." && !strings.HasPrefix(v.Mine, "Your code: ") {
			t.Errorf("the item says %q of its code", v.Mine)
		}
	}
	setName := func(name string) {
		t.Helper()
		b.eval(`document.getElementById('coder-name').value = '', true`, nil)
		b.run(chromedp.SendKeys(chromedp.CSS("#coder-name"), name+"\r"))
		b.waitFor(fmt.Sprintf(`document.getElementById('coder-who-name').textContent === %q`, name))
	}

	// 1. The Code view asks a new coder for a name, then resumes at the
	// sample's first item with the codebook beside it.
	b.run(chromedp.Navigate(e.srv.URL + "/?story=" + fixture.StoryID + "&view=code"))
	b.waitFor(`!document.getElementById('coder-form').hidden && document.activeElement && document.activeElement.id === 'coder-name'`)
	loads := 0
	b.eval(`window.reactionsDashboard.codingLoads`, &loads)
	setName("Eve")
	b.waitFor(fmt.Sprintf(`window.reactionsDashboard.codingLoads > %d && document.activeElement.id === 'code-item'`, loads))
	var api struct {
		Assigned int  `json:"assigned"`
		Done     int  `json:"done"`
		Next     *int `json:"next"`
		Items    []struct {
			Position int     `json:"position"`
			ID       string  `json:"id"`
			Assigned bool    `json:"assigned"`
			Code     *string `json:"code"`
		} `json:"items"`
	}
	getJSON("/api/v1/coding/sample?story=jack-test&sample=fixture&coder=Eve", &api)
	v := state()
	if v.Sample != fixture.Sample || v.Assigned != api.Assigned || v.Done != 0 || v.Position == nil || api.Next == nil || *v.Position != *api.Next {
		t.Fatalf("Eve's first view %+v, the API says assigned %d next %v", v, api.Assigned, api.Next)
	}
	var bar struct {
		Value, Max float64
		Label      string
	}
	b.eval(`({value: document.getElementById('code-progress').value, max: document.getElementById('code-progress').max,
		label: document.getElementById('code-progress-label').textContent})`, &bar)
	if bar.Value != 0 || int(bar.Max) != api.Assigned || !strings.HasPrefix(bar.Label, fmt.Sprintf("0 of %d coded", api.Assigned)) {
		t.Errorf("progress bar %+v", bar)
	}
	type label struct {
		Definition string   `json:"definition"`
		Examples   []string `json:"examples"`
	}
	var cb struct {
		Codebook struct {
			Support   label `json:"support"`
			Criticism label `json:"criticism"`
			Neutral   label `json:"neutral"`
			Unclear   label `json:"unclear"`
		} `json:"codebook"`
	}
	getJSON("/api/v1/codebook?story=jack-test", &cb)
	var shown map[string]struct {
		Head, Def string
		Examples  []string
	}
	b.eval(`Object.fromEntries(Array.from(document.querySelectorAll('#codebook-labels .cb-label')).map(s => [s.querySelector('h3').textContent,
		{head: s.querySelector('h3').textContent, def: s.querySelector('p').textContent,
		 examples: Array.from(s.querySelectorAll('li')).map(l => l.textContent)}]))`, &shown)
	for head, want := range map[string]label{"1 support": cb.Codebook.Support, "2 criticism": cb.Codebook.Criticism,
		"3 neutral": cb.Codebook.Neutral, "0 unclear": cb.Codebook.Unclear} {
		got := shown[head]
		if want.Definition == "" || got.Def != want.Definition || len(got.Examples) != len(want.Examples) ||
			len(want.Examples) > 0 && !slices.Equal(got.Examples, want.Examples) {
			t.Errorf("codebook entry %s: shown %+v, want %+v", head, got, want)
		}
	}
	blind()

	// 2. Eve codes five items with the keyboard, then codes a sixth by
	// mistake and takes it back with Backspace: the item is shown again
	// and the server holds no code of hers for it.
	var eve []string
	for range 5 {
		id := *state().ID
		eve = append(eve, code(keyOf[truth[id]]))
		blind()
	}
	sixth := *state().ID
	code("2")
	b.run(chromedp.KeyEvent(kb.Backspace))
	b.waitFor(`window.reactionsDashboard.coding().done === 5 && window.reactionsDashboard.coding().pending === 0`)
	if v := state(); v.ID == nil || *v.ID != sixth {
		t.Fatalf("after undo the view shows %+v, want %s", v, sixth)
	}
	getJSON("/api/v1/coding/sample?story=jack-test&sample=fixture&coder=Eve", &api)
	if api.Done != 5 {
		t.Fatalf("the server holds %d codes of Eve's, want 5", api.Done)
	}
	for _, it := range api.Items {
		if it.ID == sixth && it.Code != nil {
			t.Fatalf("the undone code is still stored: %s %s", it.ID, *it.Code)
		}
	}

	// 3. Resume from the server's state: with this browser's storage
	// cleared, Eve types her name again and is back at the sixth item.
	b.eval(`localStorage.clear(), true`, nil)
	b.run(chromedp.Reload())
	b.waitFor(`!document.getElementById('coder-form').hidden`)
	setName("Eve")
	b.waitFor(fmt.Sprintf(`window.reactionsDashboard.coding().id === %q`, sixth))
	if v := state(); v.Done != 5 || v.Assigned != api.Assigned {
		t.Errorf("resumed at %+v", v)
	}
	b.screenshot("coding.png")

	// 4. Finn codes the same five (everyone codes the overlap) and
	// disagrees on one item that had no dispute yet.
	var disputes struct {
		Pending  int `json:"pending"`
		Disputes []struct {
			ID    string `json:"id"`
			Codes []struct {
				Coder string `json:"coder"`
				Code  string `json:"code"`
			} `json:"codes"`
			Adjudication *struct {
				Coder string `json:"coder"`
				Code  string `json:"code"`
			} `json:"adjudication"`
		} `json:"disputes"`
	}
	getJSON("/api/v1/disputes?story=jack-test", &disputes)
	if disputes.Pending != 0 {
		t.Fatalf("the fixture has %d pending disputes", disputes.Pending)
	}
	disputed := map[string]bool{}
	for _, d := range disputes.Disputes {
		disputed[d.ID] = true
	}
	b.run(chromedp.Click(chromedp.CSS("#coder-change")))
	b.eval(`window.reactionsDashboard.codingLoads`, &loads)
	setName("Finn")
	b.waitFor(fmt.Sprintf(`window.reactionsDashboard.codingLoads > %d && window.reactionsDashboard.coding().name === 'Finn'`, loads))
	if v := state(); v.Done != 0 || v.Assigned != api.Assigned {
		t.Fatalf("Finn's first view %+v", v)
	}
	differ := ""
	for i := range 5 {
		id := *state().ID
		if id != eve[i] {
			t.Fatalf("Finn's item %d is %s, Eve's %s: the overlap should come in the same order", i, id, eve[i])
		}
		st := truth[id]
		if differ == "" && !disputed[id] {
			differ, st = id, reaction.Stances[(slices.Index(reaction.Stances, st)+1)%3]
		}
		code(keyOf[st])
	}
	if differ == "" {
		t.Fatal("every one of the five items was disputed before")
	}
	getJSON("/api/v1/disputes?story=jack-test", &disputes)
	if disputes.Pending != 1 || disputes.Disputes[0].ID != differ {
		t.Fatalf("after Finn: %d pending, first %s; want 1, %s", disputes.Pending, disputes.Disputes[0].ID, differ)
	}

	// 5. Cy adjudicates. The item is in Cy's own share of the sample (the
	// overlap goes to everyone), so its codes stay hidden until Cy asks.
	b.run(chromedp.Click(chromedp.CSS(`.view-tab[data-view=adjudicate]`)))
	b.run(chromedp.Click(chromedp.CSS("#coder-change")))
	loads = 0
	b.eval(`window.reactionsDashboard.disputeLoads`, &loads)
	setName("Cy")
	b.waitFor(fmt.Sprintf(`window.reactionsDashboard.disputeLoads > %d`, loads))
	var badge string
	b.eval(`document.getElementById('pending-badge').textContent`, &badge)
	if badge != "1" {
		t.Errorf("the Adjudicate tab's badge shows %q, want 1", badge)
	}
	var gated struct {
		Gate  bool
		Codes int
	}
	b.eval(`(() => { const li = document.querySelector('#disputes li.dispute.pending');
		return {gate: !!li.querySelector('.gate'), codes: li.querySelectorAll('.codes li').length}; })()`, &gated)
	if !gated.Gate || gated.Codes != 0 {
		t.Errorf("Cy still has to code the item, yet its codes show: %+v", gated)
	}
	b.run(chromedp.Click(chromedp.CSS(`#disputes li.dispute.pending .gate button`)))
	b.screenshot("adjudication.png")
	var chips []string
	b.eval(`Array.from(document.querySelectorAll('#disputes li.dispute.pending .codes li')).map(l => l.textContent)`, &chips)
	var want []string
	for _, c := range disputes.Disputes[0].Codes {
		want = append(want, c.Coder+": "+c.Code)
	}
	slices.Sort(chips)
	slices.Sort(want)
	if !slices.Equal(chips, want) || !slices.Contains(chips, "Finn: "+string(reaction.Stances[(slices.Index(reaction.Stances, truth[differ])+1)%3])) {
		t.Errorf("the dispute shows %q, want %q", chips, want)
	}
	final := string(truth[differ])
	b.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#disputes li.dispute.pending .adj-buttons button[data-code=%s]`, final))))
	b.waitFor(`document.querySelectorAll('#disputes li.dispute.pending').length === 0 && document.activeElement.id === 'adj-summary'`)
	getJSON("/api/v1/disputes?story=jack-test", &disputes)
	var adj *struct {
		Coder string `json:"coder"`
		Code  string `json:"code"`
	}
	for _, d := range disputes.Disputes {
		if d.ID == differ {
			adj = d.Adjudication
		}
	}
	if disputes.Pending != 0 || adj == nil || adj.Coder != "Cy" || adj.Code != final {
		t.Fatalf("after adjudication: %d pending, adjudication %+v, want Cy: %s", disputes.Pending, adj, final)
	}
	b.eval(`document.getElementById('pending-badge').hidden`, &gated.Gate)
	if !gated.Gate {
		t.Error("the badge still shows after the last adjudication")
	}

	// 6. The chart view shows the report of the codes just given: α, the
	// coders' pairs, the classifier's figures and the methods paragraph.
	loads = 0
	b.eval(`window.reactionsDashboard.reports`, &loads)
	b.run(chromedp.Click(chromedp.CSS(`.view-tab[data-view=chart]`)))
	b.waitFor(fmt.Sprintf(`window.reactionsDashboard.reports > %d && window.reactionsDashboard.ready`, loads))
	var rep struct {
		NCoded     int        `json:"n_coded"`
		NMulti     int        `json:"n_multi"`
		Coders     []string   `json:"coders"`
		Alpha      *float64   `json:"alpha"`
		AlphaCI    [2]float64 `json:"alpha_ci"`
		KappaPairs []struct {
			A, B  string
			Kappa *float64
		} `json:"kappa_pairs"`
		Classifier struct {
			Version   string                     `json:"version"`
			N         int                        `json:"n"`
			MacroF1   float64                    `json:"macro_f1"`
			MacroF1CI [2]float64                 `json:"macro_f1_ci"`
			Confusion struct{ Counts [3][3]int } `json:"confusion"`
		} `json:"classifier"`
		Methods   string `json:"methods"`
		MinBucket int    `json:"min_bucket"`
	}
	getJSON("/api/v1/coding/report?story=jack-test", &rep)
	if strings.Join(rep.Coders, ",") != "Ann,Bo,Eve,Finn" || rep.Alpha == nil {
		t.Fatalf("the report's coders %v, α %v", rep.Coders, rep.Alpha)
	}
	var page struct {
		Summary, Agreement, Model, Methods, Classifier string
		Kappa                                          []string
		Confusion                                      [][]string
	}
	b.eval(`({summary: document.getElementById('report-summary').textContent,
		agreement: document.getElementById('report-agreement').textContent,
		model: document.getElementById('model-line').textContent,
		methods: document.getElementById('methods').textContent,
		classifier: document.getElementById('report-classifier-figures').textContent,
		kappa: Array.from(document.querySelectorAll('#kappa-rows tr')).map(r => r.textContent),
		confusion: Array.from(document.querySelectorAll('#confusion-rows tr')).map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.split(' ')[0]))})`, &page)
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	alpha := "Krippendorff's α (nominal)" + f2(*rep.Alpha) + " (95% CI " + f2(rep.AlphaCI[0]) + "–" + f2(rep.AlphaCI[1]) + ")"
	if !strings.Contains(page.Agreement, alpha) {
		t.Errorf("the report shows %q, want %q", page.Agreement, alpha)
	}
	if !strings.HasPrefix(page.Summary, fmt.Sprintf("%d reactions hand-coded · %d of them by two or more coders · coders: Ann, Bo, Eve, Finn", rep.NCoded, rep.NMulti)) {
		t.Errorf("report summary %q", page.Summary)
	}
	if len(page.Kappa) != len(rep.KappaPairs) || !slices.ContainsFunc(page.Kappa, func(s string) bool { return strings.HasPrefix(s, "Eve · Finn5") }) {
		t.Errorf("κ rows %q", page.Kappa)
	}
	macro := "Macro-F1" + f2(rep.Classifier.MacroF1) + " (95% CI " + f2(rep.Classifier.MacroF1CI[0]) + "–" + f2(rep.Classifier.MacroF1CI[1]) + ")"
	if !strings.Contains(page.Classifier, macro) {
		t.Errorf("classifier figures %q, want %q", page.Classifier, macro)
	}
	for i, row := range rep.Classifier.Confusion.Counts {
		for j, n := range row {
			if len(page.Confusion) != 3 || page.Confusion[i][j] != fmt.Sprint(n) {
				t.Fatalf("confusion matrix shown %q, want %v", page.Confusion, rep.Classifier.Confusion.Counts)
			}
		}
	}
	if page.Methods != rep.Methods || page.Methods == "" {
		t.Errorf("methods paragraph differs from the API's")
	}
	if !strings.Contains(page.Model, "Labelled by the classifier stance-test-1. Validated on this story against "+fmt.Sprint(rep.Classifier.N)+" hand-coded reactions") ||
		!strings.Contains(page.Model, "macro-F1 "+f2(rep.Classifier.MacroF1)) {
		t.Errorf("the model line near the chart says %q", page.Model)
	}
	var copied string
	b.run(chromedp.Click(chromedp.CSS("#copy-methods")))
	b.waitFor(`document.getElementById('copy-status').textContent !== ''`)
	b.eval(`document.getElementById('copy-status').textContent`, &copied)
	t.Logf("copy button: %s", copied)

	// 7. The share panel: daily buckets carry the corrected share and its
	// band; hourly buckets too small to say anything are gaps, as the API
	// says; the legend says what the band is and states the threshold.
	type shareSeries struct {
		Buckets []struct {
			Share   *float64 `json:"criticism_share"`
			Adj     *float64 `json:"criticism_share_adj"`
			Lo      *float64 `json:"criticism_share_lo"`
			Hi      *float64 `json:"criticism_share_hi"`
			Support int64    `json:"support"`
			Crit    int64    `json:"criticism"`
		} `json:"buckets"`
	}
	type shareChart struct {
		Data   [][]*float64 `json:"data"`
		Bands  int          `json:"bands"`
		Legend string       `json:"legend"`
	}
	readShare := func() shareChart {
		var c shareChart
		b.eval(`(() => { const u = window.reactionsDashboard.shareChart();
			return {data: u.data.map(a => Array.from(a, v => (v == null ? null : v))), bands: (u.bands || []).length,
			        legend: document.getElementById('share-legend').textContent}; })()`, &c)
		return c
	}
	same := func(a, b *float64) bool {
		return a == nil && b == nil || a != nil && b != nil && math.Abs(*a-*b) < 1e-12
	}
	checkShare := func(interval string) (gaps, band int) {
		t.Helper()
		var s shareSeries
		getJSON("/api/v1/series?"+url.Values{"story": {fixture.StoryID}, "interval": {interval}}.Encode(), &s)
		c := readShare()
		if len(c.Data) != 5 || c.Bands != 1 {
			t.Fatalf("%s: the share panel has %d series and %d bands, want raw, low, high, corrected and one band", interval, len(c.Data), c.Bands)
		}
		for i, bk := range s.Buckets {
			// data: x, raw, low, high, corrected.
			for k, want := range []*float64{bk.Share, bk.Lo, bk.Hi, bk.Adj} {
				if !same(c.Data[k+1][i], want) {
					t.Fatalf("%s bucket %d series %d: the chart has %v, the API %v", interval, i, k+1, c.Data[k+1][i], want)
				}
			}
			if bk.Share == nil {
				gaps++
				if bk.Support+bk.Crit >= int64(rep.MinBucket) {
					t.Errorf("%s bucket %d: no share for %d support + criticism", interval, i, bk.Support+bk.Crit)
				}
			}
			if bk.Lo != nil && bk.Hi != nil && *bk.Lo <= *bk.Adj && *bk.Adj <= *bk.Hi && *bk.Hi > *bk.Lo {
				band++
			}
		}
		if !strings.Contains(c.Legend, "95% interval") || !strings.Contains(c.Legend, fmt.Sprintf("fewer than %d support + criticism reactions show no point", rep.MinBucket)) {
			t.Errorf("the share legend says %q", c.Legend)
		}
		return gaps, band
	}
	b.run(b.choose("interval", "1d"))
	b.waitFor(`window.reactionsDashboard.series().interval === '1d'`)
	if _, band := checkShare("1d"); band == 0 {
		t.Error("no daily bucket has a corrected share with a band")
	}
	b.run(b.choose("interval", "1h"))
	b.waitFor(`window.reactionsDashboard.series().interval === '1h'`)
	if gaps, _ := checkShare("1h"); gaps == 0 {
		t.Error("no hourly bucket is too small for a share: the fixture has 2 reactions an hour")
	}
	// The spike hour stands alone between gaps, and it is drawn: its line
	// and band cover the middle of the bucket, and the gap after it is
	// empty (canvas alpha).
	var alone *struct{ I, Line, Band, Gap int }
	b.eval(`(() => { const u = window.reactionsDashboard.shareChart(), bs = window.reactionsDashboard.series().buckets;
		const has = (k) => k >= 0 && k < bs.length && bs[k].criticism_share_adj != null;
		const i = bs.findIndex((x, k) => has(k) && !has(k - 1) && !has(k + 1));
		if (i < 0) return null;
		const alpha = (k, v) => { const x = (u.valToPos(u.data[0][k], 'x', true) + u.valToPos(u.data[0][k + 1], 'x', true)) / 2;
			return u.ctx.getImageData(Math.round(x), Math.round(u.valToPos(v, 'y', true)), 1, 1).data[3]; };
		const x = bs[i];
		return {i, line: alpha(i, x.criticism_share_adj), band: alpha(i, (x.criticism_share_adj + x.criticism_share_hi) / 2),
			gap: alpha(i + 1, x.criticism_share_adj)}; })()`, &alone)
	if alone == nil || alone.Line == 0 || alone.Band == 0 || alone.Gap != 0 {
		t.Errorf("a bucket alone between gaps: %+v (want its line and band drawn, and the gap after it empty)", alone)
	}
	b.screenshot("coding-report.png")
	b.checkClean()
}

// TestBrowserRetrainedModelLine: a story labelled by a model retrained on
// its codes says so near the chart, with the k of its cross-fitting, and
// its validated figures are the cross-fitted ones the API gives.
func TestBrowserRetrainedModelLine(t *testing.T) {
	e, b := setupBrowser(t)
	ctx := context.Background()
	// The fixture's classifier, recorded as trained on the fixture's codes
	// with an out-of-fold prediction for every coded item: its label, but
	// the coders' code for every third item.
	items, err := e.st.SampleItems(ctx, fixture.StoryID, fixture.Sample)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]reaction.Reaction{}
	for _, r := range e.rs {
		byID[r.ID] = r
	}
	var oof []store.OutOfFold
	for i, it := range items {
		p := byID[it.ID].Stance
		if i%3 == 0 {
			p = fixture.Truth(byID[it.ID])
		}
		oof = append(oof, store.OutOfFold{ID: it.ID, Fold: coding.Fold(it.ID, 5), Predicted: p, Score: 0.8})
	}
	if err := e.st.PutRetrainedModel(ctx, store.RetrainedModel{Story: fixture.StoryID, Classifier: "stance-test-1", Codes: len(oof),
		Folds: 5, Builtin: true, Source: "test"}, oof); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Classifier struct {
			N         int        `json:"n"`
			Folds     int        `json:"folds"`
			OutOfFold int        `json:"out_of_fold"`
			MacroF1   float64    `json:"macro_f1"`
			MacroF1CI [2]float64 `json:"macro_f1_ci"`
		} `json:"classifier"`
	}
	res, body := e.get(t, "/api/v1/coding/report?story="+fixture.StoryID)
	if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Classifier.Folds != 5 || rep.Classifier.OutOfFold == 0 {
		t.Fatalf("report: %d %s", res.StatusCode, body)
	}

	b.run(chromedp.Navigate(e.srv.URL + "/?story=" + fixture.StoryID))
	b.waitFor(`window.reactionsDashboard.ready && !document.getElementById('model-line').hidden`)
	var line, panel string
	b.eval(`document.getElementById('model-line').textContent`, &line)
	b.eval(`document.getElementById('report-classifier').textContent`, &panel)
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	c := rep.Classifier
	for _, want := range []string{
		fmt.Sprintf("Labelled by the classifier stance-test-1 (retrained on %d of this story's hand-codes and the built-in data, 5-fold cross-fitted).", len(oof)),
		fmt.Sprintf("Validated on this story against %d hand-coded reactions (cross-fitted: the %d it was trained on through their 5-fold out-of-fold predictions)", c.N, c.OutOfFold),
		"macro-F1 " + f2(c.MacroF1) + " (95% CI " + f2(c.MacroF1CI[0]) + "–" + f2(c.MacroF1CI[1]) + ")",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("the model line says %q\nwant %q in it", line, want)
		}
	}
	t.Logf("model line: %s", line)
	if !strings.Contains(panel, "5-fold out-of-fold predictions") {
		t.Errorf("the report panel says %q", panel)
	}
	b.checkClean()
}

// TestBrowserTrainedElsewhere: a story labelled by a model trained on its
// codes with no out-of-fold predictions stored here is not validated, and
// the model line and the report panel say why instead of asking for codes.
func TestBrowserTrainedElsewhere(t *testing.T) {
	e, b := setupBrowser(t)
	if err := e.st.PutRetrainedModel(context.Background(), store.RetrainedModel{Story: fixture.StoryID, Classifier: "stance-test-1",
		Codes: 120, Folds: 5, Source: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(e.srv.URL + "/?story=" + fixture.StoryID))
	b.waitFor(`window.reactionsDashboard.ready && !document.getElementById('model-line').hidden`)
	var line, class, panel string
	b.eval(`document.getElementById('model-line').textContent`, &line)
	b.eval(`document.getElementById('model-line').className`, &class)
	b.eval(`document.getElementById('report-classifier').textContent`, &panel)
	for _, want := range []string{
		"Labelled by the classifier stance-test-1 (retrained on 120 of this story's hand-codes; trained elsewhere, without out-of-fold predictions here).",
		"⚠ Not validated: a model trained on this story's codes elsewhere labels it",
		"classify train --story " + fixture.StoryID,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("the model line says %q\nwant %q in it", line, want)
		}
	}
	if !strings.Contains(class, "unvalidated") || strings.Contains(line, "corrected") {
		t.Errorf("the model line (class %q) says %q", class, line)
	}
	if want := "Not validated: version stance-test-1 was trained on 120 of this story's hand-codes elsewhere"; !strings.Contains(panel, want) {
		t.Errorf("the report panel says %q\nwant %q in it", panel, want)
	}
	b.checkClean()
}
