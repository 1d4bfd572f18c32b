package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/store"
)

// ComparedMeta describes one story of a comparison in its metadata.
type ComparedMeta struct {
	StoryMeta
	// Anchor is the published moment, to the minute, bucket offsets are
	// counted from (published alignment).
	Anchor time.Time `json:"anchor,omitzero"`
	// From and To are this story's range, [from, to), in UTC.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Reactions sums the story's buckets (its 100 %).
	Reactions          int64            `json:"reactions"`
	ClassifierVersions map[string]int64 `json:"classifier_versions"`
	// Corrected says whether the story's *_adj columns are filled (it has
	// a validated correction); CorrectionNote says why not.
	Corrected      bool   `json:"corrected"`
	CorrectionNote string `json:"correction_note,omitempty"`
}

// compareFields are the per-story columns of a comparison, after the
// story id and a dot ("jack-loss.criticism_share").
var compareFields = []Column{
	{"support", "int64", "reactions supporting the subject"},
	{"criticism", "int64", "reactions criticising the subject"},
	{"neutral", "int64", "reactions neither supporting nor criticising"},
	{"total", "int64", "support + criticism + neutral"},
	{"criticism_share", "float64 or empty", "criticism / (support + criticism); empty below min_bucket support and criticism reactions"},
	{"total_pct", "float64 or empty", "total as a percentage of the story's total over the whole range (normalised count: each story sums to 100)"},
	{"criticism_share_adj", "float64 or empty", "criticism share corrected for the classifier's measured errors (hand-coded sample); empty without a correction"},
	{"criticism_share_lo", "float64 or empty", "lower bound of the corrected share's 95 % interval"},
	{"criticism_share_hi", "float64 or empty", "upper bound of the corrected share's 95 % interval"},
}

// ParseAlign checks an alignment name.
func ParseAlign(s string) (string, error) {
	if s != series.AlignPublished && s != series.AlignCalendar {
		return "", fmt.Errorf("%q is not one of published, calendar", s)
	}
	return s, nil
}

