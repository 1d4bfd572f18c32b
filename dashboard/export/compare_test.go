package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

func setupCompare(t *testing.T) (*export.Exporter, *store.Store) {
	t.Helper()
	s := chtest.New(t)
	fixture.Load(t, s)
	fixture.LoadThreads(t, s)
	return &export.Exporter{Store: s, Version: "test", Now: func() time.Time { return genTime }}, s
}

// table is a CSV read into columns by name.
type table struct {
	header []string
	rows   [][]string
}

func (tb table) col(name string) []string {
	for j, h := range tb.header {
		if h == name {
			out := make([]string, len(tb.rows))
			for i, r := range tb.rows {
				out[i] = r[j]
			}
			return out
		}
	}
	return nil
}

func readTable(t *testing.T, b []byte) table {
	t.Helper()
	recs := readCSV(t, b)
	return table{header: recs[0], rows: recs[1:]}
}

// TestCompareCalendarEqualsSingleSeries: with calendar alignment, each
// story's columns are its own series export over the same range and
// buckets, and total_pct is its normalisation.
func TestCompareCalendarEqualsSingleSeries(t *testing.T) {
	e, _ := setupCompare(t)
	ctx := context.Background()
	from, to := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 10, 3, 0, 0, 0, 0, time.UTC)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	stories := []string{fixture.StoryID, fixture.ThreadsID}
	var buf bytes.Buffer
	m, err := e.Compare(ctx, export.Request{Stories: stories, Align: series.AlignCalendar, Format: export.CSV,
		Interval: mustInterval(t, "6h"), From: from, To: to, Loc: berlin}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	cmp := readTable(t, buf.Bytes())
	if cmp.header[0] != "bucket_start" || len(cmp.header) != 1+2*9 || m.RowCount != int64(len(cmp.rows)) || m.Align != "calendar" {
		t.Fatalf("header %v, %d rows, meta %+v", cmp.header, len(cmp.rows), m)
	}
	for _, id := range stories {
		var sb bytes.Buffer
		if _, err := e.Series(ctx, export.Request{Story: id, Format: export.CSV, Interval: mustInterval(t, "6h"), From: from, To: to, Loc: berlin}, &sb); err != nil {
			t.Fatal(err)
		}
		one := readTable(t, sb.Bytes())
		if got, want := cmp.col("bucket_start"), one.col("bucket_start"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: buckets %v, its series %v", id, got, want)
		}
		var total int64
		for _, v := range one.col("total") {
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
		}
		for _, c := range []string{"support", "criticism", "neutral", "total", "criticism_share"} {
			if got, want := cmp.col(id+"."+c), one.col(c); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s.%s = %v, its series %v", id, c, got, want)
			}
		}
		for i, v := range cmp.col(id + ".total_pct") {
			n, _ := strconv.ParseInt(one.col("total")[i], 10, 64)
			if want := strconv.FormatFloat(100*float64(n)/float64(total), 'g', -1, 64); v != want {
				t.Errorf("%s bucket %d: total_pct %s, want %s", id, i, v, want)
			}
		}
		// jack-test has a coded sample, jack-threads none.
		for _, c := range []string{"criticism_share_adj", "criticism_share_lo", "criticism_share_hi"} {
			got, want := cmp.col(id+"."+c), one.col(c)
			if id == fixture.ThreadsID {
				want = make([]string, len(got))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || got == nil {
				t.Errorf("%s.%s = %v, its series %v", id, c, got, want)
			}
		}
	}
	if len(m.Stories) != 2 || m.Stories[0].ID != fixture.StoryID || m.Stories[1].Reactions != 22 || m.Story.ID != "" {
		t.Errorf("sidecar stories %+v", m.Stories)
	}
	b, _ := json.Marshal(m)
	if strings.Contains(string(b), `"story":{`) || !strings.Contains(string(b), `"stories":[`) {
		t.Errorf("a comparison's sidecar has a story, or no stories: %s", b)
	}
}

