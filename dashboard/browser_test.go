package dashboard_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/reaction"
)

// TestBrowser drives the dashboard in a real Chromium the way a researcher
// does, in numbered steps (load, exact counts, zoom, drill-down, timezone,
// live refresh, screenshot). It is one long function on purpose: each step
// starts from the page the step before left, in one browser session, and
// the checks that nothing ran or loaded cover the whole session.
func TestBrowser(t *testing.T) {
	e, b := setupBrowser(t)
	run, eval, choose, waitFor := b.run, b.eval, b.choose, b.waitFor

	// 1. Load the dashboard (automatic bucket: 15m over the 3-day window).
	run(chromedp.Navigate(e.srv.URL + "/?story=" + fixture.StoryID))
	waitFor(`window.reactionsDashboard && window.reactionsDashboard.ready`)

	// 2. The chart shows exactly the fixture's counts.
	type chartData struct {
		Interval string      `json:"interval"`
		TZ       string      `json:"tz"`
		Starts   []string    `json:"starts"`
		To       string      `json:"to"`
		Data     [][]float64 `json:"data"`
	}
	readChart := func() chartData {
		var c chartData
		eval(`(() => { const s = window.reactionsDashboard.series(), u = window.reactionsDashboard.chart();
			return {interval: s.interval, tz: s.tz, starts: s.buckets.map(b => b.start), to: s.to,
			        data: u.data.map(a => Array.from(a))}; })()`, &c)
		return c
	}
	checkChart := func(c chartData, stacked bool) {
		t.Helper()
		if len(c.Data) != 4 || len(c.Data[0]) != len(c.Starts)+1 {
			t.Fatalf("chart data has %d series of %d points for %d buckets", len(c.Data), len(c.Data[0]), len(c.Starts))
		}
		for i, s := range c.Starts {
			from, _ := time.Parse(time.RFC3339, s)
			to, _ := time.Parse(time.RFC3339, c.To)
			if i+1 < len(c.Starts) {
				to, _ = time.Parse(time.RFC3339, c.Starts[i+1])
			}
			su, cr, ne := fixture.Count(e.rs, from, to, "")
			want := []float64{float64(su), float64(cr), float64(ne)}
			if stacked {
				want = []float64{float64(su + cr + ne), float64(cr + ne), float64(ne)}
			}
			for k := range 3 {
				if c.Data[k+1][i] != want[k] {
					t.Fatalf("bucket %s series %d: chart shows %v, want %v", s, k+1, c.Data[k+1][i], want[k])
				}
			}
		}
	}
	c := readChart()
	if c.Interval != "15m" || len(c.Starts) != 288 {
		t.Fatalf("first view: %s buckets, %d of them", c.Interval, len(c.Starts))
	}
	checkChart(c, true)

	// Hover shows the values of the bucket under the cursor.
	var legend []string
	eval(fmt.Sprintf(`(() => { const u = window.reactionsDashboard.chart();
		u.setCursor({left: u.valToPos(%d, 'x'), top: 40});
		return Array.from(document.querySelectorAll('#chart .u-legend .u-series .u-value')).map(e => e.textContent); })()`,
		fixture.Published.Add(5*time.Minute).Unix()), &legend)
	su, cr, ne := fixture.Count(e.rs, fixture.Published, fixture.Published.Add(15*time.Minute), "")
	if len(legend) != 4 || legend[1] != fmt.Sprint(su) || legend[2] != fmt.Sprint(cr) || legend[3] != fmt.Sprint(ne) {
		t.Errorf("legend on hover %q, want support %d criticism %d neutral %d", legend, su, cr, ne)
	}

	// The completeness warnings are loud: bluesky is blocked.
	var warn struct {
		Banner, Header string
		Hidden         bool
	}
	eval(`({banner: document.getElementById('warnings').textContent, header: document.getElementById('chart-warning').textContent,
		hidden: document.getElementById('warnings').hidden})`, &warn)
	if warn.Hidden || !strings.Contains(warn.Banner, "bluesky") || !strings.Contains(warn.Banner, "blocked") || !strings.Contains(warn.Header, "bluesky") {
		t.Errorf("warnings %+v", warn)
	}

	// 3. Zoom by dragging across 01:30–03:30 UTC: the automatic bucket
	// becomes finer (1m) and the chart still shows exact counts.
	var box struct{ X, Y, W, H, A, B float64 }
	eval(fmt.Sprintf(`(() => { const u = window.reactionsDashboard.chart(), r = u.over.getBoundingClientRect();
		return {x: r.left, y: r.top, w: r.width, h: r.height, a: u.valToPos(%d, 'x'), b: u.valToPos(%d, 'x')}; })()`,
		fixture.Published.Add(-30*time.Minute).Unix(), fixture.Published.Add(90*time.Minute).Unix()), &box)
	var loads int
	eval(`window.reactionsDashboard.loads`, &loads)
	y := box.Y + box.H/2
	run(
		chromedp.MouseEvent(chromedp.MousePressed, box.X+box.A, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, box.X+(box.A+box.B)/2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, box.X+box.B, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, box.X+box.B, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	waitFor(fmt.Sprintf(`window.reactionsDashboard.loads > %d`, loads))
	c = readChart()
	if c.Interval != "1m" || len(c.Starts) < 100 || len(c.Starts) > 130 {
		t.Fatalf("after zooming: %s buckets, %d of them (%s to %s)", c.Interval, len(c.Starts), c.Starts[0], c.To)
	}
	checkChart(c, true)

	// 4. Click the bucket holding the hostile reaction: its reactions are
	// listed, the hostile text shows as text, and its javascript: URL is no
	// link.
	eval(fmt.Sprintf(`(() => { const u = window.reactionsDashboard.chart(), r = u.over.getBoundingClientRect();
		return {x: r.left, y: r.top, w: r.width, h: r.height, a: u.valToPos(%d, 'x'), b: 0}; })()`,
		fixture.HostileAt.Add(30*time.Second).Unix()), &box)
	run(chromedp.MouseClickXY(box.X+box.A, box.Y+box.H/2))
	waitFor(`document.querySelectorAll('#reactions li').length > 0`)
	var items []struct {
		Text, Stance, Link, Time string
		Anchors                  int
	}
	eval(`Array.from(document.querySelectorAll('#reactions li')).map(li => ({
		text: li.querySelector('.text').textContent, stance: li.querySelector('.stance').textContent,
		link: (li.querySelector('a') || {}).href || '', time: li.querySelector('time').dateTime,
		anchors: li.querySelectorAll('a').length}))`, &items)
	var want []reaction.Reaction
	minute := fixture.HostileAt.Truncate(time.Minute)
	for _, r := range e.rs {
		if !r.CreatedAt.Before(minute) && r.CreatedAt.Before(minute.Add(time.Minute)) {
			want = append(want, r)
		}
	}
	if len(items) != len(want) {
		t.Fatalf("the bucket lists %d reactions, want %d: %+v", len(items), len(want), items)
	}
	foundHostile := false
	for i, it := range items {
		if it.Text != want[i].Text || it.Stance != string(want[i].Stance) {
			t.Errorf("item %d: %+v, want %q %s", i, it, want[i].Text, want[i].Stance)
		}
		if it.Text == fixture.Hostile {
			foundHostile = true
			if it.Anchors != 0 {
				t.Errorf("the javascript: URL became a link: %+v", it)
			}
		} else if !strings.HasPrefix(it.Link, "https://") {
			t.Errorf("item %d has no https link: %+v", i, it)
		}
	}
	if !foundHostile {
		t.Fatal("the hostile reaction is not listed")
	}
	var injected int
	eval(`document.querySelectorAll('main img, main script, #reactions iframe').length`, &injected)
	if injected != 0 {
		t.Errorf("the page holds %d injected elements", injected)
	}

	// Filter the drill-down: criticism only.
	run(
		chromedp.Click(chromedp.CSS(`.stance-filter[value=support]`)),
		chromedp.Click(chromedp.CSS(`.stance-filter[value=neutral]`)),
	)
	waitFor(`Array.from(document.querySelectorAll('#reactions .stance')).every(s => s.textContent === 'criticism') &&
		document.querySelectorAll('#reactions li').length > 0`)

	// 5. Switch the timezone: the buckets follow Asia/Kolkata (+05:30) and
	// the timezone is shown.
	eval(`window.reactionsDashboard.loads`, &loads)
	run(
		choose("tz", "Asia/Kolkata"),
	)
	waitFor(fmt.Sprintf(`window.reactionsDashboard.loads > %d && window.reactionsDashboard.series().tz === 'Asia/Kolkata'`, loads))
	var tzShown struct{ Name, Offset, First string }
	eval(`({name: document.getElementById('tzname').textContent, offset: document.getElementById('tzoffset').textContent,
		first: window.reactionsDashboard.series().buckets[0].start_local})`, &tzShown)
	if tzShown.Name != "Asia/Kolkata" || tzShown.Offset != "(UTC+05:30)" || !strings.HasSuffix(tzShown.First, "+05:30") {
		t.Errorf("timezone shown %+v", tzShown)
	}
	checkChart(readChart(), true)
	// Days in Kolkata start at 18:30 UTC.
	run(
		chromedp.Click(chromedp.CSS(`#reset-zoom`)),
		choose("interval", "1d"),
	)
	waitFor(`window.reactionsDashboard.series().interval === '1d'`)
	c = readChart()
	if c.Starts[0] != "2020-09-29T18:30:00Z" {
		t.Errorf("first Kolkata day starts at %s", c.Starts[0])
	}
	checkChart(c, true)

	// Lines mode shows the raw counts.
	run(chromedp.Click(chromedp.CSS(`input[name=mode][value=lines]`)))
	checkChart(readChart(), false)
	run(chromedp.Click(chromedp.CSS(`input[name=mode][value=stacked]`)),
		choose("interval", "1h"))
	waitFor(`window.reactionsDashboard.series().interval === '1h'`)

	// 6. Live: while a crawl runs the chart refreshes by itself.
	ctx2 := context.Background()
	if err := e.st.PutCrawlRun(ctx2, reaction.CrawlRun{Story: fixture.StoryID, Source: "mastodon", Platform: reaction.Mastodon,
		RunID: "m3", Started: fixture.End.Add(time.Hour), Status: reaction.RunRunning}); err != nil {
		t.Fatal(err)
	}
	run(chromedp.Click(chromedp.CSS(`#reset-zoom`)))
	waitFor(`!document.getElementById('live').hidden`)
	var fresh []reaction.Reaction
	for i := range 5 {
		id := reaction.MakeID(reaction.Mastodon, fmt.Sprintf("live-%d", i))
		at := fixture.Essay.Add(time.Duration(i) * time.Minute)
		fresh = append(fresh, reaction.Reaction{Story: fixture.StoryID, Platform: reaction.Mastodon, ID: id, RootID: id,
			URL: "https://mastodon.example/" + id, CreatedAt: at, FirstSeen: at, Text: "live " + id,
			Stance: reaction.Support, StanceScore: 0.9, Classifier: "stance-test-1"})
	}
	fresh[0].IsRoot = true // a thread starter: off the chart until counted
	if _, err := e.st.Write(ctx2, fresh); err != nil {
		t.Fatal(err)
	}
	waitFor(fmt.Sprintf(`window.reactionsDashboard.series().totals.total === %d`, len(e.rs)+len(fresh)-1))
	run(chromedp.Click(chromedp.CSS(`#include-roots`)))
	waitFor(fmt.Sprintf(`window.reactionsDashboard.series().include_roots && window.reactionsDashboard.series().totals.total === %d`, len(e.rs)+len(fresh)))
	waitFor(`location.search.includes('include_roots=1') && document.getElementById('x-series-csv').href.includes('include_roots=1')`)

	// 7. A screenshot for people.
	b.screenshot("dashboard.png")

	// Nothing ran, nothing loaded.
	b.checkClean()
}