// Compare writes the comparison of req.Stories as one wide CSV (a row per
// bucket, a column group per story) and returns its metadata.
func (e *Exporter) Compare(ctx context.Context, req Request, w io.Writer) (*Meta, error) {
	req.What = "compare"
	if req.Format != CSV {
		return nil, fmt.Errorf("format %q: a comparison is written as CSV", req.Format)
	}
	if req.Loc == nil {
		req.Loc = time.UTC
	}
	c, err := series.Compare(ctx, e.Store, series.CompareRequest{Stories: req.Stories, Align: req.Align, Interval: req.Interval,
		From: req.From, To: req.To, FromOffset: req.FromOffset, ToOffset: req.ToOffset, Loc: req.Loc, Platform: req.Platform,
		IncludeRoots: req.IncludeRoots, MinBucket: req.MinBucket, Correct: e.Correction, Now: e.now()})
	if err != nil {
		return nil, err
	}
	m := &Meta{Tool: "reactions", ToolVersion: e.Version, GeneratedAt: e.now(), What: "compare", Layout: "wide", Format: CSV,
		Sources: []SourceMeta{}, Timezone: c.Loc.String(), Platform: string(req.Platform), Command: req.Command,
		Interval: c.Interval.Name, Buckets: c.Len(), Align: c.Align, RowCount: int64(c.Len()), ClassifierVersions: map[string]int64{},
		Parameters: map[string]string{"what": "compare", "story": strings.Join(req.Stories, ","), "align": c.Align,
			"interval": c.Interval.Name, "format": string(CSV), "include_roots": strconv.FormatBool(req.IncludeRoots)}}
	if req.Platform != "" {
		m.Parameters["platform"] = string(req.Platform)
	}
	first := c.Stories[0].Series
	m.From, m.To = first.From, first.To
	if c.Align == series.AlignPublished {
		m.BucketAlignment = "buckets of " + c.Interval.Name + " counted from each story's published moment (to the minute), following no calendar"
		m.Columns = append(m.Columns, Column{"hours_since_published", "float64", "start of the bucket, in hours after each story's published moment (negative before)"})
		m.Parameters["from"], m.Parameters["to"] = offsetHours(c.Offsets[0]), offsetHours(c.Offsets[len(c.Offsets)-1])
	} else {
		m.BucketAlignment = Alignment(c.Interval, c.Loc)
		m.Columns = append(m.Columns, Column{"bucket_start", "timestamp (UTC)", "first instant of the bucket, the same for every story"})
		m.Parameters["from"], m.Parameters["to"], m.Parameters["tz"] = formatTime(m.From), formatTime(m.To), c.Loc.String()
	}
	for i := range c.Stories {
		cs := &c.Stories[i]
		cm := ComparedMeta{StoryMeta: StoryMeta{ID: cs.Story, Definition: json.RawMessage("null")}, Anchor: cs.Anchor,
			From: cs.Series.From, To: cs.Series.To, Reactions: cs.Total.Total, Corrected: cs.Series.Corrected != nil,
			CorrectionNote: cs.CorrectionNote}
		if rec := cs.Record; rec != nil {
			cm.Title, cm.Subject, cm.Published = rec.Story.Title, rec.Story.Subject, rec.Story.Published
			if json.Valid([]byte(rec.Definition)) {
				cm.Definition = json.RawMessage(rec.Definition)
			}
		}
		cnt, err := e.Store.CountReactions(ctx, store.ReactionQuery{Story: cs.Story, From: cs.Series.From, To: cs.Series.To,
			Platforms: platformList(req.Platform), NoRoots: !req.IncludeRoots})
		if err != nil {
			return nil, err
		}
		cm.ClassifierVersions = cnt.Classifiers
		for k, n := range cnt.Classifiers {
			m.ClassifierVersions[k] += n
		}
		m.Reactions += cs.Total.Total
		m.Stories = append(m.Stories, cm)
		if c.Align == series.AlignPublished {
			m.Columns = append(m.Columns, Column{cs.Story + ".bucket_start", "timestamp (UTC)", "first instant of the bucket in story " + cs.Story + "'s time"})
		}
		for _, f := range compareFields {
			m.Columns = append(m.Columns, Column{cs.Story + "." + f.Name, f.Type, f.Doc + " (story " + cs.Story + ")"})
		}
	}
	m.Notes = append(m.Notes,
		"One row per bucket, one group of columns per story, named story.column (the story ids hold no dots).",
		"Each story's columns equal its own series export over its range, realigned: with align=published bucket k of every story starts k intervals after that story's published moment; with align=calendar every story has the same buckets.",
		"total_pct normalises counts: each story's totals sum to 100 over the range, so stories of different sizes compare by shape.",
		"Counts are exact: current reaction states, duplicates and superseded versions excluded; thread starters are left out unless include_roots.")
	m.Parameters["min_bucket"] = strconv.Itoa(first.MinBucket)
	m.Notes = append(m.Notes,
		"The *_adj, *_lo and *_hi columns are filled for the stories marked corrected (a validated, hand-coded sample: see reactions code), empty for the others (each says why in correction_note).",
		fmt.Sprintf("Shares, raw and corrected, are empty for buckets with fewer than %d support and criticism reactions (min_bucket).", first.MinBucket))
	if req.MetaOnly {
		return m, nil
	}
	cw := newCSV(w, !req.NoBOM)
	if err := cw.begin(columnNames(m.Columns)); err != nil {
		return nil, fmt.Errorf("write comparison: %w", err)
	}
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return formatFloat(*v)
	}
	cells := make([]string, 0, len(m.Columns))
	for i := 0; i < c.Len(); i++ {
		cells = cells[:0]
		if c.Align == series.AlignPublished {
			cells = append(cells, offsetHours(c.Offsets[i]))
		} else {
			cells = append(cells, formatTime(c.Starts[i]))
		}
		for j := range c.Stories {
			cs := &c.Stories[j]
			b := cs.Series.Buckets[i]
			if c.Align == series.AlignPublished {
				cells = append(cells, formatTime(b.Start))
			}
			cells = append(cells, itoa(b.Support), itoa(b.Criticism), itoa(b.Neutral), itoa(b.Total), opt(cs.Series.Share(b.Counts)), opt(cs.TotalPct(i)))
			if cs.Series.Corrected != nil {
				est := cs.Series.Corrected[i]
				cells = append(cells, opt(est.Share), opt(est.Lo), opt(est.Hi))
			} else {
				cells = append(cells, "", "", "")
			}
		}
		if err := cw.row(cells, nil, nil); err != nil {
			return nil, fmt.Errorf("write comparison: %w", err)
		}
	}
	if err := cw.end(m); err != nil {
		return nil, fmt.Errorf("write comparison: %w", err)
	}
	return m, nil
}

// Correction is the series.CorrectFunc of a comparison: a story's
// correction from its coding report when the report validates one.
func (e *Exporter) Correction(ctx context.Context, story string, includeRoots bool, minBucket int) (func([]coding.Counts, int) []coding.Estimate, string, error) {
	rep, err := e.report(ctx, story)
	if err != nil {
		return nil, "", err
	}
	if sum, note := study.Correction(rep, includeRoots, minBucket); sum == nil {
		return nil, note, nil
	}
	return rep.Correct, "", nil
}

// offsetHours writes an offset in hours, exactly ("-1", "0.25", "26").
func offsetHours(d time.Duration) string { return formatFloat(d.Hours()) }
