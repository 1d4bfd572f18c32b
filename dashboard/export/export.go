// Package export writes a story's series and reactions as CSV, JSON, NDJSON
// or Parquet, streaming (millions of reactions in bounded memory), each with
// its metadata: a sidecar FILE.meta.json, or the "meta" header object of a
// JSON export, or the "reactions.meta" key of a Parquet file's metadata.
// docs/api.md ("GET /api/v1/export") gives each format's conventions.
package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/dashboard/network"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// Column describes one exported column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Doc  string `json:"doc"`
}

// StoryMeta is the story part of Meta.
type StoryMeta struct {
	ID        string    `json:"id"`
	Title     string    `json:"title,omitempty"`
	Subject   []string  `json:"subject,omitempty"`
	Published time.Time `json:"published,omitzero"`
	// Definition is the story definition as stored (JSON), or null when the
	// story has reactions but no stored definition.
	Definition json.RawMessage `json:"definition"`
}

// SourceMeta is one source in Meta, with its latest crawl run's status.
type SourceMeta struct {
	Name         string            `json:"name"`
	Platform     reaction.Platform `json:"platform"`
	LatestStatus string            `json:"latest_status,omitempty"`
	LatestRun    *time.Time        `json:"latest_run,omitempty"`
	Warning      string            `json:"warning,omitempty"`
}

// Meta describes an export: what it holds and how it was made.
type Meta struct {
	Tool        string    `json:"tool"`
	ToolVersion string    `json:"tool_version"`
	GeneratedAt time.Time `json:"generated_at"`
	// What is "series", "reactions", "network", "compare" or "history";
	// Layout "wide" or "tidy" for series.
	What   string `json:"what"`
	Layout string `json:"layout,omitempty"`
	Format Format `json:"format"`
	// Story is the story exported; a comparison has Stories instead.
	Story StoryMeta `json:"story,omitzero"`
	// Stories are the stories of a comparison, in column order.
	Stories []ComparedMeta `json:"stories,omitempty"`
	// Align is how a comparison's stories are aligned: "published" (time
	// since each story's published moment) or "calendar".
	Align string `json:"align,omitempty"`
	// Sources are the story's sources and the state of their crawls.
	Sources []SourceMeta `json:"sources"`
	// From and To are the time range, [from, to): for series the aligned
	// range (the first bucket's start, the last bucket's end).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Interval is the bucket width (series only); BucketAlignment says how
	// buckets follow the display timezone.
	Interval        string `json:"interval,omitempty"`
	BucketAlignment string `json:"bucket_alignment,omitempty"`
	Buckets         int    `json:"buckets,omitempty"`
	// Timezone is the display timezone the buckets were aligned in; every
	// timestamp in the data is UTC.
	Timezone string `json:"timezone"`
	// Filters: Platform ("" = all), Stances (empty = all).
	Platform string   `json:"platform,omitempty"`
	Stances  []string `json:"stances,omitempty"`
	// ClassifierVersions are the distinct classifier versions of the
	// reactions counted or exported, with how many each labelled.
	ClassifierVersions map[string]int64 `json:"classifier_versions"`
	// Reactions is how many reactions the export covers (the sum of the
	// series' totals, or the reactions exported).
	Reactions int64 `json:"reactions"`
	// RowCount is the number of data rows in the file.
	RowCount int64    `json:"row_count"`
	Columns  []Column `json:"columns"`
	// NodeColumns document a network's nodes (Columns its edges).
	NodeColumns []Column `json:"node_columns,omitempty"`
	// NodesFile names the nodes file beside a CSV network's edge list.
	NodesFile string `json:"nodes_file,omitempty"`
	// Network summarises a reply network: nodes, edges, reciprocity,
	// signed edges and what was counted apart.
	Network *network.Summary `json:"network,omitempty"`
	// Command is the command line or API request that made the export, and
	// Parameters its resolved parameters.
	Command    string            `json:"command,omitempty"`
	Parameters map[string]string `json:"parameters"`
	// MinBucket is the small-bucket threshold of a series: a bucket with
	// fewer support + criticism reactions has no share, raw or corrected.
	MinBucket int `json:"min_bucket,omitempty"`
	// Validation describes the hand-coded validation behind a series'
	// corrected columns (*_adj, criticism_share_lo/hi): n coded, coders,
	// α, macro-F1, method and sample ids; null when they are empty.
	Validation *study.Summary `json:"validation"`
	Notes      []string       `json:"notes,omitempty"`
}

