package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

var genTime = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*export.Exporter, []reaction.Reaction) {
	t.Helper()
	s := chtest.New(t)
	rs := fixture.Load(t, s)
	return &export.Exporter{Store: s, Version: "test", Now: func() time.Time { return genTime }}, rs
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("CSV has no UTF-8 byte-order mark")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return recs
}

func TestSeriesExportMatchesCounts(t *testing.T) {
	e, rs := setup(t)
	ctx := context.Background()
	h1, _ := series.ParseInterval("1h")
	dir := t.TempDir()
	req := export.Request{Story: fixture.StoryID, What: "series", Format: export.CSV, Interval: h1, Command: "reactions export --story jack-test"}
	path := filepath.Join(dir, "series.csv")
	m, err := e.WriteFile(ctx, req, path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Error("CSV lines do not end in CRLF (RFC 4180)")
	}
	recs := readCSV(t, b)
	if strings.Join(recs[0], ",") != "bucket_start,support,criticism,neutral,total,criticism_share,"+
		"support_adj,criticism_adj,neutral_adj,criticism_share_adj,criticism_share_lo,criticism_share_hi" {
		t.Fatalf("header %v", recs[0])
	}
	if len(recs) != 1+72 || m.RowCount != 72 || m.Buckets != 72 {
		t.Fatalf("%d rows, meta %d, want 72 (3 days of hours)", len(recs)-1, m.RowCount)
	}
	for i, row := range recs[1:] {
		start := fixture.Start.Add(time.Duration(i) * time.Hour)
		su, cr, ne := fixture.Count(rs, start, start.Add(time.Hour), "")
		want := []string{start.Format("2006-01-02T15:04:05Z"), fmt.Sprint(su), fmt.Sprint(cr), fmt.Sprint(ne), fmt.Sprint(su + cr + ne), ""}
		// The small-bucket rule: no share from fewer than 10 support and
		// criticism reactions.
		if su+cr >= coding.DefaultMinBucket {
			want[5] = strconv.FormatFloat(float64(cr)/float64(su+cr), 'g', -1, 64)
		}
		if strings.Join(row[:6], ",") != strings.Join(want, ",") {
			t.Errorf("row %d: %v, want %v", i, row, want)
		}
		// The corrected counts sum to the bucket's total; the corrected
		// share (and its interval) is there exactly when the raw one is.
		var adj float64
		for _, c := range row[6:9] {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatalf("row %d: corrected count %q: %v", i, c, err)
			}
			adj += v
		}
		if math.Abs(adj-float64(su+cr+ne)) > 1e-6 || (row[9] == "") != (want[5] == "") || (row[10] == "") != (row[9] == "") || (row[11] == "") != (row[9] == "") {
			t.Errorf("row %d: corrected columns %v", i, row[6:])
		}
		if row[9] != "" {
			lo, _ := strconv.ParseFloat(row[10], 64)
			adjShare, _ := strconv.ParseFloat(row[9], 64)
			hi, _ := strconv.ParseFloat(row[11], 64)
			if !(lo <= adjShare && adjShare <= hi) {
				t.Errorf("row %d: corrected share %v outside its interval %v-%v", i, adjShare, lo, hi)
			}
		}
	}
	if v := m.Validation; v == nil || v.NCoded != 120 || len(v.Coders) != 2 || v.Alpha == nil || v.MacroF1 <= 0 || v.Method == "" ||
		len(v.Samples) != 1 || v.Samples[0] != fixture.Sample || v.MinBucket != coding.DefaultMinBucket || m.MinBucket != coding.DefaultMinBucket {
		t.Errorf("metadata validation %+v", m.Validation)
	}

	// The sidecar is complete.
	mb, err := os.ReadFile(path + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	var side map[string]any
	if err := json.Unmarshal(mb, &side); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tool", "tool_version", "generated_at", "what", "layout", "format", "story", "sources", "from", "to",
		"interval", "bucket_alignment", "timezone", "classifier_versions", "reactions", "row_count", "columns", "command", "parameters",
		"min_bucket", "validation"} {
		if v, ok := side[k]; !ok || v == nil || v == "" {
			t.Errorf("sidecar lacks %s", k)
		}
	}
	val, _ := side["validation"].(map[string]any)
	for _, k := range []string{"n_coded", "coders", "alpha", "macro_f1", "method", "samples"} {
		if v, ok := val[k]; !ok || v == nil {
			t.Errorf("sidecar validation lacks %s: %v", k, val)
		}
	}
	if side["from"] != "2020-09-30T00:00:00Z" || side["to"] != "2020-10-03T00:00:00Z" || side["timezone"] != "UTC" {
		t.Errorf("sidecar range %v %v %v", side["from"], side["to"], side["timezone"])
	}
	def := side["story"].(map[string]any)["definition"].(map[string]any)
	if def["id"] != fixture.StoryID || len(def["sources"].([]any)) != 4 {
		t.Errorf("sidecar story definition %v", def)
	}
	cv := side["classifier_versions"].(map[string]any)
	if cv["stance-test-1"] != float64(len(rs)) || side["reactions"] != float64(len(rs)) {
		t.Errorf("classifier versions %v, reactions %v, want %d", cv, side["reactions"], len(rs))
	}
	if len(side["sources"].([]any)) != 4 {
		t.Errorf("sources %v", side["sources"])
	}

	// Parquet read back equals the CSV.
	req.Format = export.Parquet
	var pq bytes.Buffer
	if _, err := e.Series(ctx, req, &pq); err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[export.SeriesRow](bytes.NewReader(pq.Bytes()), int64(pq.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs)-1 {
		t.Fatalf("parquet has %d rows, CSV %d", len(rows), len(recs)-1)
	}
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	for i, r := range rows {
		got := []string{r.BucketStart.UTC().Format("2006-01-02T15:04:05Z"), fmt.Sprint(r.Support), fmt.Sprint(r.Criticism), fmt.Sprint(r.Neutral), fmt.Sprint(r.Total),
			opt(r.CriticismShare), opt(r.SupportAdj), opt(r.CriticismAdj), opt(r.NeutralAdj), opt(r.CriticismShareAdj), opt(r.CriticismShareLo), opt(r.CriticismShareHi)}
		if strings.Join(got, ",") != strings.Join(recs[i+1], ",") {
			t.Errorf("parquet row %d %v, CSV %v", i, got, recs[i+1])
		}
	}
	f, err := parquet.OpenFile(bytes.NewReader(pq.Bytes()), int64(pq.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Lookup("reactions.meta"); !ok || !strings.Contains(v, `"row_count":72`) {
		t.Errorf("parquet key-value metadata: %q", v)
	}
	col, _ := f.Schema().Lookup("bucket_start")
	if lt := col.Node.Type().LogicalType(); lt == nil || lt.String() != "TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)" {
		t.Errorf("bucket_start logical type %v", lt)
	}
}

func TestSeriesExportTidyAndTimezone(t *testing.T) {
	e, rs := setup(t)
	ctx := context.Background()
	d1, _ := series.ParseInterval("1d")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	var buf bytes.Buffer
	m, err := e.Series(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, Tidy: true, Interval: d1, Loc: berlin}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, buf.Bytes())
	if strings.Join(recs[0], ",") != "bucket_start,platform,stance,count,value" {
		t.Fatalf("header %v", recs[0])
	}
	// Berlin days from 2020-09-30 00:00+02:00 (= 09-29 22:00Z) to 10-03 24:00+02:00: 4 days,
	// 4 platforms (3 with reactions and bluesky from the definition), 3 stances,
	// and per day the 6 corrected figures (platform all).
	if m.Buckets != 4 || len(recs)-1 != 4*4*3+4*6 || m.RowCount != 72 {
		t.Fatalf("%d buckets, %d rows", m.Buckets, len(recs)-1)
	}
	var corrected []string
	for _, r := range recs[1:] {
		switch {
		case r[1] == export.AllPlatforms && r[0] == "2020-09-30T22:00:00Z":
			if r[3] != "" {
				t.Errorf("a corrected row has a count: %v", r)
			}
			corrected = append(corrected, r[2])
		case r[1] != export.AllPlatforms && r[3] != r[4]:
			t.Errorf("a count row's value is not its count: %v", r)
		}
	}
	if strings.Join(corrected, ",") != "support_adj,criticism_adj,neutral_adj,criticism_share_adj,criticism_share_lo,criticism_share_hi" {
		t.Errorf("corrected rows of a day: %v", corrected)
	}
	if recs[1][0] != "2020-09-29T22:00:00Z" || !strings.Contains(m.BucketAlignment, "Europe/Berlin") {
		t.Errorf("first bucket %v, alignment %q", recs[1], m.BucketAlignment)
	}
	var sum int64
	for _, r := range recs[1:] {
		if r[0] == "2020-09-30T22:00:00Z" && r[1] == "mastodon" {
			n, _ := strconv.ParseInt(r[3], 10, 64)
			sum += n
		}
	}
	day := time.Date(2020, 9, 30, 22, 0, 0, 0, time.UTC)
	su, cr, ne := fixture.Count(rs, day, day.Add(24*time.Hour), reaction.Mastodon)
	if sum != su+cr+ne {
		t.Errorf("mastodon on Oct 1 (Berlin): %d, want %d", sum, su+cr+ne)
	}
}

func TestReactionsExportFormatsAgree(t *testing.T) {
	e, rs := setup(t)
	ctx := context.Background()
	req := export.Request{Story: fixture.StoryID, What: "reactions"}
	out := map[export.Format][]byte{}
	metas := map[export.Format]*export.Meta{}
	for _, f := range export.Formats {
		req.Format = f
		var buf bytes.Buffer
		m, err := e.Reactions(ctx, req, &buf)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f], metas[f] = buf.Bytes(), m
	}
	recs := readCSV(t, out[export.CSV])
	if strings.Join(recs[0], ",") != strings.Join(reaction.Fields, ",") {
		t.Fatalf("header %v", recs[0])
	}
	if len(recs)-1 != len(rs) || metas[export.CSV].RowCount != int64(len(rs)) {
		t.Fatalf("%d rows, want %d", len(recs)-1, len(rs))
	}
	// CSV cells match the fixture exactly (hostile text verbatim).
	for i, r := range rs {
		got := recs[i+1]
		rel := r.Relation
		if rel == "" {
			rel = r.ImpliedRelation() // the store fills it for replies
		}
		want := []string{r.Story, string(r.Platform), r.ID, r.ParentID, r.RootID, rel, strconv.FormatBool(r.IsRoot), r.URL,
			r.CreatedAt.Format("2006-01-02T15:04:05Z"), r.FirstSeen.Format("2006-01-02T15:04:05Z"), r.Author, r.ContentWarning, r.Text, r.Lang,
			fmt.Sprint(r.Likes), fmt.Sprint(r.Replies), "false", string(r.Stance), strconv.FormatFloat(r.StanceScore, 'g', -1, 64), r.Classifier}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("row %d\n got %q\nwant %q", i, got, want)
		}
	}
	// Parquet read back equals the CSV.
	pq := out[export.Parquet]
	rows, err := parquet.Read[export.ReactionRow](bytes.NewReader(pq), int64(len(pq)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rs) {
		t.Fatalf("parquet %d rows", len(rows))
	}
	for i, r := range rows {
		got := []string{r.Story, r.Platform, r.ID, r.ParentID, r.RootID, r.Relation, strconv.FormatBool(r.IsRoot), r.URL, r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
			r.FirstSeen.UTC().Format("2006-01-02T15:04:05Z"), r.Author, r.ContentWarning, r.Text, r.Lang, fmt.Sprint(r.Likes), fmt.Sprint(r.Replies),
			strconv.FormatBool(r.Deleted), r.Stance, strconv.FormatFloat(r.StanceScore, 'g', -1, 64), r.Classifier}
		if strings.Join(got, "\x00") != strings.Join(recs[i+1], "\x00") {
			t.Fatalf("parquet row %d\n got %q\n csv %q", i, got, recs[i+1])
		}
	}
	// JSON: a meta header and the rows under their data-dictionary names.
	var doc struct {
		Meta export.Meta         `json:"meta"`
		Rows []reaction.Reaction `json:"rows"`
	}
	if err := json.Unmarshal(out[export.JSON], &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta.RowCount != int64(len(rs)) || len(doc.Rows) != len(rs) || doc.Rows[0].ID != rs[0].ID || doc.Meta.Story.ID != fixture.StoryID {
		t.Errorf("json: meta %+v, %d rows", doc.Meta.RowCount, len(doc.Rows))
	}
	// NDJSON: one reaction per line.
	lines := strings.Split(strings.TrimSpace(string(out[export.NDJSON])), "\n")
	if len(lines) != len(rs) {
		t.Fatalf("ndjson %d lines", len(lines))
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	for _, f := range reaction.Fields {
		if _, ok := first[f]; !ok {
			t.Errorf("ndjson row lacks %s", f)
		}
	}
}

// TestExportSignedScoresRootsAndWarnings: a negative score, a thread
// starter and a content warning come out of every format as stored (likes
// a signed INT64 in Parquet); a series leaves the thread starter out
// unless IncludeRoots.
func TestExportSignedScoresRootsAndWarnings(t *testing.T) {
	e, _ := setup(t)
	ctx := context.Background()
	at := fixture.Published.Add(5 * time.Minute)
	extra := []reaction.Reaction{
		{Story: fixture.StoryID, Platform: reaction.Reddit, ID: "reddit:t3_news", RootID: "reddit:t3_news", IsRoot: true,
			URL: "https://www.reddit.com/r/x/comments/news/", CreatedAt: at, Text: "The news", Likes: 900,
			Stance: reaction.Neutral, StanceScore: 0.9, Classifier: "stance-test-1"},
		{Story: fixture.StoryID, Platform: reaction.Reddit, ID: "reddit:t1_down", ParentID: "reddit:t3_news", RootID: "reddit:t3_news",
			URL: "https://www.reddit.com/r/x/comments/news/_/down/", CreatedAt: at, Text: "Attention seeking", Likes: -40,
			Stance: reaction.Criticism, StanceScore: 0.8, Classifier: "stance-test-1"},
		{Story: fixture.StoryID, Platform: reaction.Mastodon, ID: "mastodon:https://m.example/1", RootID: "mastodon:https://m.example/1",
			URL: "https://m.example/@a/1", CreatedAt: at, ContentWarning: "loss, grief", Text: "I lit a candle",
			Stance: reaction.Support, StanceScore: 0.8, Classifier: "stance-test-1"},
	}
	if _, err := e.Store.Write(ctx, extra); err != nil {
		t.Fatal(err)
	}
	from, to := at.Truncate(time.Hour), at.Truncate(time.Hour).Add(time.Hour)
	byID := map[string][]string{}
	var buf bytes.Buffer
	if _, err := e.Reactions(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, From: from, To: to}, &buf); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, buf.Bytes())
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	for _, r := range recs[1:] {
		byID[r[col["id"]]] = r
	}
	for id, want := range map[string][3]string{
		"reddit:t3_news": {"true", "900", ""}, "reddit:t1_down": {"false", "-40", ""},
		"mastodon:https://m.example/1": {"false", "0", "loss, grief"},
	} {
		r := byID[id]
		if r == nil || r[col["is_root"]] != want[0] || r[col["likes"]] != want[1] || r[col["content_warning"]] != want[2] {
			t.Errorf("csv %s = %q, want is_root %s, likes %s, content_warning %q", id, r, want[0], want[1], want[2])
		}
	}
	if r := byID["mastodon:https://m.example/1"]; r != nil && r[col["text"]] != "I lit a candle" {
		t.Errorf("text %q: the content warning must stay apart", r[col["text"]])
	}
	buf.Reset()
	if _, err := e.Reactions(ctx, export.Request{Story: fixture.StoryID, Format: export.Parquet, From: from, To: to}, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	likes, ok := f.Schema().Lookup("likes")
	if !ok || likes.Node.Type().Kind() != parquet.Int64 {
		t.Errorf("parquet likes: %v, want INT64", likes.Node.Type())
	} else if lt := likes.Node.Type().LogicalType(); lt != nil {
		if it, ok := lt.Value.(*format.IntType); ok && !it.IsSigned {
			t.Errorf("parquet likes: %v, want signed", lt)
		}
	}
	rows, err := parquet.Read[export.ReactionRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range rows {
		switch r.ID {
		case "reddit:t1_down":
			found++
			if r.Likes != -40 || r.IsRoot {
				t.Errorf("parquet %s: %+v", r.ID, r)
			}
		case "reddit:t3_news":
			found++
			if !r.IsRoot {
				t.Errorf("parquet %s: not flagged", r.ID)
			}
		case "mastodon:https://m.example/1":
			found++
			if r.ContentWarning != "loss, grief" || r.Text != "I lit a candle" {
				t.Errorf("parquet %s: %+v", r.ID, r)
			}
		}
	}
	if found != 3 {
		t.Errorf("parquet: %d of the 3 reactions", found)
	}
	total := func(include bool) int64 {
		m, err := e.Series(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, From: from, To: to,
			Interval: mustInterval(t, "1h"), IncludeRoots: include}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Parameters["include_roots"] != strconv.FormatBool(include) {
			t.Errorf("meta parameters %v", m.Parameters)
		}
		var sum int64
		for _, n := range m.ClassifierVersions {
			sum += n
		}
		if sum != m.Reactions {
			t.Errorf("include_roots=%v: classifier counts %v, series %d", include, m.ClassifierVersions, m.Reactions)
		}
		return m.Reactions
	}
	if without, with := total(false), total(true); with != without+1 {
		t.Errorf("series: %d reactions without the thread starter, %d with it: want one more", without, with)
	}
}

func mustInterval(t *testing.T, s string) series.Interval {
	t.Helper()
	iv, err := series.ParseInterval(s)
	if err != nil {
		t.Fatal(err)
	}
	return iv
}

func TestReactionsExportFilters(t *testing.T) {
	e, rs := setup(t)
	var buf bytes.Buffer
	from, to := fixture.Published, fixture.Published.Add(2*time.Hour)
	m, err := e.Reactions(context.Background(), export.Request{Story: fixture.StoryID, Format: export.NDJSON,
		From: from, To: to, ChunkRows: 5, Platform: reaction.Mastodon, Stances: []reaction.Stance{reaction.Criticism}}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	_, cr, _ := fixture.Count(rs, from, to, reaction.Mastodon)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if int64(len(lines)) != cr || m.RowCount != cr || cr == 0 {
		t.Fatalf("%d lines, meta %d, want %d", len(lines), m.RowCount, cr)
	}
	if !strings.Contains(buf.String(), `"text":"\u003cimg src=x onerror=alert(1)\u003e\u003cscript\u003ealert(2)\u003c/script\u003e"`) {
		t.Error("the hostile reaction is missing or not escaped in JSON")
	}
}

func TestExportErrors(t *testing.T) {
	e, _ := setup(t)
	ctx := context.Background()
	for _, c := range []struct {
		req  export.Request
		want string
	}{
		{export.Request{Story: "nope", What: "series", Format: export.CSV}, "no such story"},
		{export.Request{Story: "Bad!", What: "series", Format: export.CSV}, "not a story id"},
		{export.Request{Story: fixture.StoryID, What: "series", Format: "xls"}, "not one of csv"},
		{export.Request{Story: fixture.StoryID, What: "series", Format: export.CSV, From: fixture.End, To: fixture.Start}, "not after"},
	} {
		_, err := e.Series(ctx, c.req, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.req, err, c.want)
		}
	}
	// A failed export leaves no file behind.
	dir := t.TempDir()
	if _, err := e.WriteFile(ctx, export.Request{Story: "nope", What: "series", Format: export.CSV}, filepath.Join(dir, "x.csv")); err == nil {
		t.Fatal("want an error")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind %v", ents)
	}
}
