package dashboard_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// now is the dashboard's clock in tests: after every fixture run.
var now = time.Date(2020, 10, 5, 0, 0, 0, 0, time.UTC)

type env struct {
	srv *httptest.Server
	st  *store.Store
	rs  []reaction.Reaction
	reg *prometheus.Registry
}

func setup(t *testing.T) *env {
	t.Helper()
	st := chtest.New(t)
	rs := fixture.Load(t, st)
	reg := prometheus.NewRegistry()
	d, err := dashboard.New(dashboard.Options{Store: st, Registerer: reg, Version: "test", Refresh: time.Second,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return &env{srv: srv, st: st, rs: rs, reg: reg}
}

func (e *env) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

var scrub = regexp.MustCompile(`"updated": ?"[^"]*"`)

func TestAPIGolden(t *testing.T) {
	e := setup(t)
	cases := []struct {
		name string
		path string
	}{
		{"stories", "/api/v1/stories"},
		{"series_6h", "/api/v1/series?story=jack-test&interval=6h"},
		{"series_1d_berlin_by_platform", "/api/v1/series?story=jack-test&interval=1d&tz=Europe/Berlin&by=platform"},
		{"series_15m_kolkata_mastodon", "/api/v1/series?story=jack-test&from=2020-10-01T01:00:00Z&to=2020-10-01T04:00:00Z&interval=15m&tz=Asia/Kolkata&platform=mastodon"},
		{"series_auto_zoom", "/api/v1/series?story=jack-test&from=2020-10-01T01:50:00Z&to=2020-10-01T02:20:00Z"},
		{"reactions_page", "/api/v1/reactions?story=jack-test&from=2020-10-01T02:00:00Z&to=2020-10-01T03:00:00Z&limit=5"},
		{"reactions_filtered", "/api/v1/reactions?story=jack-test&from=2020-10-01T02:00:00Z&to=2020-10-01T03:00:00Z&stance=criticism&platform=mastodon,reddit"},
		{"crawls", "/api/v1/crawls?story=jack-test"},
		{"codebook", "/api/v1/codebook?story=jack-test"},
		{"samples", "/api/v1/samples?story=jack-test"},
		{"coding_sample_bo", "/api/v1/coding/sample?story=jack-test&sample=fixture&coder=Bo"},
		{"disputes", "/api/v1/disputes?story=jack-test"},
		{"coding_report", "/api/v1/coding/report?story=jack-test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, b := e.get(t, c.path)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", c.path, res.StatusCode, b)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(v, "", "  ")
			got = scrub.ReplaceAll(append(got, '\n'), []byte(`"updated":"(scrubbed)"`))
			golden.Check(t, filepath.Join("testdata", "api", c.name+".json"), got)
		})
	}
}