// Request asks for one export. Resolve fills its defaults.
type Request struct {
	// Story is the story id. Required.
	Story string
	// What is "series", "reactions", "network", "compare" or "history".
	What string
	// Format is the file format.
	Format Format
	// Tidy writes a series as bucket_start, platform, stance, count.
	Tidy bool
	// From and To bound the range; zero means the default (the story window,
	// else the stored reactions' extent).
	From, To time.Time
	// Interval is the bucket width; zero means automatic (series only).
	Interval series.Interval
	// Loc is the display timezone for bucket alignment (default UTC).
	Loc *time.Location
	// Platform keeps one platform ("" = all).
	Platform reaction.Platform
	// IncludeRoots counts thread starters in a series (by default they are
	// left out, as on the dashboard); a reactions export always holds
	// them, flagged in is_root.
	IncludeRoots bool
	// MinBucket is a series' small-bucket threshold (default
	// coding.DefaultMinBucket; see series.Request).
	MinBucket int
	// Stances keeps these stances (reactions only; empty = all).
	Stances []reaction.Stance
	// Part is the part of a CSV network to write: EdgesPart (default) or
	// NodesPart. WriteFile writes both.
	Part string
	// Quotes makes a network's quote posts edges, counted with the
	// replies; by default they are counted apart.
	Quotes bool
	// Deleted adds to a wide series the column deleted: how many of each
	// bucket's reactions are deleted now.
	Deleted bool
	// ContentOnly leaves out of a history the states whose only change is
	// the score or the reply count.
	ContentOnly bool
	// ChunkRows bounds the reactions grouped per store query (memory on the
	// ClickHouse side); default 200,000.
	ChunkRows int64
	// MetaOnly returns the metadata without writing any data (the row
	// counts are exact all the same).
	MetaOnly bool
	// NoBOM leaves the UTF-8 byte-order mark out of CSV.
	NoBOM bool
	// Command records the command line or request in the metadata.
	Command string
	// Stories are the stories of a comparison (2 to 5); Story is unused.
	Stories []string
	// Align is a comparison's alignment: series.AlignPublished or
	// series.AlignCalendar.
	Align string
	// FromOffset and ToOffset bound a comparison by publication, relative
	// to each story's published moment (nil: the stories' ranges).
	FromOffset, ToOffset *time.Duration
}

// Exporter writes exports from a store.
type Exporter struct {
	Store *store.Store
	// Version is the tool version written into the metadata.
	Version string
	// Now returns the generation time (default time.Now).
	Now func() time.Time
	// Reports caches the stories' coding reports, for corrected series;
	// nil builds the report on each export.
	Reports *study.Cache
}

// report returns the coding report of a story.
func (e *Exporter) report(ctx context.Context, story string) (*study.Report, error) {
	if e.Reports != nil {
		return e.Reports.Get(ctx, e.Store, story)
	}
	return study.Build(ctx, e.Store, story, study.Options{})
}

