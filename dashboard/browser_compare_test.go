package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/reaction"
)

// TestBrowserCompareAndThreads loads a two-story comparison in Chromium,
// aligned by publication then by calendar time, as shares and as
// normalised counts, and checks the chart draws the API's numbers; then
// it follows a thread's link to the list of its reactions.
// It is one long function on purpose: each step starts from the page the
// step before left, in one browser session.
func TestBrowserCompareAndThreads(t *testing.T) {
	e, b := setupBrowser(t)
	fixture.LoadThreads(t, e.st)
	do, eval, waitFor := b.run, b.eval, b.waitFor
	// drawn is what the comparison chart plots, and the API answer it drew.
	type drawn struct {
		Labels []string        `json:"labels"`
		Data   [][]*float64    `json:"data"`
		API    json.RawMessage `json:"api"`
	}
	readCompare := func() (drawn, dashboard.CompareJSON) {
		var d drawn
		eval(`(() => { const u = window.reactionsDashboard.compareChart();
			return {labels: u.series.map(s => s.label), data: u.data.map(a => Array.from(a)), api: window.reactionsDashboard.compare()}; })()`, &d)
		var c dashboard.CompareJSON
		if err := json.Unmarshal(d.API, &c); err != nil {
			t.Fatal(err)
		}
		return d, c
	}
	// plotted returns the chart's data of the series labelled label.
	plotted := func(d drawn, label string) []*float64 {
		t.Helper()
		for i, l := range d.Labels {
			if l == label {
				return d.Data[i]
			}
		}
		t.Fatalf("the chart has no series %q: %v", label, d.Labels)
		return nil
	}
	same := func(what string, got []*float64, want []*float64) {
		t.Helper()
		if len(got) != len(want)+1 { // uPlot gets the last value again, to draw the last step
			t.Fatalf("%s: %d points for %d buckets", what, len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if (g == nil) != (w == nil) || g != nil && fmt.Sprintf("%.9f", *g) != fmt.Sprintf("%.9f", *w) {
				t.Fatalf("%s bucket %d: chart %v, API %v", what, i, g, w)
			}
		}
	}

	// 1. A link to a two-story comparison by publication, 1-hour buckets.
	stories := fixture.StoryID + "," + fixture.ThreadsID
	do(chromedp.Navigate(e.srv.URL + "/?story=" + fixture.StoryID + "&compare=" + stories + "&compare_interval=1h"))
	waitFor(`window.reactionsDashboard && window.reactionsDashboard.compares > 0 && window.reactionsDashboard.ready`)
	d, c := readCompare()
	if c.Align != "published" || len(c.Stories) != 2 || len(c.Hours) != 73 {
		t.Fatalf("comparison loaded: %s, %d stories, %d hours", c.Align, len(c.Stories), len(c.Hours))
	}
	if *d.Data[0][0] != -26 || *d.Data[0][26] != 0 {
		t.Fatalf("chart: labels %v, x %v…", d.Labels, d.Data[0][:3])
	}
	for _, s := range c.Stories {
		same(s.ID+" criticism share", plotted(d, s.ID+" criticism share"), s.CriticismShare)
	}
	// jack-test has a coded sample: its corrected share is drawn too;
	// jack-threads has none, and says why.
	if c.Stories[0].CriticismShareAdj == nil || c.Stories[1].CriticismShareAdj != nil || c.Stories[1].CorrectionNote == "" {
		t.Fatalf("corrected shares: %v / %v %q", c.Stories[0].CriticismShareAdj != nil, c.Stories[1].CriticismShareAdj != nil, c.Stories[1].CorrectionNote)
	}
	same(fixture.StoryID+" corrected", plotted(d, fixture.StoryID+" corrected"), c.Stories[0].CriticismShareAdj)
	if len(d.Labels) != 4 {
		t.Errorf("series drawn: %v", d.Labels)
	}
	// The checkboxes show what is compared.
	var picked []string
	eval(`Array.from(document.querySelectorAll('.compare-pick')).filter(c => c.checked).map(c => c.value)`, &picked)
	if strings.Join(picked, ",") != stories {
		t.Errorf("picked %v", picked)
	}

	// 2. Normalised counts: each story's buckets sum to 100 %.
	do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const s = document.getElementById('compare-show'); s.value = 'pct';
			s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)(ctx, tg)
		return err
	}))
	waitFor(`window.reactionsDashboard.compareChart().series[1].label.includes('%')`)
	d, c = readCompare()
	for _, s := range c.Stories {
		got := plotted(d, s.ID+" % of its reactions")
		same(s.ID+" % of its reactions", got, s.TotalPct)
		var sum float64
		for _, v := range got[:len(s.TotalPct)] {
			if v != nil {
				sum += *v
			}
		}
		if fmt.Sprintf("%.6f", sum) != "100.000000" {
			t.Errorf("%s: the chart's normalised counts sum to %v", s.ID, sum)
		}
	}

	// 3. Calendar time, daily: both stories on the same days.
	var n int
	eval(`window.reactionsDashboard.compares`, &n)
	do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { for (const [id, v] of [['compare-interval', '1d'], ['compare-align', 'calendar']]) {
			const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event('change', {bubbles: true})); } return true; })()`)(ctx, tg)
		return err
	}))
	waitFor(fmt.Sprintf(`window.reactionsDashboard.compares > %d && window.reactionsDashboard.compare().align === 'calendar' &&
		window.reactionsDashboard.compare().interval === '1d'`, n))
	d, c = readCompare()
	if len(c.Starts) != 5 || *d.Data[0][0] != float64(c.Starts[0].Unix()) {
		t.Fatalf("calendar: starts %v, chart x %v", c.Starts, d.Data[0])
	}
	for _, s := range c.Stories {
		same(s.ID+" daily %", plotted(d, s.ID+" % of its reactions"), s.TotalPct)
	}
	waitFor(`location.search.includes('align=calendar') && location.search.includes('show=pct') &&
		document.getElementById('x-compare-csv').href.includes('what=compare')`)
	b.screenshot("compare.png")

	// 4. The largest thread of jack-threads links to its reactions, and
	// shows which were edited or deleted since first collected.
	edits := fixture.Threads()[1:4] // r01, r02, r03
	edits[0].Text += " (edited)"
	edits[2].Deleted, edits[2].Text, edits[2].Author = true, "", ""
	if _, err := e.st.Write(context.Background(), []reaction.Reaction{edits[0], edits[2]}); err != nil {
		t.Fatal(err)
	}
	do(chromedp.Navigate(e.srv.URL + "/?story=" + fixture.ThreadsID))
	waitFor(`window.reactionsDashboard.ready && document.querySelectorAll('#thread-size-rows .thread-link').length === 2`)
	do(chromedp.Click(chromedp.CSS(`#thread-size-rows tr:first-child .thread-link`)))
	waitFor(`document.querySelectorAll('#reactions li').length > 0 && location.search.includes('thread=')`)
	var listed struct {
		Items int    `json:"items"`
		Info  string `json:"info"`
		Range string `json:"range"`
	}
	eval(`({items: document.querySelectorAll('#reactions li').length, info: document.getElementById('page-info').textContent,
		range: document.getElementById('drill-range').textContent})`, &listed)
	// The Reddit thread: its starter and 18 reactions in the window.
	if listed.Items != 19 || !strings.HasSuffix(listed.Info, "of 19") || !strings.Contains(listed.Range, fixture.RedditRoot) {
		t.Errorf("thread drill-down: %+v", listed)
	}
	// r03 was seen visible, then deleted; r11 was deleted when first
	// collected: when is unknown.
	var tags []string
	eval(`Array.from(document.querySelectorAll('#reactions li')).map(li => li.querySelector('.text').textContent + '|' +
		Array.from(li.querySelectorAll('.edited, .deleted')).map(e => e.textContent).join(' '))`, &tags)
	var edited, deletedAfter, deletedUnknown int
	for _, tg := range tags {
		text, tag, _ := strings.Cut(tg, "|")
		switch {
		case tag == "edited" && text == edits[0].Text:
			edited++
		case strings.HasPrefix(tag, "deleted after ") && strings.HasSuffix(tag, " days") && text == "":
			deletedAfter++ // posted in 2020, seen deleted now
		case tag == "deleted" && text == "":
			deletedUnknown++
		case tag != "":
			t.Errorf("unexpected tag %q on %q", tag, text)
		}
	}
	if edited != 1 || deletedAfter != 1 || deletedUnknown != 1 {
		t.Errorf("edited and deleted tags: %q", tags)
	}
	b.screenshot("threads.png")
	b.checkClean()
}
