package series

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPlanStarts(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name, tz, iv, from, to string
		want                   []string // local starts (RFC 3339 in tz), then the end
	}{
		{"utc hours aligned", "UTC", "1h", "2020-10-01T00:00:00Z", "2020-10-01T03:00:00Z",
			[]string{"2020-10-01T00:00:00Z", "2020-10-01T01:00:00Z", "2020-10-01T02:00:00Z", "2020-10-01T03:00:00Z"}},
		{"from and to widen to whole buckets", "UTC", "15m", "2020-10-01T00:07:00Z", "2020-10-01T00:31:00Z",
			[]string{"2020-10-01T00:00:00Z", "2020-10-01T00:15:00Z", "2020-10-01T00:30:00Z", "2020-10-01T00:45:00Z"}},
		{"berlin 25 hour day", "Europe/Berlin", "1d", "2020-10-24T12:00:00Z", "2020-10-26T12:00:00Z",
			[]string{"2020-10-24T00:00:00+02:00", "2020-10-25T00:00:00+02:00", "2020-10-26T00:00:00+01:00", "2020-10-27T00:00:00+01:00"}},
		{"berlin 23 hour day", "Europe/Berlin", "1d", "2020-03-28T12:00:00Z", "2020-03-29T12:00:00Z",
			[]string{"2020-03-28T00:00:00+01:00", "2020-03-29T00:00:00+01:00", "2020-03-30T00:00:00+02:00"}},
		{"berlin hours over fall back", "Europe/Berlin", "1h", "2020-10-25T00:00:00Z", "2020-10-25T02:00:00Z",
			[]string{"2020-10-25T02:00:00+02:00", "2020-10-25T02:00:00+01:00", "2020-10-25T03:00:00+01:00"}},
		{"kolkata hours at half past UTC", "Asia/Kolkata", "1h", "2020-10-01T00:00:00Z", "2020-10-01T01:00:00Z",
			[]string{"2020-10-01T05:00:00+05:30", "2020-10-01T06:00:00+05:30", "2020-10-01T07:00:00+05:30"}},
		{"kathmandu 15m", "Asia/Kathmandu", "15m", "2020-10-01T00:00:00Z", "2020-10-01T00:20:00Z",
			[]string{"2020-10-01T05:45:00+05:45", "2020-10-01T06:00:00+05:45", "2020-10-01T06:15:00+05:45"}},
		{"kolkata days", "Asia/Kolkata", "1d", "2020-10-01T00:00:00Z", "2020-10-02T00:00:00Z",
			[]string{"2020-10-01T00:00:00+05:30", "2020-10-02T00:00:00+05:30", "2020-10-03T00:00:00+05:30"}},
		{"new york 6h over spring forward", "America/New_York", "6h", "2021-03-14T04:00:00Z", "2021-03-14T20:00:00Z",
			[]string{"2021-03-13T18:00:00-05:00", "2021-03-14T00:00:00-05:00", "2021-03-14T06:00:00-04:00", "2021-03-14T12:00:00-04:00", "2021-03-14T18:00:00-04:00"}},
		{"weeks start monday", "UTC", "1w", "2020-10-01T00:00:00Z", "2020-10-06T00:00:00Z",
			[]string{"2020-09-28T00:00:00Z", "2020-10-05T00:00:00Z", "2020-10-12T00:00:00Z"}},
		// Santiago skips local midnight: the day starts at 01:00.
		{"day starting at 01:00", "America/Santiago", "1d", "2020-09-05T12:00:00Z", "2020-09-06T12:00:00Z",
			[]string{"2020-09-05T00:00:00-04:00", "2020-09-06T01:00:00-03:00", "2020-09-07T00:00:00-03:00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			iv, err := ParseInterval(c.iv)
			if err != nil {
				t.Fatal(err)
			}
			loc := mustLoc(t, c.tz)
			p, err := NewPlan(utc(c.from), utc(c.to), iv, loc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range p.Starts {
				got = append(got, s.In(loc).Format(time.RFC3339))
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("starts\n got %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestPlanQueryGranularity(t *testing.T) {
	from := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(48 * time.Hour)
	for _, c := range []struct {
		tz, iv string
		step   int64
		shifts int
	}{
		{"UTC", "1m", 60, 0}, {"UTC", "1h", 3600, 0}, {"Europe/Berlin", "1h", 3600, 0},
		{"Asia/Kolkata", "1h", 1800, 0}, {"Asia/Kathmandu", "1h", 900, 0}, {"Asia/Kolkata", "5m", 300, 0},
		{"Europe/Berlin", "1d", 86400, 1}, {"UTC", "1w", 7 * 86400, 1}, {"Asia/Kolkata", "6h", 6 * 3600, 1},
	} {
		iv, _ := ParseInterval(c.iv)
		p, err := NewPlan(from, to, iv, mustLoc(t, c.tz))
		if err != nil {
			t.Fatal(err)
		}
		if p.Query.Step != c.step || len(p.Query.Shifts) != c.shifts {
			t.Errorf("%s %s: step %d shifts %d, want %d %d", c.tz, c.iv, p.Query.Step, len(p.Query.Shifts), c.step, c.shifts)
		}
	}
	// Over the October DST change Berlin days need two shift spans.
	iv, _ := ParseInterval("1d")
	p, _ := NewPlan(time.Date(2020, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2020, 10, 30, 0, 0, 0, 0, time.UTC), iv, mustLoc(t, "Europe/Berlin"))
	if len(p.Query.Shifts) != 2 || p.Query.Shifts[0].Seconds != 7200 || p.Query.Shifts[1].Seconds != 3600 {
		t.Errorf("shifts %+v", p.Query.Shifts)
	}
}

func TestPlanBounds(t *testing.T) {
	from := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	iv, _ := ParseInterval("1m")
	if _, err := NewPlan(from, from.Add(8*24*time.Hour), iv, time.UTC); !errors.Is(err, ErrTooManyBuckets) {
		t.Errorf("8 days of minutes: %v", err)
	}
	if p, err := NewPlan(from, from.Add(7*24*time.Hour), iv, time.UTC); err != nil || p.Len() != MaxBuckets {
		t.Errorf("7 days of minutes: %v", err)
	}
	if _, err := NewPlan(from, from, iv, time.UTC); err == nil {
		t.Error("empty range: want an error")
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{time.Hour, "1m"}, {24 * time.Hour, "5m"}, {7 * 24 * time.Hour, "15m"}, {31 * 24 * time.Hour, "1h"}, {365 * 24 * time.Hour, "1d"}, {20 * 365 * 24 * time.Hour, "1w"}} {
		if got := AutoInterval(from, from.Add(c.d)); got.Name != c.want {
			t.Errorf("auto for %s: %s, want %s", c.d, got.Name, c.want)
		}
	}
	if _, err := ParseInterval("2m"); err == nil || !strings.Contains(err.Error(), "1m, 5m") {
		t.Errorf("bad interval error: %v", err)
	}
}

func TestAnchoredPlan(t *testing.T) {
	h, _ := ParseInterval("1h")
	anchor := time.Date(2020, 10, 2, 14, 15, 42, 0, time.UTC) // to the minute: 14:15
	p, err := NewAnchoredPlan(anchor, anchor.Add(-90*time.Minute), anchor.Truncate(time.Minute).Add(2*time.Hour), h)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Starts {
		got = append(got, s.Format("15:04"))
	}
	if strings.Join(got, " ") != "12:15 13:15 14:15 15:15 16:15" || p.Len() != 4 {
		t.Errorf("starts %v", got)
	}
	// Every start is 15 minutes past an hour: groups of 900 s.
	if p.Query.Step != 900 || !p.Query.From.Equal(p.From()) || !p.Query.To.Equal(p.To()) {
		t.Errorf("query %+v", p.Query)
	}
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{anchor.Add(-90 * time.Minute), 0}, {anchor.Truncate(time.Minute).Add(-time.Second), 1}, {anchor, 2},
		{anchor.Add(119 * time.Minute), 3}, {anchor.Add(3 * time.Hour), -1},
	} {
		k := c.at.Truncate(time.Minute).Unix() / p.Query.Step
		if got := p.Bucket(k); got != c.want {
			t.Errorf("%s: bucket %d, want %d", c.at.Format("15:04:05"), got, c.want)
		}
	}
	// 14:17 on a 1-day width: groups of a minute, one bucket.
	d, _ := ParseInterval("1d")
	at := time.Date(2020, 10, 2, 14, 17, 0, 0, time.UTC)
	if p, err := NewAnchoredPlan(at, at, at.Add(time.Minute), d); err != nil || p.Len() != 1 || p.Query.Step != 60 {
		t.Errorf("one day: %+v %v", p, err)
	}
	m, _ := ParseInterval("1m")
	if _, err := NewAnchoredPlan(anchor, anchor, anchor.Add(30*24*time.Hour), m); !errors.Is(err, ErrTooManyBuckets) {
		t.Errorf("a month of minutes: %v", err)
	}
}