func (e *Exporter) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Resolve validates req and fills its defaults (range, interval, timezone),
// returning the story record (nil when only reactions are stored) and the
// sources' completeness.
func (e *Exporter) Resolve(ctx context.Context, req *Request) (*store.StoryRecord, []series.SourceStatus, error) {
	if !reaction.ValidStoryID(req.Story) {
		return nil, nil, fmt.Errorf("story %q is not a story id", req.Story)
	}
	switch req.What {
	case "series", "reactions", "network", "history":
	default:
		return nil, nil, fmt.Errorf("what %q is not one of series, reactions, network, history", req.What)
	}
	if req.Loc == nil {
		req.Loc = time.UTC
	}
	rec, err := series.LoadStory(ctx, e.Store, req.Story)
	if err != nil {
		return nil, nil, err
	}
	if req.From.IsZero() || req.To.IsZero() {
		from, to, err := series.DefaultRange(ctx, e.Store, req.Story, rec, e.now())
		if err != nil {
			return nil, nil, err
		}
		if req.From.IsZero() {
			req.From = from
		}
		if req.To.IsZero() {
			req.To = to
		}
	}
	if !req.To.After(req.From) {
		return nil, nil, fmt.Errorf("to %s is not after from %s", req.To.Format(time.RFC3339), req.From.Format(time.RFC3339))
	}
	if req.Interval.Name == "" {
		req.Interval = series.AutoInterval(req.From, req.To)
	}
	runs, err := e.Store.CrawlRuns(ctx, req.Story)
	if err != nil {
		return nil, nil, err
	}
	return rec, series.Completeness(series.StorySources(rec), runs), nil
}

func (e *Exporter) baseMeta(req *Request, rec *store.StoryRecord, srcs []series.SourceStatus) *Meta {
	m := &Meta{Tool: "reactions", ToolVersion: e.Version, GeneratedAt: e.now(), What: req.What, Format: req.Format,
		Story: StoryMeta{ID: req.Story, Definition: json.RawMessage("null")}, Sources: []SourceMeta{},
		From: req.From, To: req.To, Timezone: req.Loc.String(), Platform: string(req.Platform), Command: req.Command,
		Parameters: map[string]string{"story": req.Story, "what": req.What, "format": string(req.Format),
			"from": formatTime(req.From), "to": formatTime(req.To), "tz": req.Loc.String()}}
	if rec != nil {
		m.Story.Title, m.Story.Subject, m.Story.Published = rec.Story.Title, rec.Story.Subject, rec.Story.Published
		if json.Valid([]byte(rec.Definition)) {
			m.Story.Definition = json.RawMessage(rec.Definition)
		}
	}
	for _, s := range srcs {
		sm := SourceMeta{Name: s.Source, Platform: s.Platform, Warning: s.Warning}
		if s.Latest != nil {
			sm.LatestStatus = s.Latest.Status
			t := s.Latest.Started
			sm.LatestRun = &t
		}
		m.Sources = append(m.Sources, sm)
	}
	if req.Platform != "" {
		m.Parameters["platform"] = string(req.Platform)
	}
	return m
}