// TestThreadStarters: a thread starter is listed (flagged) with the
// reactions, left out of the series, spikes, shares and series exports by
// default, and counted with include_roots=1.
func TestThreadStarters(t *testing.T) {
	e := setup(t)
	at := fixture.Published.Add(5 * time.Minute)
	starter := reaction.Reaction{Story: fixture.StoryID, Platform: reaction.HackerNews, ID: "hackernews:news", RootID: "hackernews:news",
		IsRoot: true, URL: "https://news.ycombinator.com/item?id=1", CreatedAt: at, Text: "Chrissy Teigen and John Legend lose their son",
		Stance: reaction.Criticism, StanceScore: 0.7, Classifier: "stance-test-1"}
	if _, err := e.st.Write(context.Background(), []reaction.Reaction{starter}); err != nil {
		t.Fatal(err)
	}
	q := "story=jack-test&interval=1h&from=2020-10-01T02:00:00Z&to=2020-10-01T03:00:00Z"
	series := func(extra string) dashboard.SeriesJSON {
		res, b := e.get(t, "/api/v1/series?"+q+extra)
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
		var sj dashboard.SeriesJSON
		if err := json.Unmarshal(b, &sj); err != nil {
			t.Fatal(err)
		}
		return sj
	}
	without, with := series(""), series("&include_roots=1")
	if with.Totals.Criticism != without.Totals.Criticism+1 || with.Totals.Total != without.Totals.Total+1 ||
		without.IncludeRoots || !with.IncludeRoots {
		t.Errorf("totals %+v without and %+v with the thread starter", without.Totals, with.Totals)
	}
	if *with.Totals.CriticismShare == *without.Totals.CriticismShare {
		t.Error("the criticism share did not change with the thread starter counted")
	}
	sup, _, _ := fixture.Count(e.rs, fixture.Published, fixture.Published.Add(time.Hour), "")
	if without.Totals.Support != sup {
		t.Errorf("support %d, fixture %d", without.Totals.Support, sup)
	}
	csvTotal := func(extra string) string {
		res, b := e.get(t, "/api/v1/export?what=series&format=csv&"+q+extra)
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("csv %q %v", recs, err)
		}
		return recs[1][4]
	}
	if a, b := csvTotal(""), csvTotal("&include_roots=1"); a != fmt.Sprint(without.Totals.Total) || b != fmt.Sprint(with.Totals.Total) {
		t.Errorf("series export totals %s and %s, API %d and %d", a, b, without.Totals.Total, with.Totals.Total)
	}
	res, b := e.get(t, "/api/v1/reactions?story=jack-test&from=2020-10-01T02:05:00Z&to=2020-10-01T02:06:00Z&platform=hackernews")
	var rj dashboard.ReactionsJSON
	if err := json.Unmarshal(b, &rj); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	flagged := false
	for _, r := range rj.Reactions {
		flagged = flagged || (r.ID == starter.ID && r.IsRoot)
	}
	if !flagged {
		t.Errorf("the thread starter is not listed, flagged: %s", b)
	}
	if res, b := e.get(t, "/api/v1/figure.svg?"+q+"&include_roots=1"); res.StatusCode != 200 {
		t.Errorf("figure with include_roots: %d %s", res.StatusCode, b)
	}
}

// TestSeriesIsExact checks every bucket of several series against counts
// made in Go from the fixture (the edited reaction counted once, as edited).
func TestSeriesIsExact(t *testing.T) {
	e := setup(t)
	for _, c := range []struct{ interval, tz, platform string }{
		{"1h", "UTC", ""}, {"15m", "Asia/Kathmandu", ""}, {"1d", "America/New_York", "reddit"}, {"6h", "Asia/Kolkata", ""}, {"1m", "UTC", "mastodon"},
	} {
		t.Run(c.interval+"_"+strings.ReplaceAll(c.tz, "/", "_"), func(t *testing.T) {
			q := url.Values{"story": {"jack-test"}, "interval": {c.interval}, "tz": {c.tz}}
			if c.platform != "" {
				q.Set("platform", c.platform)
			}
			if c.interval == "1m" {
				q.Set("from", "2020-10-01T01:30:00Z")
				q.Set("to", "2020-10-01T03:30:00Z")
			}
			res, b := e.get(t, "/api/v1/series?"+q.Encode())
			if res.StatusCode != 200 {
				t.Fatalf("%d %s", res.StatusCode, b)
			}
			var s dashboard.SeriesJSON
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			loc, _ := time.LoadLocation(c.tz)
			var sum int64
			for i, bk := range s.Buckets {
				end := s.To
				if i+1 < len(s.Buckets) {
					end = s.Buckets[i+1].Start
				}
				su, cr, ne := fixture.Count(e.rs, bk.Start, end, reaction.Platform(c.platform))
				if bk.Support != su || bk.Criticism != cr || bk.Neutral != ne || bk.Total != su+cr+ne {
					t.Errorf("bucket %s: %+v, want %d/%d/%d", bk.Start, bk, su, cr, ne)
				}
				if bk.StartLocal != bk.Start.In(loc).Format("2006-01-02T15:04:05-07:00") {
					t.Errorf("start_local %s for %s", bk.StartLocal, bk.Start)
				}
				if (c.interval == "1d" || c.interval == "6h") && bk.Start.In(loc).Hour()%6 != 0 {
					t.Errorf("%s bucket starts at local %s", c.interval, bk.Start.In(loc))
				}
				sum += bk.Total
			}
			su, cr, ne := fixture.Count(e.rs, s.From, s.To, reaction.Platform(c.platform))
			if sum != su+cr+ne || s.Totals.Total != sum {
				t.Errorf("total %d (%d), want %d", sum, s.Totals.Total, su+cr+ne)
			}
		})
	}
}

