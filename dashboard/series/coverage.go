package series

import (
	"fmt"
	"sort"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Gap is a period when one source was not being crawled.
type Gap struct {
	Source   string            `json:"source"`
	Platform reaction.Platform `json:"platform"`
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
}

// CoverageExplained is the honest one-paragraph meaning of a Gap, for
// tooltips and documentation.
const CoverageExplained = "Not crawled: no crawl run of this source was running then. " +
	"Platforms date reactions by when they were posted, so a later run may still have collected " +
	"reactions from this period (a first run collects the history it can reach), but edits and " +
	"deletions made meanwhile were not observed, and sources with a short history (searches, " +
	"hashtag timelines) may have lost some. Counts here can be incomplete."

// NotCrawled returns, per source, the parts of [from, to) (and before now)
// that no run covered. A run covers [started, finished] (finished = now
// while running); a source's first run also covers the history before it
// started, from history(platform) (the story window's start, else the first
// stored reaction of the platform), since a crawl collects what the platform
// still shows. Runs closer than 2 × poll count as continuous (a --follow
// crawl re-polls every poll). Sources without runs give no gaps: the
// completeness report warns about them instead. Gaps that runs report
// themselves (reaction.CrawlRun.Gaps) are added as they are.
func NotCrawled(runs []reaction.CrawlRun, poll time.Duration, history func(reaction.Platform) time.Time, from, to, now time.Time) []Gap {
	if to.After(now) {
		to = now
	}
	if !to.After(from) {
		return nil
	}
	bySource := map[string][]reaction.CrawlRun{}
	var names []string
	for _, r := range runs {
		if _, ok := bySource[r.Source]; !ok {
			names = append(names, r.Source)
		}
		bySource[r.Source] = append(bySource[r.Source], r)
	}
	sort.Strings(names)
	type span struct{ a, b time.Time }
	var gaps []Gap
	for _, name := range names {
		rs := bySource[name]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Started.Before(rs[j].Started) })
		var spans []span
		for i, r := range rs {
			a, b := r.Started, r.Finished
			if b.IsZero() {
				b = now
			}
			if i == 0 {
				if h := history(r.Platform); !h.IsZero() && h.Before(a) {
					a = h
				}
			}
			if n := len(spans); n > 0 && a.Sub(spans[n-1].b) <= 2*poll {
				if b.After(spans[n-1].b) {
					spans[n-1].b = b
				}
				continue
			}
			spans = append(spans, span{a, b})
		}
		cur := from
		add := func(a, b time.Time) {
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				gaps = append(gaps, Gap{Source: name, Platform: rs[0].Platform, From: a, To: b})
			}
		}
		for _, sp := range spans {
			if sp.a.After(cur) {
				add(cur, sp.a)
			}
			if sp.b.After(cur) {
				cur = sp.b
			}
		}
		add(cur, to)
		// Periods a run reported it could not cover (a live stream that
		// resumed beyond the platform's replay window).
		for _, r := range rs {
			for _, g := range r.Gaps {
				add(g.From, g.To)
			}
		}
	}
	return gaps
}

// SourceStatus is the completeness of one source: its latest runs and a
// warning when its latest run found nothing or failed.
type SourceStatus struct {
	Source   string            `json:"source"`
	Platform reaction.Platform `json:"platform"`
	// Latest is the newest run (nil when the source never ran).
	Latest *reaction.CrawlRun `json:"latest"`
	// Runs are the newest runs, newest first (at most MaxRunsPerSource).
	Runs []reaction.CrawlRun `json:"runs"`
	// Warning is empty when all is well, else one sentence to show loudly.
	Warning string `json:"warning,omitempty"`
}

// MaxRunsPerSource bounds SourceStatus.Runs.
const MaxRunsPerSource = 10

// Source names one source a story defines.
type Source struct {
	Name     string
	Platform reaction.Platform
}

// Completeness groups runs by source (the story's sources first, in order,
// then any other source with runs) and flags sources whose latest run was
// blocked, failed, stopped, looped, truncated, throttled, or returned
// nothing, and sources never crawled.
func Completeness(defined []Source, runs []reaction.CrawlRun) []SourceStatus {
	bySource := map[string][]reaction.CrawlRun{}
	for _, r := range runs {
		bySource[r.Source] = append(bySource[r.Source], r)
	}
	var out []SourceStatus
	seen := map[string]bool{}
	addSource := func(name string, p reaction.Platform) {
		if seen[name] {
			return
		}
		seen[name] = true
		rs := bySource[name]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Started.After(rs[j].Started) })
		st := SourceStatus{Source: name, Platform: p, Runs: []reaction.CrawlRun{}}
		if len(rs) > MaxRunsPerSource {
			rs = rs[:MaxRunsPerSource]
		}
		if len(rs) > 0 {
			st.Runs = rs
			l := rs[0]
			st.Latest = &l
			st.Platform = l.Platform
		}
		st.Warning = warning(st.Latest)
		out = append(out, st)
	}
	for _, s := range defined {
		addSource(s.Name, s.Platform)
	}
	var extra []string
	for name := range bySource {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		addSource(name, bySource[name][0].Platform)
	}
	return out
}

func warning(r *reaction.CrawlRun) string {
	if r == nil {
		return "never crawled: no crawl run is recorded for this source"
	}
	msg := ""
	if r.Message != "" {
		msg = ": " + r.Message
	}
	switch r.Status {
	case reaction.RunBlocked:
		return fmt.Sprintf("blocked: the platform refused the crawler (%s)%s", plural(r.Blocked, "blocked request"), msg)
	case reaction.RunFailed:
		return fmt.Sprintf("failed: the latest run stopped with %s%s", plural(r.Errors, "error"), msg)
	case reaction.RunStopped:
		return "stopped: the latest run was interrupted; what it fetched was kept" + msg
	case reaction.RunLoop:
		return "loop: the platform paged in a circle, so a listing was stopped and reactions beyond it are missing" + msg
	case reaction.RunTruncated:
		return "truncated: a page cap was reached, so reactions beyond it are missing" + msg
	case reaction.RunThrottled:
		return "throttled: the platform asked the crawler to wait longer than it waits, so the latest run stopped early" + msg
	case reaction.RunRunning:
		return ""
	}
	if r.Items == 0 {
		return "returned nothing: the latest run found no reactions" + msg
	}
	if r.Errors > 0 {
		return fmt.Sprintf("%s in the latest run%s", plural(r.Errors, "error"), msg)
	}
	return ""
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