// Series writes the series of req to w and returns its metadata.
func (e *Exporter) Series(ctx context.Context, req Request, w io.Writer) (*Meta, error) {
	req.What = "series"
	if req.Deleted && req.Tidy {
		return nil, fmt.Errorf("deleted applies to the wide layout (tidy rows are per platform and stance)")
	}
	rec, srcs, err := e.Resolve(ctx, &req)
	if err != nil {
		return nil, err
	}
	sreq := series.Request{Story: req.Story, From: req.From, To: req.To, Interval: req.Interval, Loc: req.Loc,
		Platform: req.Platform, ByPlatform: req.Tidy, IncludeRoots: req.IncludeRoots, MinBucket: req.MinBucket, Deleted: req.Deleted}
	rep, err := e.report(ctx, req.Story)
	if err != nil {
		return nil, err
	}
	validation, correctionNote := study.Correction(rep, req.IncludeRoots, req.MinBucket)
	if validation != nil {
		sreq.Correct = rep.Correct
	}
	s, err := series.Compute(ctx, e.Store, sreq)
	if err != nil {
		return nil, err
	}
	req.From, req.To = s.From, s.To
	m := e.baseMeta(&req, rec, srcs)
	m.Interval, m.Buckets = s.Interval.Name, len(s.Buckets)
	m.Parameters["interval"] = s.Interval.Name
	m.MinBucket, m.Validation = s.MinBucket, validation
	m.Parameters["min_bucket"] = strconv.Itoa(s.MinBucket)
	m.BucketAlignment = Alignment(s.Interval, req.Loc)
	var plats []reaction.Platform
	if req.Platform != "" {
		m.Platform = string(req.Platform)
	}
	cnt, err := e.Store.CountReactions(ctx, store.ReactionQuery{Story: req.Story, From: s.From, To: s.To, Platforms: platformList(req.Platform),
		NoRoots: !req.IncludeRoots})
	if err != nil {
		return nil, err
	}
	m.ClassifierVersions = cnt.Classifiers
	m.Reactions = s.Total().Total
	if req.Tidy {
		m.Layout = "tidy"
		m.Parameters["tidy"] = "true"
		m.Columns = tidyColumns
		plats = tidyPlatforms(s, rec, req.Platform)
		m.RowCount = int64(len(s.Buckets) * len(plats) * len(reaction.Stances))
		if s.Corrected != nil {
			m.RowCount += int64(len(s.Buckets) * len(adjustedNames))
		}
	} else {
		m.Layout = "wide"
		m.Columns = wideColumns
		m.RowCount = int64(len(s.Buckets))
	}
	if req.Deleted {
		m.Columns = append(slices.Clip(m.Columns), deletedColumn)
		m.Parameters["deleted"] = "true"
		m.Notes = append(m.Notes, "deleted counts the bucket's reactions (by created_at) that are deleted or removed on the platform now, as the last crawl saw them; they are in the stance counts too, with their last known stance.")
	}
	m.Parameters["include_roots"] = strconv.FormatBool(req.IncludeRoots)
	roots := "Thread starters (is_root: the post that opens a thread the crawler followed, usually the news itself) are left out; include_roots counts them."
	if req.IncludeRoots {
		roots = "Thread starters (is_root: the post that opens a thread the crawler followed, usually the news itself) are counted (include_roots)."
	}
	m.Notes = append(m.Notes, roots,
		"bucket_start is the bucket's first instant in UTC; buckets are zero-filled and cover [from, to).",
		fmt.Sprintf("criticism_share = criticism / (support + criticism), empty (null) when the bucket has fewer than %d support and criticism reactions (min_bucket): too few to show a share.", s.MinBucket),
		"Counts are exact: current reaction states, duplicates and superseded versions excluded.")
	if validation != nil {
		m.Notes = append(m.Notes, fmt.Sprintf("support_adj, criticism_adj, neutral_adj and criticism_share_adj (with its 95%% interval criticism_share_lo to criticism_share_hi) "+
			"correct the classifier's counts for its errors measured on %d hand-coded reactions (see validation): %s. "+
			"The correction assumes the classifier errs at the same rates in every bucket and on every platform.", validation.NValidation, study.Method))
	} else {
		m.Notes = append(m.Notes, "The corrected columns are empty. "+correctionNote)
	}
	if req.MetaOnly {
		return m, nil
	}
	if cnt.Total != m.Reactions {
		m.Notes = append(m.Notes, fmt.Sprintf("Reactions were being written during the export: %d when counted per classifier, %d in the series.", cnt.Total, m.Reactions))
	}
	rw, err := newWriter(req.Format, w, m, !req.NoBOM, func(w io.Writer) rowWriter {
		switch {
		case req.Tidy:
			return newParquet[TidyRow](w)
		case req.Deleted:
			return newParquet[SeriesDeletedRow](w)
		}
		return newParquet[SeriesRow](w)
	})
	if err != nil {
		return nil, err
	}
	if req.Tidy {
		if err := writeTidy(rw, s, plats); err != nil {
			return nil, fmt.Errorf("write series: %w", err)
		}
	} else if err := writeWide(rw, s, req.Deleted); err != nil {
		return nil, fmt.Errorf("write series: %w", err)
	}
	if err := rw.end(m); err != nil {
		return nil, fmt.Errorf("write series: %w", err)
	}
	return m, nil
}

