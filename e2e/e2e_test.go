package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

const storyID = "e2e-whole-path"

// seed and scale of the demo data the replicas serve beside the fixtures.
const (
	seed  = 20201001
	scale = 0.15
)

// hnWalkBackStories is how many of the Hacker News fixture's thousands of
// search-paging stories the story names (the rest is the hackernews
// package's business; a few keep this test quick).
const hnWalkBackStories = 20

// dataset is the demo data of seed plus every platform's fixture. It fails
// when a fixture item and a demo item share an id (the dataset would keep
// only one of them, and the ground truth would be wrong).
func dataset(t *testing.T) *replica.Dataset {
	t.Helper()
	items := demo.Items(seed, demo.Options{Scale: scale})
	d := replica.NewDataset(items...)
	n := len(items)
	for _, p := range reaction.Platforms {
		rp, ok := replica.Platforms()[p]
		if !ok || rp.Fixture == nil {
			continue
		}
		fx := rp.Fixture()
		for _, it := range fx {
			if _, dup := d.Get(it.Platform, it.Native); dup {
				t.Fatalf("%s fixture item %s has the id of a demo item", p, it.Native)
			}
		}
		d.Add(fx...)
		n += len(fx)
	}
	if got := len(d.Items("")); got != n {
		t.Fatalf("dataset holds %d items, want %d", got, n)
	}
	return d
}

// storyFor names every thread of d the way a researcher would (threads,
// stories, topics, posts, pages, hashtags and searches), for the
// platforms with both a replica and an adapter.
func storyFor(t *testing.T, base string, d *replica.Dataset) (*story.Story, map[reaction.Platform]bool) {
	t.Helper()
	st := &story.Story{ID: storyID, Title: "End-to-end: demo data and every fixture", Subject: demo.Subject, Published: demo.Published}
	covered := map[reaction.Platform]bool{}
	for _, p := range reaction.Platforms {
		_, hasReplica := replica.Platforms()[p]
		_, hasAdapter := source.Lookup(p)
		if !hasReplica || !hasAdapter {
			t.Errorf("%s: replica %v, adapter %v: the whole path cannot be tested for it", p, hasReplica, hasAdapter)
			continue
		}
		src := story.Source{Platform: p}
		seen := map[string]bool{}
		walkBack := 0
		for _, it := range d.Items(p) {
			root := it.Thread == ""
			switch p {
			case reaction.Reddit:
				if root {
					src.Threads = append(src.Threads, it.Native)
				}
			case reaction.HackerNews:
				if !root {
					break
				}
				if len(it.Tags) == 1 && it.Tags[0] == replica.HNWalkBackQuery {
					if walkBack >= hnWalkBackStories {
						break
					}
					walkBack++
				}
				src.Stories = append(src.Stories, it.Native)
			case reaction.Mastodon:
				for _, tag := range it.Tags {
					if !seen[strings.ToLower(tag)] {
						seen[strings.ToLower(tag)] = true
						src.Hashtags = append(src.Hashtags, tag)
					}
				}
				if root && it.Parent == "" && len(it.Tags) == 0 {
					src.Statuses = append(src.Statuses, it.Native)
				}
			case reaction.Bluesky:
				if root {
					src.Threads = append(src.Threads, replica.BlueskyURI(it))
				}
				for _, tag := range it.Tags {
					if !strings.HasPrefix(tag, "replica:") && !seen[tag] {
						seen[tag] = true
						src.Search = append(src.Search, tag)
					}
				}
			case reaction.Discourse:
				if root {
					src.Topics = append(src.Topics, replica.DiscourseTopicID(it))
				}
			case reaction.Lemmy:
				if root {
					src.Posts = append(src.Posts, it.Native)
				}
			case reaction.Web:
				if !seen[it.Thread] {
					seen[it.Thread] = true
					src.Pages = append(src.Pages, base+"/web/"+it.Thread+"/")
				}
			}
		}
		switch p {
		case reaction.Reddit:
			src.BaseURL, src.TokenURL = base+"/reddit/oauth", base+"/reddit/api/v1/access_token"
		case reaction.Bluesky:
			src.BaseURL, src.PDSURL = base+"/bluesky", base+"/bluesky"
		case reaction.Web:
			src.JSONLD = true
		default:
			src.BaseURL = replica.BaseURLFor(p, base+"/"+string(p))
		}
		st.Sources = append(st.Sources, src)
		covered[p] = true
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	return st, covered
}

// inStory reports whether the story reaches it: every thread is named,
// except most of the Hacker News walk-back stories.
func inStory(st *story.Story, it replica.Item) bool {
	if it.Platform != reaction.HackerNews {
		return true
	}
	root := it.Thread
	if root == "" {
		root = it.Native
	}
	for _, src := range st.Sources {
		if src.Platform == reaction.HackerNews {
			for _, s := range src.Stories {
				if s == root {
					return true
				}
			}
		}
	}
	return false
}

// key is one platform's hour.
type key struct {
	p reaction.Platform
	h time.Time
}

// env is the whole path, running.
type env struct {
	t       *testing.T
	st      *store.Store
	replica *httptest.Server
	agg     *httptest.Server
	dash    *httptest.Server
	story   *story.Story
	cfg     crawler.Config
}

// startAggregator runs an aggregator writing to st over HTTP until the
// test ends, when it is closed (its spool drained) and stopped.
func startAggregator(t *testing.T, st *store.Store, reg prometheus.Registerer) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	agg, err := aggregator.New(ctx, aggregator.Config{StateDir: t.TempDir(), Registerer: reg, Logger: quiet}, st)
	if err != nil {
		t.Fatal(err)
	}
	aggCtx, stopAgg := context.WithCancel(ctx)
	aggDone := make(chan error, 1)
	go func() { aggDone <- agg.Run(aggCtx) }()
	aggSrv := httptest.NewServer(agg.Handler())
	t.Cleanup(func() {
		aggSrv.Close()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := agg.Close(cctx); err != nil {
			t.Error(err)
		}
		stopAgg()
		<-aggDone
	})
	return aggSrv
}