func TestBadParameters(t *testing.T) {
	e := setup(t)
	cases := []struct {
		path, param string
		code        int
	}{
		{"/api/v1/series", "story", 400},
		{"/api/v1/series?story=Jack!", "story", 400},
		{"/api/v1/series?story=nope", "story", 404},
		{"/api/v1/series?story=jack-test&from=yesterday", "from", 400},
		{"/api/v1/series?story=jack-test&from=1601510400", "from", 400},
		{"/api/v1/series?story=jack-test&to=2020-10-01", "to", 400},
		{"/api/v1/series?story=jack-test&from=2020-10-02T00:00:00Z&to=2020-10-01T00:00:00Z", "to", 400},
		{"/api/v1/series?story=jack-test&from=1970-01-01T00:00:00Z", "from", 400},
		{"/api/v1/series?story=jack-test&interval=2m", "interval", 400},
		{"/api/v1/series?story=jack-test&interval=1m&from=2020-01-01T00:00:00Z&to=2020-12-01T00:00:00Z", "interval", 400},
		{"/api/v1/series?story=jack-test&tz=Mars/Olympus", "tz", 400},
		{"/api/v1/series?story=jack-test&tz=../../etc/passwd", "tz", 400},
		{"/api/v1/series?story=jack-test&tz=Local", "tz", 400},
		{"/api/v1/series?story=jack-test&platform=myspace", "platform", 400},
		{"/api/v1/series?story=jack-test&by=stance", "by", 400},
		{"/api/v1/series?story=jack-test&intervall=1h", "intervall", 400},
		{"/api/v1/series?story=jack-test&story=jack-test", "story", 400},
		{"/api/v1/reactions", "story", 400},
		{"/api/v1/reactions?story=jack-test&stance=positive", "stance", 400},
		{"/api/v1/reactions?story=jack-test&platform=reddit,myspace", "platform", 400},
		{"/api/v1/reactions?story=jack-test&limit=0", "limit", 400},
		{"/api/v1/reactions?story=jack-test&limit=1001", "limit", 400},
		{"/api/v1/reactions?story=jack-test&limit=ten", "limit", 400},
		{"/api/v1/reactions?story=jack-test&cursor=!!!", "cursor", 400},
		{"/api/v1/reactions?story=jack-test&cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x:y")), "cursor", 400},
		{"/api/v1/reactions?story=jack-test&from=2020-13-01T00:00:00Z", "from", 400},
		{"/api/v1/crawls", "story", 400},
		{"/api/v1/crawls?story=jack-test&to=noon", "to", 400},
		{"/api/v1/stories?story=jack-test", "story", 400},
		{"/api/v1/export?story=jack-test&format=xlsx", "format", 400},
		{"/api/v1/export?story=jack-test&what=everything", "what", 400},
		{"/api/v1/export?story=jack-test&tidy=maybe", "tidy", 400},
		{"/api/v1/export?story=jack-test&what=series&stance=support", "stance", 400},
		{"/api/v1/export?story=jack-test&what=reactions&tidy=true", "tidy", 400},
		{"/api/v1/export?story=jack-test&bom=yes", "bom", 400},
		{"/api/v1/export?story=jack-test&what=reactions&include_roots=1", "include_roots", 400},
		{"/api/v1/series?story=jack-test&include_roots=yes", "include_roots", 400},
		{"/api/v1/figure.svg?story=jack-test&mode=pie", "mode", 400},
		{"/api/v1/figure.png?story=jack-test&interval=5s", "interval", 400},
		{"/api/v1/series?story=" + strings.Repeat("a", 600), "story", 400},
	}
	for _, c := range cases {
		res, b := e.get(t, c.path)
		var ae struct{ Error, Param string }
		json.Unmarshal(b, &ae)
		if res.StatusCode != c.code || ae.Param != c.param || !strings.HasPrefix(ae.Error, c.param+": ") {
			t.Errorf("%s: %d %s, want %d naming %q", c.path, res.StatusCode, b, c.code, c.param)
		}
	}
}