// Alignment explains how buckets of iv follow tz.
func Alignment(iv series.Interval, loc *time.Location) string {
	switch iv.Name {
	case "1w":
		return "ISO weeks: Monday 00:00 to Monday 00:00 local time in " + loc.String() + " (DST-aware)"
	case "1d":
		return "local days: 00:00 to 00:00 in " + loc.String() + " (DST-aware: a day can be 23 or 25 hours)"
	case "6h":
		return "local quarter days: 00:00, 06:00, 12:00, 18:00 in " + loc.String() + " (DST-aware)"
	}
	return "fixed " + iv.Name + " buckets aligned to the local clock in " + loc.String()
}

func platformList(p reaction.Platform) []reaction.Platform {
	if p == "" {
		return nil
	}
	return []reaction.Platform{p}
}

// tidyPlatforms are the tidy layout's platforms: the filter, else those of
// the story's sources and of the stored counts, in reaction.Platforms order.
func tidyPlatforms(s *series.Series, rec *store.StoryRecord, filter reaction.Platform) []reaction.Platform {
	if filter != "" {
		return []reaction.Platform{filter}
	}
	has := map[reaction.Platform]bool{}
	for _, ps := range s.Platforms {
		has[ps.Platform] = true
	}
	for _, src := range series.StorySources(rec) {
		has[src.Platform] = true
	}
	var out []reaction.Platform
	for _, p := range reaction.Platforms {
		if has[p] {
			out = append(out, p)
		}
	}
	return out
}

var wideColumns = []Column{
	{"bucket_start", "timestamp (UTC)", "first instant of the bucket"},
	{"support", "int64", "reactions supporting the subject"},
	{"criticism", "int64", "reactions criticising the subject"},
	{"neutral", "int64", "reactions neither supporting nor criticising"},
	{"total", "int64", "support + criticism + neutral"},
	{"criticism_share", "float64 or empty", "criticism / (support + criticism); empty below min_bucket support + criticism reactions"},
	{"support_adj", "float64 or empty", "support corrected for the classifier's measured errors; empty without a hand-coded validation"},
	{"criticism_adj", "float64 or empty", "criticism, corrected"},
	{"neutral_adj", "float64 or empty", "neutral, corrected"},
	{"criticism_share_adj", "float64 or empty", "corrected criticism / (support + criticism); empty below min_bucket or without a validation"},
	{"criticism_share_lo", "float64 or empty", "lower bound of criticism_share_adj's 95 % interval"},
	{"criticism_share_hi", "float64 or empty", "upper bound of criticism_share_adj's 95 % interval"},
}

// adjustedNames are the corrected columns of the wide layout, which are
// also the stance values of the tidy layout's corrected rows.
var adjustedNames = []string{"support_adj", "criticism_adj", "neutral_adj", "criticism_share_adj", "criticism_share_lo", "criticism_share_hi"}

// adjustedValues returns e's figures in adjustedNames order (nil for none).
func adjustedValues(e *coding.Estimate) [6]*float64 {
	if e == nil {
		return [6]*float64{}
	}
	s, c, n := e.SupportAdj, e.CriticismAdj, e.NeutralAdj
	return [6]*float64{&s, &c, &n, e.Share, e.Lo, e.Hi}
}

// deletedColumn is the wide series' column with Request.Deleted.
var deletedColumn = Column{"deleted", "int64", "of the bucket's reactions, those deleted or removed on the platform now"}

var tidyColumns = []Column{
	{"bucket_start", "timestamp (UTC)", "first instant of the bucket"},
	{"platform", "string", "platform the reactions were published on"},
	{"stance", "string", "support, criticism or neutral; in the corrected rows (platform all) one of support_adj, criticism_adj, neutral_adj, criticism_share_adj, criticism_share_lo, criticism_share_hi"},
	{"count", "int64 or empty", "reactions; empty in the corrected rows"},
	{"value", "float64 or empty", "count as a number, or the corrected figure the stance names (empty when undefined)"},
}

