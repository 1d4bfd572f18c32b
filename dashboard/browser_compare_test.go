package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/reaction"
)

// TestBrowserCompareAndThreads loads a two-story comparison in Chromium,
// aligned by publication then by calendar time, as shares and as
// normalised counts, and checks the chart draws the API's numbers; then
// it follows a thread's link to the list of its reactions.
func TestBrowserCompareAndThreads(t *testing.T) {
	chromium := chromiumPath(t)
	e := setupThreads(t)
	if d, _ := dashboard.New(dashboard.Options{Store: e.st}); !d.AssetsBuilt() {
		t.Fatal("dashboard assets not built: run `sh dashboard/web/build.sh` (make build) first")
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1100),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", chromium, err)
	}
	var log browserLog
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*runtime.EventExceptionThrown); ok {
			log.add(&log.exceptions, fmt.Sprintf("%s (line %d)", ev.ExceptionDetails.Text, ev.ExceptionDetails.LineNumber))
		}
	}); err != nil {
		t.Fatal(err)
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
		defer tcancel()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string, out any) {
		t.Helper()
		tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
		defer tcancel()
		raw, err := chromedp.Run(tctx, chromedp.Evaluate[json.RawMessage](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v (%s)", js, err, raw)
		}
	}
	waitFor := func(js string) {
		t.Helper()
		tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
		defer tcancel()
		if _, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(25*time.Second))); err != nil {
			var status string
			eval(`document.getElementById('compare-status').textContent + ' / ' + document.getElementById('status').textContent`, &status)
			t.Fatalf("waiting for %s: %v (status: %q)", js, err, status)
		}
	}
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
	if len(d.Data) != 3 || *d.Data[0][0] != -26 || *d.Data[0][26] != 0 || !strings.Contains(d.Labels[1], fixture.StoryID) {
		t.Fatalf("chart: %d series, labels %v, x %v…", len(d.Data), d.Labels, d.Data[0][:3])
	}
	for i, s := range c.Stories {
		same(s.ID+" criticism share", d.Data[i+1], s.CriticismShare)
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
	for i, s := range c.Stories {
		same(s.ID+" % of its reactions", d.Data[i+1], s.TotalPct)
		var sum float64
		for _, v := range d.Data[i+1][:len(s.TotalPct)] {
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
	for i, s := range c.Stories {
		same(s.ID+" daily %", d.Data[i+1], s.TotalPct)
	}
	waitFor(`location.search.includes('align=calendar') && location.search.includes('show=pct') &&
		document.getElementById('x-compare-csv').href.includes('what=compare')`)
	screenshot(t, ctx, "compare.png")

	// 4. The largest thread of jack-threads links to its reactions, and
	// shows which were edited or deleted since first collected.
	edits := fixture.Threads()[1:4] // r01, r02, r03
	edits[0].Text += " (edited)"
	edits[2].Deleted, edits[2].Text, edits[2].Author = true, "", ""
	if _, err := e.st.WriteReactions(context.Background(), []reaction.Reaction{edits[0], edits[2]}); err != nil {
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
	screenshot(t, ctx, "threads.png")
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.exceptions) != 0 {
		t.Errorf("JavaScript exceptions: %v", log.exceptions)
	}
}

// screenshot saves the page for people in dashboard/testdata/out.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	defer tcancel()
	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join("testdata", "out"), 0o755); err == nil {
		os.WriteFile(filepath.Join("testdata", "out", name), shot, 0o644)
	}
}