func (e *env) crawl() []reaction.CrawlRun {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	runs, err := crawler.Run(ctx, e.cfg, e.story, crawler.NewHTTPSink(e.agg.URL, ""), crawler.Once)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	crawler.WriteSummary(&b, runs)
	e.t.Logf("crawl summary:\n%s", b.String())
	return runs
}

func (e *env) get(path string) []byte {
	e.t.Helper()
	resp, err := http.Get(e.dash.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return b
}

// windows splits [from, to) into ranges the series API answers at 1h
// (series.MaxBuckets buckets at most).
func windows(from, to time.Time) [][2]time.Time {
	const span = 10000 * time.Hour
	var out [][2]time.Time
	for s := from; s.Before(to); s = s.Add(span) {
		out = append(out, [2]time.Time{s, minTime(s.Add(span), to)})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// seriesQuery is the query string of a 1h series over w.
func seriesQuery(w [2]time.Time, extra string) string {
	q := url.Values{"story": {storyID}, "interval": {"1h"}, "tz": {"UTC"},
		"from": {w[0].Format(time.RFC3339)}, "to": {w[1].Format(time.RFC3339)}}
	s := q.Encode()
	if extra != "" {
		s += "&" + extra
	}
	return s
}

// TestWholePath: replicas → crawler → aggregator over HTTP → ClickHouse →
// dashboard API and exports, against the replicas' ground truth.
func TestWholePath(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	st := chtest.New(t)
	aggSrv := startAggregator(t, st, prometheus.NewRegistry())

	d := dataset(t)
	repSrv := httptest.NewServer(replica.New(d, replica.Options{}))
	defer repSrv.Close()
	dash, err := dashboard.New(dashboard.Options{Store: st, Registerer: prometheus.NewRegistry(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dashSrv := httptest.NewServer(dash)
	defer dashSrv.Close()

	s, covered := storyFor(t, repSrv.URL, d)
	authors, err := reaction.NewPseudonymizer([]byte("e2e-whole-path-secret-0123456789"), false)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[reaction.Platform]string{}
	for _, p := range reaction.Platforms {
		rates[p] = crawler.Unlimited
	}
	e := &env{t: t, st: st, replica: repSrv, agg: aggSrv, dash: dashSrv, story: s, cfg: crawler.Config{
		StateDir: t.TempDir(), Authors: authors, Rates: rates, Registerer: prometheus.NewRegistry(), Log: quiet,
		BatchWait: 50 * time.Millisecond,
		// With an account Bluesky search works (the fixture has replies
		// only search reaches); with a token Mastodon contexts show 4,096
		// replies.
		Credentials: source.Credentials{RedditClientID: "e2e-app", RedditClientSecret: "e2e-secret",
			BlueskyHandle: "e2e.example.com", BlueskyAppPassword: "abcd-efgh-ijkl-mnop", MastodonAccessToken: "e2e-token"},
	}}
	start := time.Now()
	runs := e.crawl()
	t.Logf("first crawl: %s", time.Since(start).Round(time.Millisecond))
	for _, r := range runs {
		if r.Status != reaction.RunOK {
			t.Logf("source %s ended %s: %s", r.Source, r.Status, r.Message)
		}
	}

	// Ground truth: what a correct crawler makes of every item the story
	// reaches (the thread starters the story names flagged), counted per
	// platform and hour, without and with the thread starters.
	starters := map[string]bool{}
	for _, src := range s.Sources {
		for _, id := range replica.NamedStarters(d, src) {
			starters[id] = true
		}
	}
	truth, truthAll := map[key]int64{}, map[key]int64{}
	perPlatform, perPlatformAll := map[reaction.Platform]int64{}, map[reaction.Platform]int64{}
	byID := map[string]reaction.Reaction{}
	var first, last time.Time
	for _, tr := range demo.GroundTruthItems(d, repSrv.URL) {
		r := tr.Reaction
		if !covered[r.Platform] || !inStory(s, tr.Item) {
			continue
		}
		r.IsRoot = r.IsRoot || starters[r.ID]
		byID[r.ID] = r
		h := r.CreatedAt.UTC().Truncate(time.Hour)
		truthAll[key{r.Platform, h}]++
		perPlatformAll[r.Platform]++
		if !r.IsRoot {
			truth[key{r.Platform, h}]++
			perPlatform[r.Platform]++
		}
		if first.IsZero() || h.Before(first) {
			first = h
		}
		if h.After(last) {
			last = h
		}
	}
	if len(perPlatform) < len(reaction.Platforms) {
		t.Errorf("ground truth covers %d platforms: %v", len(perPlatform), perPlatform)
	}
	t.Logf("ground truth per platform: %v", perPlatform)
	ws := windows(first, last.Add(time.Hour))

	got := checkSeries(t, e, ws, truth, perPlatform, "")
	checkSeries(t, e, ws, truthAll, perPlatformAll, "include_roots=1")
	checkStancesAgainstClickHouse(t, e, got)
	checkExports(t, e, ws, perPlatformAll, byID)

	// Re-running the crawl changes nothing: no new items in any run, the
	// same counts in every bucket.
	runs2 := e.crawl()
	for _, r := range runs2 {
		if r.NewItems != 0 {
			t.Errorf("second crawl: source %s sent %d new items", r.Source, r.NewItems)
		}
	}
	stored, err := st.CrawlRuns(ctx, storyID)
	if err != nil {
		t.Fatal(err)
	}
	second := map[string]bool{}
	for _, r := range runs2 {
		second[r.RunID] = true
	}
	n := 0
	for _, r := range stored {
		if second[r.RunID] {
			n++
			if r.NewItems != 0 {
				t.Errorf("stored crawl run of %s (second crawl): %d new items", r.Source, r.NewItems)
			}
		}
	}
	if n != len(runs2) {
		t.Errorf("%d crawl runs of the second crawl stored, want %d", n, len(runs2))
	}
	got2 := checkSeries(t, e, ws, truth, perPlatform, "")
	for k, v := range got {
		if got2[k] != v {
			t.Errorf("%s %s: %v after the first crawl, %v after the second", k.p, k.h.Format(time.RFC3339), v, got2[k])
		}
	}
}

// stanceCounts are one platform-hour's counts by stance.
type stanceCounts [3]int64 // support, criticism, neutral

// checkSeries compares the API's 1h series, per platform and bucket, with
// the ground truth, and returns the per-stance counts it answered. extra
// is added to the query ("include_roots=1" counts thread starters).
func checkSeries(t *testing.T, e *env, ws [][2]time.Time, truth map[key]int64, perPlatform map[reaction.Platform]int64, extra string) map[key]stanceCounts {
	t.Helper()
	got := map[key]stanceCounts{}
	totals := map[reaction.Platform]int64{}
	q := "by=platform"
	if extra != "" {
		q += "&" + extra
	}
	for _, w := range ws {
		var sj dashboard.SeriesJSON
		if err := json.Unmarshal(e.get("/api/v1/series?"+seriesQuery(w, q)), &sj); err != nil {
			t.Fatal(err)
		}
		for _, pj := range sj.Platforms {
			if len(pj.Total) != len(sj.Buckets) {
				t.Fatalf("%s: %d totals for %d buckets", pj.Platform, len(pj.Total), len(sj.Buckets))
			}
			for i, b := range sj.Buckets {
				k := key{pj.Platform, b.Start.UTC()}
				if pj.Total[i] != pj.Support[i]+pj.Criticism[i]+pj.Neutral[i] {
					t.Errorf("%s %s: total %d is not the sum of the stances", k.p, k.h.Format(time.RFC3339), pj.Total[i])
				}
				if pj.Total[i] != truth[k] {
					t.Errorf("%s %s %s: %d reactions on the dashboard, ground truth %d", extra, k.p, k.h.Format(time.RFC3339), pj.Total[i], truth[k])
				}
				if pj.Total[i] > 0 {
					got[k] = stanceCounts{pj.Support[i], pj.Criticism[i], pj.Neutral[i]}
				}
				totals[pj.Platform] += pj.Total[i]
			}
		}
	}
	for p, n := range perPlatform {
		if totals[p] != n {
			t.Errorf("%s: %d reactions on the dashboard, ground truth %d", p, totals[p], n)
		}
	}
	for k, n := range truth {
		if n > 0 && got[k] == (stanceCounts{}) {
			t.Errorf("%s %s: ground truth %d, nothing on the dashboard", k.p, k.h.Format(time.RFC3339), n)
		}
	}
	return got
}

// checkStancesAgainstClickHouse compares the dashboard's per-stance counts
// (read from the summing view) with a direct query of the current state of
// the reactions table, thread starters left out as on the dashboard.
func checkStancesAgainstClickHouse(t *testing.T, e *env, got map[key]stanceCounts) {
	t.Helper()
	ctx := context.Background()
	rows, err := e.st.Conn().Query(ctx, `SELECT toString(platform), toStartOfHour(created_at) AS h, toString(stance), count()
FROM (
    SELECT id, argMax(platform, version) AS platform, argMax(created_at, version) AS created_at, argMax(stance, version) AS stance
    FROM reactions WHERE story = ?
    GROUP BY id HAVING sum(sign) > 0 AND argMax(is_root, version) = 0
)
GROUP BY platform, h, stance`, storyID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	direct := map[key]stanceCounts{}
	for rows.Next() {
		var p, st string
		var h time.Time
		var n uint64
		if err := rows.Scan(&p, &h, &st, &n); err != nil {
			t.Fatal(err)
		}
		k := key{reaction.Platform(p), h.UTC()}
		c := direct[k]
		switch reaction.Stance(st) {
		case reaction.Support:
			c[0] += int64(n)
		case reaction.Criticism:
			c[1] += int64(n)
		case reaction.Neutral:
			c[2] += int64(n)
		default:
			t.Errorf("%s %s: %d reactions with stance %q", p, h, n, st)
		}
		direct[k] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, c := range direct {
		if got[k] != c {
			t.Errorf("%s %s: dashboard %v, ClickHouse %v (support, criticism, neutral)", k.p, k.h.Format(time.RFC3339), got[k], c)
		}
	}
	for k, c := range got {
		if _, ok := direct[k]; !ok {
			t.Errorf("%s %s: dashboard %v, nothing in ClickHouse", k.p, k.h.Format(time.RFC3339), c)
		}
	}
	var mix stanceCounts
	for _, c := range direct {
		for i := range c {
			mix[i] += c[i]
		}
	}
	t.Logf("stance mix (the classifier's): support %d, criticism %d, neutral %d", mix[0], mix[1], mix[2])
}

// checkExports: the series CSV export equals the API's JSON, for the whole
// story and per platform, and the reactions export holds every reaction
// (thread starters included), each with the ground truth's is_root, score
// (negative ones too) and content warning.
func checkExports(t *testing.T, e *env, ws [][2]time.Time, perPlatform map[reaction.Platform]int64, truth map[string]reaction.Reaction) {
	t.Helper()
	filters := []string{""}
	for _, p := range reaction.Platforms {
		if perPlatform[p] > 0 {
			filters = append(filters, "platform="+string(p))
		}
	}
	for _, w := range ws {
		for _, f := range filters {
			var sj dashboard.SeriesJSON
			if err := json.Unmarshal(e.get("/api/v1/series?"+seriesQuery(w, f)), &sj); err != nil {
				t.Fatal(err)
			}
			body := e.get("/api/v1/export?what=series&format=csv&" + seriesQuery(w, f))
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs)-1 != len(sj.Buckets) {
				t.Fatalf("%s %v: CSV %d rows, API %d buckets", f, w, len(recs)-1, len(sj.Buckets))
			}
			for i, b := range sj.Buckets {
				share := ""
				if b.CriticismShare != nil {
					share = strconv.FormatFloat(*b.CriticismShare, 'g', -1, 64)
				}
				want := []string{b.Start.UTC().Format("2006-01-02T15:04:05Z"), fmt.Sprint(b.Support), fmt.Sprint(b.Criticism),
					fmt.Sprint(b.Neutral), fmt.Sprint(b.Total), share}
				// The first six columns are the raw series; the corrected
				// columns after them are checked in dashboard/export.
				if len(recs[i+1]) < len(want) || strings.Join(recs[i+1][:len(want)], ",") != strings.Join(want, ",") {
					t.Errorf("%s row %d: CSV %v, API %v", f, i, recs[i+1], want)
					break
				}
			}
		}
	}
	body := e.get("/api/v1/export?what=reactions&format=ndjson&story=" + storyID)
	count, negative, roots := map[reaction.Platform]int64{}, map[reaction.Platform]int64{}, map[reaction.Platform]int64{}
	warnings := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r reaction.Reaction
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("reactions export: %v: %s", err, sc.Bytes())
		}
		if !r.Stance.Valid() || r.Classifier == "" {
			t.Errorf("exported reaction %s has no stance", r.ID)
		}
		if r.Author != "" && !strings.HasPrefix(r.Author, "a_") {
			t.Errorf("exported reaction %s has a raw author", r.ID)
		}
		if w, ok := truth[r.ID]; !ok {
			t.Errorf("exported reaction %s is not in the ground truth", r.ID)
		} else if r.IsRoot != w.IsRoot || r.Likes != w.Likes || r.ContentWarning != w.ContentWarning || r.Text != w.Text {
			t.Errorf("exported reaction %s: is_root %v, likes %d, content warning %q, text %q; ground truth %v, %d, %q, %q",
				r.ID, r.IsRoot, r.Likes, r.ContentWarning, r.Text, w.IsRoot, w.Likes, w.ContentWarning, w.Text)
		}
		count[r.Platform]++
		if r.Likes < 0 {
			negative[r.Platform]++
		}
		if r.IsRoot {
			roots[r.Platform]++
		}
		if r.ContentWarning != "" {
			warnings++
		}
	}
	// Downvoted threads come out whole with their scores; every platform's
	// thread starters are flagged; content warnings are kept apart.
	for _, p := range []reaction.Platform{reaction.Reddit, reaction.Lemmy} {
		if negative[p] == 0 {
			t.Errorf("reactions export: no negative score on %s", p)
		}
	}
	for _, p := range reaction.Platforms {
		if perPlatform[p] > 0 && roots[p] == 0 {
			t.Errorf("reactions export: no thread starter flagged on %s", p)
		}
	}
	if warnings == 0 {
		t.Error("reactions export: no content warning")
	}
	t.Logf("reactions export: negative scores %v, thread starters %v, content warnings %d", negative, roots, warnings)
	var ps []string
	for p, n := range perPlatform {
		if count[p] != n {
			t.Errorf("reactions export: %s %d reactions, ground truth %d", p, count[p], n)
		}
		ps = append(ps, fmt.Sprintf("%s %d", p, count[p]))
	}
	sort.Strings(ps)
	t.Logf("reactions export: %s", strings.Join(ps, ", "))
}