// ReactionColumns documents the reactions export (the data dictionary).
var ReactionColumns = []Column{
	{"story", "string", "story id"},
	{"platform", "string", "platform the reaction was published on"},
	{"id", "string", "stable platform-prefixed id"},
	{"parent_id", "string", "id of the reaction or post it answers; empty for a top-level post"},
	{"root_id", "string", "id of the thread's root post"},
	{"relation", "string", "how it answers parent_id: reply, or quote (a Bluesky quote post of the parent); empty without a parent"},
	{"is_root", "bool", "the post that starts a thread the crawler followed (usually the news itself); series leave these out by default"},
	{"url", "string", "permalink on the platform"},
	{"created_at", "timestamp (UTC)", "when the platform says it was published"},
	{"first_seen", "timestamp (UTC)", "when reactions first collected it"},
	{"author", "string", "pseudonymised author (keyed hash), or the handle when kept by opt-in"},
	{"content_warning", "string", "the warning shown before the text (Mastodon's spoiler_text), or empty"},
	{"text", "string", "plain text, without the content warning"},
	{"lang", "string", "platform language hint (BCP 47) or empty"},
	{"likes", "int64", "score at collection time: likes, favourites, points, or up minus down votes; can be negative"},
	{"replies", "int64", "replies at collection time"},
	{"deleted", "bool", "deleted or removed on the platform"},
	{"stance", "string", "support, criticism or neutral toward the subject"},
	{"stance_score", "float64", "classifier confidence in [0, 1]"},
	{"classifier", "string", "classifier version that set the stance"},
}

// wideRow is the JSON object of a wide series row.
type wideRow struct {
	BucketStart       string   `json:"bucket_start"`
	Support           int64    `json:"support"`
	Criticism         int64    `json:"criticism"`
	Neutral           int64    `json:"neutral"`
	Total             int64    `json:"total"`
	CriticismShare    *float64 `json:"criticism_share"`
	SupportAdj        *float64 `json:"support_adj"`
	CriticismAdj      *float64 `json:"criticism_adj"`
	NeutralAdj        *float64 `json:"neutral_adj"`
	CriticismShareAdj *float64 `json:"criticism_share_adj"`
	CriticismShareLo  *float64 `json:"criticism_share_lo"`
	CriticismShareHi  *float64 `json:"criticism_share_hi"`
	Deleted           *int64   `json:"deleted,omitempty"`
}

type tidyRow struct {
	BucketStart string   `json:"bucket_start"`
	Platform    string   `json:"platform"`
	Stance      string   `json:"stance"`
	Count       *int64   `json:"count"`
	Value       *float64 `json:"value"`
}

// optFloat formats an optional float cell.
func optFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return formatFloat(*v)
}

func writeWide(rw rowWriter, s *series.Series, deleted bool) error {
	cols := columnNames(wideColumns)
	if deleted {
		cols = append(cols, deletedColumn.Name)
	}
	if err := rw.begin(cols); err != nil {
		return err
	}
	cells := make([]string, len(cols))
	for i, b := range s.Buckets {
		share := s.Share(b.Counts)
		var adj [6]*float64
		if s.Corrected != nil {
			adj = adjustedValues(&s.Corrected[i])
		}
		cells = append(cells[:0], formatTime(b.Start), strconv.FormatInt(b.Support, 10), strconv.FormatInt(b.Criticism, 10),
			strconv.FormatInt(b.Neutral, 10), strconv.FormatInt(b.Total, 10), optFloat(share))
		for _, v := range adj {
			cells = append(cells, optFloat(v))
		}
		obj := wideRow{formatTime(b.Start), b.Support, b.Criticism, b.Neutral, b.Total, share, adj[0], adj[1], adj[2], adj[3], adj[4], adj[5], nil}
		var typed any = SeriesRow{b.Start.UTC(), b.Support, b.Criticism, b.Neutral, b.Total, share, adj[0], adj[1], adj[2], adj[3], adj[4], adj[5]}
		if deleted {
			cells = append(cells, strconv.FormatInt(b.Deleted, 10))
			obj.Deleted = &b.Deleted
			typed = SeriesDeletedRow{b.Start.UTC(), b.Support, b.Criticism, b.Neutral, b.Total, share, adj[0], adj[1], adj[2], adj[3], adj[4], adj[5], b.Deleted}
		}
		if err := rw.row(cells, obj, typed); err != nil {
			return err
		}
	}
	return nil
}