// TestSQLInjectionIsHarmless sends SQL in every parameter: each is refused
// by validation or bound as a value, and the data is untouched.
func TestSQLInjectionIsHarmless(t *testing.T) {
	e := setup(t)
	inj := []string{"' OR 1=1 --", "jack-test' OR '1'='1", "x'); DROP TABLE reactions; --", "1h) UNION SELECT 1 --", `\' OR 1=1#`}
	params := map[string][]string{
		"/api/v1/series":    {"story", "from", "to", "interval", "tz", "platform", "by"},
		"/api/v1/reactions": {"story", "from", "to", "stance", "platform", "limit", "cursor"},
		"/api/v1/crawls":    {"story", "from", "to"},
		"/api/v1/export":    {"story", "what", "format", "tidy", "from", "to", "interval", "tz", "platform", "stance", "meta", "bom"},
	}
	for path, ps := range params {
		for _, p := range ps {
			for _, v := range inj {
				q := url.Values{"story": {"jack-test"}}
				q.Set(p, v)
				res, b := e.get(t, path+"?"+q.Encode())
				if res.StatusCode != 400 && res.StatusCode != 404 {
					t.Errorf("%s %s=%q: %d %s", path, p, v, res.StatusCode, truncate(b))
				}
			}
		}
	}
	// A cursor is decoded and its id bound as a value: well-formed, it
	// passes validation and must select only what a cursor would.
	c := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(fixture.Published.Unix(), 10) + ":' OR 1=1 --"))
	res, b := e.get(t, "/api/v1/reactions?story=jack-test&limit=1000&cursor="+c)
	if res.StatusCode != 200 {
		t.Fatalf("cursor with SQL in its id: %d %s", res.StatusCode, b)
	}
	var rj dashboard.ReactionsJSON
	json.Unmarshal(b, &rj)
	for _, r := range rj.Reactions {
		if r.CreatedAt.Before(fixture.Published) {
			t.Fatalf("cursor injection returned %s from %s", r.ID, r.CreatedAt)
		}
	}
	n, err := e.st.CountReactions(context.Background(), store.ReactionQuery{Story: fixture.StoryID})
	if err != nil || n.Total != int64(len(e.rs)) {
		t.Fatalf("after the injection attempts: %d reactions, %v", n.Total, err)
	}
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

func TestReactionsPaging(t *testing.T) {
	e := setup(t)
	from, to := fixture.Published, fixture.Published.Add(time.Hour)
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		q := url.Values{"story": {"jack-test"}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "limit": {"7"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res, b := e.get(t, "/api/v1/reactions?"+q.Encode())
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
		var rj dashboard.ReactionsJSON
		json.Unmarshal(b, &rj)
		for _, r := range rj.Reactions {
			ids = append(ids, r.ID)
		}
		if rj.NextCursor == nil {
			break
		}
		cursor = *rj.NextCursor
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	var want []string
	for _, r := range e.rs {
		if !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) {
			want = append(want, r.ID)
		}
	}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("paged %d ids, want %d:\n%v\n%v", len(ids), len(want), ids, want)
	}
}