// TestComparePublishedEqualsSeriesRealigned: aligned by publication,
// bucket k of each story sums the story's own 1-minute series over the
// hour starting k hours after its published moment: 02:00 for one story,
// 14:17 for the other.
func TestComparePublishedEqualsSeriesRealigned(t *testing.T) {
	e, _ := setupCompare(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "compare.csv")
	m, err := e.WriteFile(ctx, export.Request{What: "compare", Stories: []string{fixture.ThreadsID, fixture.StoryID},
		Align: series.AlignPublished, Format: export.CSV, Interval: mustInterval(t, "1h")}, path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	cmp := readTable(t, b)
	// jack-test's window is 26 h before to 46 h after its publication,
	// jack-threads' 14 h 17 before to 33 h 43 after: the union, in hours.
	hours := cmp.col("hours_since_published")
	if len(hours) != 72 || hours[0] != "-26" || hours[26] != "0" || hours[71] != "45" || m.Buckets != 72 {
		t.Fatalf("hours %v", hours)
	}
	if _, err := os.Stat(path + ".meta.json"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id     string
		anchor time.Time
	}{{fixture.StoryID, fixture.Published}, {fixture.ThreadsID, fixture.ThreadsPublished}} {
		// The story's own series by the minute over the compared range.
		var sb bytes.Buffer
		if _, err := e.Series(ctx, export.Request{Story: c.id, Format: export.CSV, Interval: mustInterval(t, "1m"),
			From: c.anchor.Add(-26 * time.Hour), To: c.anchor.Add(46 * time.Hour)}, &sb); err != nil {
			t.Fatal(err)
		}
		one := readTable(t, sb.Bytes())
		starts := one.col("bucket_start")
		for k := range 72 {
			from := c.anchor.Add(time.Duration(k-26) * time.Hour)
			var want [4]int64
			for i, s := range starts {
				at, _ := time.Parse(time.RFC3339, s)
				if at.Before(from) || !at.Before(from.Add(time.Hour)) {
					continue
				}
				for j, col := range []string{"support", "criticism", "neutral", "total"} {
					n, _ := strconv.ParseInt(one.col(col)[i], 10, 64)
					want[j] += n
				}
			}
			var got [4]int64
			for j, col := range []string{"support", "criticism", "neutral", "total"} {
				got[j], _ = strconv.ParseInt(cmp.col(c.id + "." + col)[k], 10, 64)
			}
			if got != want {
				t.Errorf("%s, hour %d after publication: %v, its 1-minute series realigned %v", c.id, k-26, got, want)
			}
			if start := cmp.col(c.id + ".bucket_start")[k]; start != from.Format("2006-01-02T15:04:05Z") {
				t.Errorf("%s bucket %d starts %s, want %s", c.id, k, start, from)
			}
		}
	}
	if m.Stories[0].Anchor != fixture.ThreadsPublished || !strings.Contains(m.BucketAlignment, "published") {
		t.Errorf("sidecar: %+v", m)
	}
}

// TestCompareCorrectedShares: the story with a validated, hand-coded
// sample has its corrected shares, equal to its own series'; the other
// says why it has none.
func TestCompareCorrectedShares(t *testing.T) {
	e, _ := setupCompare(t)
	ctx := context.Background()
	var buf bytes.Buffer
	m, err := e.Compare(ctx, export.Request{Stories: []string{fixture.StoryID, fixture.ThreadsID}, Align: series.AlignPublished,
		Format: export.CSV, Interval: mustInterval(t, "1d")}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	cmp := readTable(t, buf.Bytes())
	adj := strings.Join(cmp.col(fixture.StoryID+".criticism_share_adj"), ",")
	if !m.Stories[0].Corrected || m.Stories[1].Corrected || m.Stories[1].CorrectionNote == "" || m.Stories[0].CorrectionNote != "" ||
		strings.Trim(adj, ",") == "" || strings.Join(cmp.col(fixture.ThreadsID+".criticism_share_adj"), "") != "" {
		t.Errorf("corrected: %+v / %+v, columns %v", m.Stories[0].Corrected, m.Stories[1], adj)
	}
	// The day after publication has enough reactions for a corrected share.
	k := -1
	for i, h := range cmp.col("hours_since_published") {
		if h == "0" {
			k = i
		}
	}
	if k < 0 || cmp.col(fixture.StoryID + ".criticism_share_adj")[k] == "" {
		t.Fatalf("no corrected share the day after publication: %v", cmp.col(fixture.StoryID+".criticism_share_adj"))
	}
	lo, _ := strconv.ParseFloat(cmp.col(fixture.StoryID + ".criticism_share_lo")[k], 64)
	hi, _ := strconv.ParseFloat(cmp.col(fixture.StoryID + ".criticism_share_hi")[k], 64)
	v, _ := strconv.ParseFloat(cmp.col(fixture.StoryID + ".criticism_share_adj")[k], 64)
	if !(lo <= v && v <= hi) {
		t.Errorf("corrected share %v outside its interval [%v, %v]", v, lo, hi)
	}
}

func TestCompareBadRequests(t *testing.T) {
	e, s := setupCompare(t)
	ctx := context.Background()
	if err := s.PutStory(ctx, &story.Story{ID: "no-date", Subject: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	h := -time.Hour
	for _, c := range []struct {
		req  export.Request
		want string
	}{
		{export.Request{Stories: []string{fixture.StoryID}, Align: "calendar", Format: export.CSV}, "name 2 to 5"},
		{export.Request{Stories: []string{fixture.StoryID, fixture.StoryID}, Align: "calendar", Format: export.CSV}, "named twice"},
		{export.Request{Stories: []string{"a", "b", "c", "d", "e", "f"}, Align: "calendar", Format: export.CSV}, "name 2 to 5"},
		{export.Request{Stories: []string{fixture.StoryID, "no-date"}, Align: "published", Format: export.CSV}, "published"},
		{export.Request{Stories: []string{fixture.StoryID, "no-such"}, Align: "calendar", Format: export.CSV}, "no-such"},
		{export.Request{Stories: []string{fixture.StoryID, fixture.ThreadsID}, Align: "sideways", Format: export.CSV}, "align"},
		{export.Request{Stories: []string{fixture.StoryID, fixture.ThreadsID}, Align: "published", Format: export.Parquet}, "CSV"},
		{export.Request{Stories: []string{fixture.StoryID, fixture.ThreadsID}, Align: "published", Format: export.CSV, FromOffset: &h, ToOffset: &h}, "empty"},
		{export.Request{Stories: []string{fixture.StoryID, fixture.ThreadsID}, Align: "published", Format: export.CSV, Interval: mustInterval(t, "1m"),
			FromOffset: new(time.Duration), ToOffset: func() *time.Duration { d := 30 * 24 * time.Hour; return &d }()}, "too many buckets"},
	} {
		_, err := e.Compare(ctx, c.req, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.req, err, c.want)
		}
	}
	_, err := e.Compare(ctx, export.Request{Stories: []string{fixture.StoryID, "no-date"}, Align: "published", Format: export.CSV}, &bytes.Buffer{})
	if !errors.Is(err, series.ErrNoPublished) {
		t.Errorf("no published time: %v", err)
	}
}