func writeTidy(rw rowWriter, s *series.Series, plats []reaction.Platform) error {
	if err := rw.begin(columnNames(tidyColumns)); err != nil {
		return err
	}
	per := map[reaction.Platform][]series.Counts{}
	for _, ps := range s.Platforms {
		per[ps.Platform] = ps.Counts
	}
	cells := make([]string, len(tidyColumns))
	for i, b := range s.Buckets {
		start := formatTime(b.Start)
		for _, p := range plats {
			var c series.Counts
			if pc := per[p]; pc != nil {
				c = pc[i]
			}
			for _, st := range reaction.Stances {
				n := c.Get(st)
				v := float64(n)
				cells = append(cells[:0], start, string(p), string(st), strconv.FormatInt(n, 10), strconv.FormatInt(n, 10))
				if err := rw.row(cells, tidyRow{start, string(p), string(st), &n, &v}, TidyRow{b.Start.UTC(), string(p), string(st), &n, &v}); err != nil {
					return err
				}
			}
		}
		if s.Corrected == nil {
			continue
		}
		// The corrected figures are the whole bucket's (every platform
		// counted in the series).
		for k, v := range adjustedValues(&s.Corrected[i]) {
			name := adjustedNames[k]
			cells = append(cells[:0], start, AllPlatforms, name, "", optFloat(v))
			if err := rw.row(cells, tidyRow{start, AllPlatforms, name, nil, v}, TidyRow{b.Start.UTC(), AllPlatforms, name, nil, v}); err != nil {
				return err
			}
		}
	}
	return nil
}

// AllPlatforms is the platform of a tidy series' corrected rows: the
// bucket's reactions on every platform the series counts.
const AllPlatforms = "all"