func TestSeriesCSVExportEqualsAPI(t *testing.T) {
	e := setup(t)
	q := "story=jack-test&interval=1h&tz=Europe/Berlin"
	_, b := e.get(t, "/api/v1/series?"+q)
	var s dashboard.SeriesJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	res, body := e.get(t, "/api/v1/export?what=series&format=csv&"+q)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="jack-test-series-1h.csv"` {
		t.Fatalf("%d %v %s", res.StatusCode, res.Header, truncate(body))
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != len(s.Buckets) {
		t.Fatalf("CSV %d rows, API %d buckets", len(recs)-1, len(s.Buckets))
	}
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	if s.Correction == nil {
		t.Fatal("the fixture's coded sample gives no correction")
	}
	for i, bk := range s.Buckets {
		// The raw columns, then the corrected ones.
		want := []string{bk.Start.Format("2006-01-02T15:04:05Z"), fmt.Sprint(bk.Support), fmt.Sprint(bk.Criticism), fmt.Sprint(bk.Neutral), fmt.Sprint(bk.Total),
			opt(bk.CriticismShare), opt(bk.SupportAdj), opt(bk.CriticismAdj), opt(bk.NeutralAdj), opt(bk.CriticismShareAdj),
			opt(bk.CriticismShareLo), opt(bk.CriticismShareHi)}
		if strings.Join(recs[i+1], ",") != strings.Join(want, ",") {
			t.Errorf("row %d: CSV %v, API %v", i, recs[i+1], want)
		}
	}
	// The sidecar of the same export.
	res, mb := e.get(t, "/api/v1/export?what=series&format=csv&meta=true&"+q)
	var m map[string]any
	if err := json.Unmarshal(mb, &m); err != nil || res.StatusCode != 200 {
		t.Fatalf("meta: %d %s", res.StatusCode, mb)
	}
	if m["row_count"] != float64(len(s.Buckets)) || m["timezone"] != "Europe/Berlin" || m["interval"] != "1h" {
		t.Errorf("meta %v", m)
	}
}

func TestReactionsExportDownload(t *testing.T) {
	e := setup(t)
	res, body := e.get(t, "/api/v1/export?what=reactions&format=ndjson&story=jack-test&stance=criticism")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	_, cr, _ := fixture.Count(e.rs, fixture.Start, fixture.End, "")
	if int64(len(lines)) != cr {
		t.Errorf("%d lines, want %d", len(lines), cr)
	}
}

func TestFigures(t *testing.T) {
	e := setup(t)
	res, b := e.get(t, "/api/v1/figure.svg?story=jack-test&interval=1h&tz=Europe/Berlin")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("svg: %d %s", res.StatusCode, truncate(b))
	}
	for _, want := range []string{"Test: Chrissy Teigen", "Europe/Berlin", "stance-test-1", fmt.Sprintf("n = %d", len(e.rs)), "published", "Medium essay"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("svg lacks %q", want)
		}
	}
	res, b = e.get(t, "/api/v1/figure.png?story=jack-test&mode=lines")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d", res.StatusCode)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() < 300 {
		t.Fatalf("png: %v %v", err, img)
	}
}

func TestHeadersHealthAndMetrics(t *testing.T) {
	e := setup(t)
	for _, path := range []string{"/", "/api/v1/stories", "/static/app.js", "/nope", "/healthz"} {
		res, _ := e.get(t, path)
		if res.Header.Get("Content-Security-Policy") != dashboard.ContentSecurityPolicy || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", path, res.Header)
		}
	}
	res, b := e.get(t, "/healthz")
	if res.StatusCode != 200 || !bytes.Contains(b, []byte(`"status":"ok"`)) {
		t.Errorf("healthz %d %s", res.StatusCode, b)
	}
	e.get(t, "/api/v1/series?story=jack-test")
	e.get(t, "/api/v1/series?story=Nope!")
	_, b = e.get(t, "/metrics")
	for _, want := range []string{
		`reactions_dashboard_http_requests_total{code="200",handler="/api/v1/series"} 1`,
		`reactions_dashboard_http_requests_total{code="400",handler="/api/v1/series"} 1`,
		`reactions_dashboard_http_requests_total{code="404",handler="other"} 1`,
		`reactions_dashboard_http_request_duration_seconds_count{handler="/api/v1/series"} 2`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestAssetsNotBuilt(t *testing.T) {
	st := chtest.New(t)
	d, err := dashboard.New(dashboard.Options{Store: st, Assets: fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html>")},
		"vendor/README": {Data: []byte("built by build.sh")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d.AssetsBuilt() {
		t.Fatal("AssetsBuilt without uPlot")
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "dashboard assets not built: run `make build`") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/stories", nil))
	if rec.Code != 200 {
		t.Errorf("the API must work without assets: %d %s", rec.Code, rec.Body)
	}
}
