package dashboard_test

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
)

// TestCompareAPI: the comparison the chart draws is the one the export
// writes, and each story's counts are its own series'.
func TestCompareAPI(t *testing.T) {
	e := setupThreads(t)
	stories := fixture.StoryID + "," + fixture.ThreadsID
	var c dashboard.CompareJSON
	if code := getJSON(t, e, "/api/v1/compare?story="+stories+"&interval=1h", &c); code != 200 {
		t.Fatalf("status %d", code)
	}
	if c.Align != "published" || c.Interval != "1h" || len(c.Hours) != 73 || c.Hours[0] != -26 || len(c.Stories) != 2 || c.Starts != nil {
		t.Fatalf("comparison: align %s interval %s, %d hours from %v, %d stories", c.Align, c.Interval, len(c.Hours), c.Hours[0], len(c.Stories))
	}
	for _, s := range c.Stories {
		// jack-test has a coded sample; jack-threads none, and says why.
		if corrected := s.ID == fixture.StoryID; len(s.Total) != 72 || (s.CriticismShareAdj != nil) != corrected ||
			(s.CorrectionNote == "") != corrected || s.Anchor == nil || s.Published == nil {
			t.Errorf("%s: %d buckets, adj %v (%q), anchor %v", s.ID, len(s.Total), s.CriticismShareAdj != nil, s.CorrectionNote, s.Anchor)
		}
		// Its own hourly series, from 26 h before its publication.
		var sj dashboard.SeriesJSON
		getJSON(t, e, fmt.Sprintf("/api/v1/series?story=%s&interval=1h&from=%s&to=%s", s.ID,
			s.Anchor.Add(-26*time.Hour).Format(time.RFC3339), s.Anchor.Add(46*time.Hour).Format(time.RFC3339)), &sj)
		if s.ID == fixture.StoryID { // published on the hour: the same buckets
			for i, b := range sj.Buckets {
				if b.Support != s.Support[i] || b.Criticism != s.Criticism[i] || b.Neutral != s.Neutral[i] ||
					fmt.Sprint(deref(b.CriticismShare)) != fmt.Sprint(deref(s.CriticismShare[i])) ||
					fmt.Sprint(deref(b.CriticismShareAdj)) != fmt.Sprint(deref(s.CriticismShareAdj[i])) ||
					fmt.Sprint(deref(b.CriticismShareHi)) != fmt.Sprint(deref(s.CriticismShareHi[i])) {
					t.Fatalf("%s bucket %d: %d/%d/%d %v %v, its series %d/%d/%d %v %v", s.ID, i, s.Support[i], s.Criticism[i], s.Neutral[i],
						deref(s.CriticismShare[i]), deref(s.CriticismShareAdj[i]), b.Support, b.Criticism, b.Neutral, deref(b.CriticismShare), deref(b.CriticismShareAdj))
				}
			}
		}
		var sum float64
		for _, p := range s.TotalPct {
			if p != nil {
				sum += *p
			}
		}
		if s.Totals.Total == 0 || fmt.Sprintf("%.6f", sum) != "100.000000" {
			t.Errorf("%s: total %d, total_pct sums to %v", s.ID, s.Totals.Total, sum)
		}
	}

	// The export of the same comparison holds the same numbers.
	res, b := e.get(t, "/api/v1/export?what=compare&story="+stories+"&interval=1h")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "jack-test-vs-jack-threads-published.csv") {
		t.Fatalf("export: %d %q %s", res.StatusCode, res.Header.Get("Content-Disposition"), b)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 73 {
		t.Fatalf("export: %d rows, %v", len(recs), err)
	}
	for i, row := range recs[1:] {
		for j, s := range c.Stories {
			off := 1 + j*10
			if row[0] != strconv.FormatFloat(c.Hours[i], 'g', -1, 64) || row[off+1] != fmt.Sprint(s.Support[i]) || row[off+4] != fmt.Sprint(s.Total[i]) {
				t.Fatalf("export row %d %v, API hour %v %s support %d total %d", i, row, c.Hours[i], s.ID, s.Support[i], s.Total[i])
			}
		}
	}

	// Calendar time: the same starts for both, in the display timezone.
	c = dashboard.CompareJSON{}
	if code := getJSON(t, e, "/api/v1/compare?story="+stories+"&align=calendar&interval=1d&tz=Europe/Berlin", &c); code != 200 ||
		len(c.Starts) != 6 || c.Hours != nil || c.Starts[0].Format(time.RFC3339) != "2020-09-29T22:00:00Z" {
		t.Errorf("calendar: %d, starts %v", code, c.Starts)
	}
	for _, bad := range []struct{ query, param string }{
		{"story=" + fixture.StoryID, "story"},
		{"story=" + fixture.StoryID + "," + fixture.StoryID, "story"},
		{"story=" + stories + ",no-such", "story"},
		{"story=" + stories + "&align=sideways", "align"},
		{"story=" + stories + "&from=2020-10-01T00:00:00Z", "from"},
		{"story=" + stories + "&align=calendar&from_hours=3", "from_hours"},
		{"story=" + stories + "&from_hours=5&to_hours=2", "to_hours"},
		{"story=" + stories + "&from_hours=x", "from_hours"},
		{"story=" + stories + "&interval=1m&from_hours=0&to_hours=800", "interval"},
	} {
		var ae struct{ Error, Param string }
		if code := getJSON(t, e, "/api/v1/compare?"+bad.query, &ae); code/100 != 4 || ae.Param != bad.param {
			t.Errorf("%s: %d %+v, want param %s", bad.query, code, ae, bad.param)
		}
	}
}

// deref is *v, or nil.
func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