func columnNames(cs []Column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// newWriter returns the row writer of a format; pq makes the Parquet one.
func newWriter(f Format, w io.Writer, m *Meta, bom bool, pq func(io.Writer) rowWriter) (rowWriter, error) {
	switch f {
	case CSV:
		return newCSV(w, bom), nil
	case JSON:
		return &jsonWriter{bw: bufio.NewWriterSize(w, 64<<10), meta: m}, nil
	case NDJSON:
		return &ndjsonWriter{bw: bufio.NewWriterSize(w, 64<<10)}, nil
	case Parquet:
		return pq(w), nil
	}
	return nil, fmt.Errorf("format %q is not one of csv, json, ndjson, parquet", f)
}

// Reactions streams the reactions of req to w (current states, in
// (created_at, id) order) and returns the metadata. The metadata's counts
// are taken before streaming (exactly, from the sign sums) and RowCount is
// set to the rows actually written.
func (e *Exporter) Reactions(ctx context.Context, req Request, w io.Writer) (*Meta, error) {
	req.What = "reactions"
	rec, srcs, err := e.Resolve(ctx, &req)
	if err != nil {
		return nil, err
	}
	m := e.baseMeta(&req, rec, srcs)
	m.Columns = ReactionColumns
	q := store.ReactionQuery{Story: req.Story, From: req.From, To: req.To, Stances: req.Stances, Platforms: platformList(req.Platform), ChunkRows: req.ChunkRows}
	for _, st := range req.Stances {
		m.Stances = append(m.Stances, string(st))
	}
	if len(m.Stances) > 0 {
		m.Parameters["stance"] = fmt.Sprint(m.Stances)
	}
	cnt, err := e.Store.CountReactions(ctx, q)
	if err != nil {
		return nil, err
	}
	m.ClassifierVersions, m.Reactions, m.RowCount = cnt.Classifiers, cnt.Total, cnt.Total
	m.Notes = append(m.Notes, "One row per reaction in its current state (the newest version), ordered by created_at then id; timestamps are UTC.",
		"Thread starters are included, flagged in is_root (the series leave them out by default).",
		"author is a keyed pseudonym unless the researcher opted in to keep handles.")
	if req.MetaOnly {
		return m, nil
	}
	rw, err := newWriter(req.Format, w, m, !req.NoBOM, func(w io.Writer) rowWriter { return newParquet[ReactionRow](w) })
	if err != nil {
		return nil, err
	}
	if err := rw.begin(reaction.Fields); err != nil {
		return nil, fmt.Errorf("write reactions: %w", err)
	}
	var n int64
	cells := make([]string, 0, len(reaction.Fields))
	err = e.Store.EachReaction(ctx, q, func(r *reaction.Reaction) error {
		n++
		cells = reactionCells(r, cells)
		var typed any
		if req.Format == Parquet {
			typed = toRow(r)
		}
		return rw.row(cells, r, typed)
	})
	if err != nil {
		return nil, fmt.Errorf("write reactions: %w", err)
	}
	if n != m.RowCount {
		m.Notes = append(m.Notes, fmt.Sprintf("Reactions were being written during the export: %d counted before, %d written.", m.RowCount, n))
		m.RowCount, m.Reactions = n, n
	}
	if err := rw.end(m); err != nil {
		return nil, fmt.Errorf("write reactions: %w", err)
	}
	return m, nil
}

// WriteFile writes the export of req to path (through a temporary file
// renamed into place, so a failed export leaves no partial file) and its
// metadata sidecar to path + ".meta.json".
func (e *Exporter) WriteFile(ctx context.Context, req Request, path string) (*Meta, error) {
	var m *Meta
	write := func(f io.Writer) error {
		var err error
		switch req.What {
		case "reactions":
			m, err = e.Reactions(ctx, req, f)
		case "compare":
			m, err = e.Compare(ctx, req, f)
		case "history":
			m, err = e.History(ctx, req, f)
		case "network":
			var net *network.Network
			if net, m, err = e.network(ctx, &req); err != nil {
				return err
			}
			if err := writeNetwork(f, net, m, req.Format, EdgesPart, !req.NoBOM); err != nil {
				return err
			}
			if req.Format == CSV {
				// The nodes beside the edge list, from the same reading.
				nodes := NodesPath(path)
				m.NodesFile = filepath.Base(nodes)
				return writeFileAtomic(nodes, func(w io.Writer) error {
					return writeNetwork(w, net, m, CSV, NodesPart, !req.NoBOM)
				}, nil)
			}
		default:
			m, err = e.Series(ctx, req, f)
		}
		return err
	}
	if err := writeFileAtomic(path, write, func() error { return WriteMeta(path+".meta.json", m) }); err != nil {
		return nil, err
	}
	return m, nil
}

// writeFileAtomic writes path through a temporary file renamed into place
// once written and once before (when not nil) succeeded, so that a failed
// export leaves no partial file.
func writeFileAtomic(path string, write func(io.Writer) error, before func() error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("create export file: %w", err)
	}
	defer os.Remove(f.Name())              // a no-op once renamed
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		f.Close()
		return fmt.Errorf("create export file: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write export file: %w", err)
	}
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write export file: %w", err)
	}
	return nil
}

// WriteMeta writes a metadata sidecar (indented JSON).
func WriteMeta(path string, m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode export metadata: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write export metadata: %w", err)
	}
	return nil
}
