package series

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

func TestDetectSpikes(t *testing.T) {
	flat := func(n int, v int64) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	with := func(s []int64, at int, v int64) []int64 { s[at] = v; return s }
	cases := []struct {
		name   string
		totals []int64
		want   string // indexes
	}{
		{"silence", flat(30, 0), ""},
		{"one reaction in silence is not a spike", with(flat(30, 0), 10, 1), ""},
		{"burst in silence", with(flat(30, 0), 10, 12), "10"},
		{"poisson noise is not a spike", []int64{100, 108, 93, 101, 97, 110, 95, 104, 99, 102, 91, 106, 100, 98, 103}, ""},
		{"burst over a busy baseline", with([]int64{100, 108, 93, 101, 97, 110, 95, 104, 99, 102, 91, 106, 100, 98, 103}, 7, 200), "7"},
		{"burst at the very start", with(flat(30, 2), 0, 40), "0"},
		{"too few neighbours", []int64{0, 0, 50}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, s := range DetectSpikes(c.totals) {
				got = append(got, fmt.Sprint(s.Index))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("spikes at %v, want %q", got, c.want)
			}
		})
	}
}

func TestNotCrawled(t *testing.T) {
	at := func(h int) time.Time {
		return time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
	}
	run := func(src string, a, b int) reaction.CrawlRun {
		r := reaction.CrawlRun{Source: src, Platform: reaction.Mastodon, Started: at(a), Status: reaction.RunOK, Items: 3}
		if b >= 0 {
			r.Finished = at(b)
		}
		return r
	}
	none := func(reaction.Platform) time.Time { return time.Time{} }
	cases := []struct {
		name    string
		runs    []reaction.CrawlRun
		history func(reaction.Platform) time.Time
		now     int
		want    string
	}{
		{"no runs, no gaps", nil, none, 100, ""},
		{"a one-shot crawl of history covers it", []reaction.CrawlRun{run("m", 50, 51)}, func(reaction.Platform) time.Time { return at(0) }, 100, "m 51-72"},
		{"without history the time before the first run is not crawled", []reaction.CrawlRun{run("m", 5, 10)}, none, 100, "m 0-5 m 10-72"},
		{"runs within 2 poll are continuous", []reaction.CrawlRun{run("m", 0, 10), run("m", 11, 20), run("m", 40, 72)}, none, 100, "m 20-40"},
		{"a running run covers until now", []reaction.CrawlRun{run("m", 0, -1)}, none, 30, ""},
		{"two sources", []reaction.CrawlRun{run("a", 0, 72), run("b", 0, 24)}, none, 100, "b 24-72"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, g := range NotCrawled(c.runs, time.Hour/2, c.history, at(0), at(72), at(c.now)) {
				got = append(got, fmt.Sprintf("%s %d-%d", g.Source, int(g.From.Sub(at(0)).Hours()), int(g.To.Sub(at(0)).Hours())))
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("gaps %v, want %q", got, c.want)
			}
		})
	}
}

func TestCompleteness(t *testing.T) {
	at := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	runs := []reaction.CrawlRun{
		{Source: "reddit", Platform: reaction.Reddit, RunID: "1", Started: at, Finished: at.Add(time.Minute), Items: 10, Status: reaction.RunOK},
		{Source: "reddit", Platform: reaction.Reddit, RunID: "2", Started: at.Add(time.Hour), Finished: at.Add(time.Hour + time.Minute), Items: 0, Status: reaction.RunWarning},
		{Source: "bluesky", Platform: reaction.Bluesky, RunID: "3", Started: at, Finished: at.Add(time.Minute), Blocked: 2, Status: reaction.RunBlocked, Message: "searchPosts needs a session"},
		{Source: "stray", Platform: reaction.Web, RunID: "4", Started: at, Finished: at.Add(time.Minute), Items: 5, Status: reaction.RunOK},
	}
	got := Completeness([]Source{{"reddit", reaction.Reddit}, {"bluesky", reaction.Bluesky}, {"lemmy", reaction.Lemmy}}, runs)
	want := []struct{ source, warning string }{
		{"reddit", "returned nothing: the latest run found no reactions"},
		{"bluesky", "blocked: the platform refused the crawler (2 blocked requests): searchPosts needs a session"},
		{"lemmy", "never crawled: no crawl run is recorded for this source"},
		{"stray", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sources: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Source != w.source || got[i].Warning != w.warning {
			t.Errorf("%d: %s %q, want %s %q", i, got[i].Source, got[i].Warning, w.source, w.warning)
		}
	}
	if got[0].Latest.RunID != "2" || len(got[0].Runs) != 2 {
		t.Errorf("reddit latest %+v", got[0].Latest)
	}
}
