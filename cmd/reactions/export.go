package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/figure"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
)

func init() {
	register(command{
		name:    "export",
		summary: "export a story: --story ID --what series|reactions|history|network|figure [--format csv|json|ndjson|parquet|graphml|gexf|svg|png] [--out FILE]; compare stories: --what compare --story A,B[,…] --align published|calendar",
		run:     runExport,
	})
}

// runExport parses the export flags, checks them against what each kind
// of export accepts, and writes the export and its metadata sidecar. It is
// long because it is the one table of flags and rules for every kind.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "")
	storyID := fs.String("story", "", "the story `ID`; required (compare: 2 to 5 ids, comma-separated)")
	what := fs.String("what", "series", "what to export: series, reactions, history (every observed state: edits, deletions), network (the signed reply network), compare (stories side by side) or figure")
	align := fs.String("align", "published", "compare: align the stories by the time since each was published (published) or by calendar time (calendar)")
	format := fs.String("format", "", "csv, json, ndjson or parquet (network: graphml, gexf or csv; figure: svg or png); default csv (network: graphml, figure: svg)")
	out := fs.String("out", "", "write to `FILE` (and FILE.meta.json); \"-\" writes to stdout without a sidecar; default STORY-WHAT[-INTERVAL].FORMAT")
	interval := fs.String("interval", "auto", "bucket width: auto, "+series.IntervalNames())
	from := fs.String("from", "", "start of the range, RFC 3339 or YYYY-MM-DD (UTC); default the story window, else the data's extent (compare --align published: an offset from publication like -6h or 2d)")
	to := fs.String("to", "", "end of the range (exclusive), RFC 3339 or YYYY-MM-DD (UTC) (compare --align published: an offset like 72h)")
	tz := fs.String("tz", "UTC", "display `TIMEZONE` the buckets align to (IANA name, e.g. Europe/Berlin)")
	platform := fs.String("platform", "", "keep one platform: "+strings.Join(platformStrings(), ", "))
	stance := fs.String("stance", "", "reactions: keep these stances (comma-separated: support, criticism, neutral)")
	tidy := fs.Bool("tidy", false, "series: one row per bucket, platform and stance (bucket_start,platform,stance,count)")
	minBucket := fs.Int("min-bucket", coding.DefaultMinBucket, "series: the fewest support + criticism reactions a bucket needs to show a criticism share, raw or corrected")
	includeRoots := fs.Bool("include-roots", false, "series, figure: count thread starters too (the post opening each thread the crawler followed, usually the news itself; left out by default)")
	noBOM := fs.Bool("no-bom", false, "CSV: leave out the UTF-8 byte-order mark (it lets Excel read UTF-8)")
	mode := fs.String("mode", "stacked", "figure: stacked or lines")
	deleted := fs.Bool("deleted", false, "series: add the column deleted, the bucket's reactions deleted on the platform now")
	changes := fs.String("changes", "all", "history: all observed states, or content (leave out the states whose only change is the score or the reply count)")
	quotes := fs.Bool("quotes", false, "network: make quote posts (Bluesky) edges too, counted with the replies; by default they are counted apart")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	req := export.Request{Story: *storyID, What: *what, Tidy: *tidy, NoBOM: *noBOM, IncludeRoots: *includeRoots, MinBucket: *minBucket,
		Quotes: *quotes, Deleted: *deleted, ContentOnly: *changes == "content",
		Command: "reactions export " + strings.Join(args, " ")}
	var err error
	if *what == "compare" {
		req.Stories = strings.Split(*storyID, ",")
		req.Story = req.Stories[0]
		if len(req.Stories) < series.MinCompare || len(req.Stories) > series.MaxCompare {
			return usageErrorf("--what compare: --story names %d to %d stories, comma-separated (A,B)", series.MinCompare, series.MaxCompare)
		}
		if req.Align, err = export.ParseAlign(*align); err != nil {
			return usageErrorf("--align: %v", err)
		}
	}
	switch {
	case *storyID == "":
		return usageErrorf("--story ID is required")
	case !reaction.ValidStoryID(req.Story):
		return usageErrorf("--story %q is not a story id (lowercase letters, digits and '-')", req.Story)
	case *what != "series" && *what != "reactions" && *what != "history" && *what != "network" && *what != "compare" && *what != "figure":
		return usageErrorf("--what %q: use series, reactions, history, network, compare or figure", *what)
	case *deleted && (*what != "series" || *tidy):
		return usageErrorf("--deleted applies to --what series, wide (not --tidy)")
	case *changes != "all" && *changes != "content":
		return usageErrorf("--changes %q: use all or content", *changes)
	case *changes != "all" && *what != "history":
		return usageErrorf("--changes applies to --what history only")
	case *minBucket < 1:
		return usageErrorf("--min-bucket %d: want at least 1", *minBucket)
	case *tidy && *what != "series":
		return usageErrorf("--tidy applies to --what series only")
	case *tidy && *what == "compare", *what == "compare" && *format != "" && *format != "csv":
		return usageErrorf("--what compare writes one wide CSV (a row per bucket, a column group per story)")
	case *stance != "" && *what == "history":
		return usageErrorf("--stance does not apply to --what history: each observed state has its own stance")
	case *stance != "" && *what != "reactions":
		return usageErrorf("--stance applies to --what reactions only")
	case *includeRoots && (*what == "reactions" || *what == "history"):
		return usageErrorf("--include-roots applies to series and figures: a reactions export always holds the thread starters, flagged in is_root")
	case *includeRoots && *what == "network":
		return usageErrorf("--include-roots applies to series and figures: thread starters' authors are always nodes of a network, their posts never counted as reactions")
	case *quotes && *what != "network":
		return usageErrorf("--quotes applies to --what network only")
	case *mode != "stacked" && *mode != "lines":
		return usageErrorf("--mode %q: use stacked or lines", *mode)
	}
	if *format == "" {
		*format = map[string]string{"figure": "svg", "network": "graphml"}[*what]
		if *format == "" {
			*format = "csv"
		}
	}
	switch *what {
	case "figure":
		if *format != "svg" && *format != "png" {
			return usageErrorf("--format %q: a figure is svg or png", *format)
		}
	case "network":
		f, err := export.ParseNetworkFormat(*format)
		if err != nil {
			return usageErrorf("--format: %v", err)
		}
		if f == export.CSV && *out == "-" {
			return usageErrorf("a CSV network is two files (the edge list and the nodes): give --out FILE.csv, or use --format graphml or gexf")
		}
		req.Format = f
	default:
		f, err := export.ParseFormat(*format)
		if err != nil {
			return usageErrorf("--format: %v", err)
		}
		req.Format = f
	}
	if req.What == "compare" && req.Align == series.AlignPublished {
		if req.FromOffset, err = parseFlagOffset("--from", *from); err != nil {
			return err
		}
		if req.ToOffset, err = parseFlagOffset("--to", *to); err != nil {
			return err
		}
		if req.FromOffset != nil && req.ToOffset != nil && *req.ToOffset <= *req.FromOffset {
			return usageErrorf("--to %s is not after --from %s", *to, *from)
		}
	} else {
		if req.From, err = parseFlagTime("--from", *from); err != nil {
			return err
		}
		if req.To, err = parseFlagTime("--to", *to); err != nil {
			return err
		}
	}
	if !req.From.IsZero() && !req.To.IsZero() && !req.To.After(req.From) {
		return usageErrorf("--to %s is not after --from %s", *to, *from)
	}
	if *interval != "auto" && *interval != "" {
		if req.Interval, err = series.ParseInterval(*interval); err != nil {
			return usageErrorf("--interval: %v", err)
		}
	}
	if req.Loc, err = time.LoadLocation(*tz); err != nil || *tz == "Local" || *tz == "" {
		return usageErrorf("--tz %q is not an IANA timezone name like Europe/Berlin", *tz)
	}
	if *platform != "" {
		if !reaction.Platform(*platform).Valid() {
			return usageErrorf("--platform %q is not one of %s", *platform, strings.Join(platformStrings(), ", "))
		}
		req.Platform = reaction.Platform(*platform)
	}
	if *stance != "" {
		for _, s := range strings.Split(*stance, ",") {
			if !reaction.Stance(s).Valid() {
				return usageErrorf("--stance %q is not one of support, criticism, neutral", s)
			}
			req.Stances = append(req.Stances, reaction.Stance(s))
		}
	}

	st, err := openStory(ctx, stateDirectory(), req.Story, *database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	exp := &export.Exporter{Store: st, Version: Version}
	path := *out
	if path == "" {
		path = defaultExportName(req, *format)
	}
	if *what == "figure" {
		return exportFigure(ctx, exp, req, *format, *mode == "stacked", path, stdout, stderr)
	}
	if path == "-" {
		var m *export.Meta
		switch req.What {
		case "compare":
			m, err = exp.Compare(ctx, req, stdout)
		case "history":
			m, err = exp.History(ctx, req, stdout)
		case "reactions":
			m, err = exp.Reactions(ctx, req, stdout)
		case "network":
			m, err = exp.Network(ctx, req, stdout)
		default:
			m, err = exp.Series(ctx, req, stdout)
		}
		if err != nil {
			return err
		}
		if req.What == "network" {
			printNetworkSummary(stderr, m)
		}
		if req.Format != export.JSON {
			fmt.Fprintf(stderr, "reactions export: %d rows to stdout; no metadata sidecar (use --out FILE to get FILE.meta.json)\n", m.RowCount)
		}
		return nil
	}
	m, err := exp.WriteFile(ctx, req, path)
	if err != nil {
		return err
	}
	switch {
	case m.NodesFile != "":
		fmt.Fprintf(stdout, "wrote %d edges to %s, %d nodes to %s and the metadata to %s.meta.json\n", m.RowCount, path,
			m.Network.Nodes, export.NodesPath(path), path)
	case req.What == "network":
		fmt.Fprintf(stdout, "wrote %d nodes and %d edges to %s and its metadata to %s.meta.json\n", m.Network.Nodes, m.Network.Edges, path, path)
	default:
		fmt.Fprintf(stdout, "wrote %d rows to %s and its metadata to %s.meta.json\n", m.RowCount, path, path)
	}
	if req.What == "network" {
		printNetworkSummary(stdout, m)
	}
	return nil
}

// printNetworkSummary prints what a researcher reports of a reply network.
func printNetworkSummary(w io.Writer, m *export.Meta) {
	s := m.Network
	pct := func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f %%", 100**v)
	}
	rec := "– (no edges)"
	if s.Reciprocity != nil {
		rec = fmt.Sprintf("%.3f", *s.Reciprocity)
	}
	a := s.Apart
	fmt.Fprintf(w, "network: %d nodes, %d edges (%d replies of %d reactions), reciprocity %s\n", s.Nodes, s.Edges, s.Replies, s.Reactions, rec)
	fmt.Fprintf(w, "  criticism→support edges: %d (%s of edges); support→criticism edges: %d (%s)\n",
		s.CriticismToSupport, pct(s.CriticismToSupportShare), s.SupportToCriticism, pct(s.SupportToCriticismShare))
	fmt.Fprintf(w, "  counted apart: %d deleted, %d without a pseudonym, %d replies to parents not stored, %d to deleted ones, %d to ones without a pseudonym, %d self-replies, %d quote posts; %d top-level reactions\n",
		a.DeletedReactions, a.NoAuthor, a.ParentNotStored, a.ParentDeleted, a.ParentNoAuthor, a.SelfReplies, a.Quotes, s.TopLevel)
}

// exportFigure writes the chart as SVG or PNG with a metadata sidecar (the
// series' metadata).
func exportFigure(ctx context.Context, exp *export.Exporter, req export.Request, format string, stacked bool, path string, stdout, stderr io.Writer) error {
	req.What, req.Format, req.MetaOnly = "series", export.CSV, true
	if req.Interval.Name == "" { // automatic: coarser than on screen
		if _, _, err := exp.Resolve(ctx, &req); err != nil {
			return err
		}
		req.Interval = series.AutoIntervalMax(req.From, req.To, figure.AutoBuckets)
	}
	m, err := exp.Series(ctx, req, io.Discard) // resolves the range and interval, and counts
	if err != nil {
		return err
	}
	rec, err := series.LoadStory(ctx, exp.Store, req.Story)
	if err != nil {
		return err
	}
	iv, _ := series.ParseInterval(m.Interval)
	sreq := series.Request{Story: req.Story, From: m.From, To: m.To, Interval: iv, Loc: req.Loc, Platform: req.Platform, IncludeRoots: req.IncludeRoots}
	p, opt, err := figure.Build(ctx, exp.Store, sreq, rec, stacked, time.Now())
	if err != nil {
		return err
	}
	m.What, m.Format, m.Layout, m.RowCount, m.Columns = "figure", export.Format(format), map[bool]string{true: "stacked", false: "lines"}[stacked], 0, nil
	if path == "-" {
		return figure.Write(stdout, p, format, opt)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create figure file: %w", err)
	}
	if err := figure.Write(f, p, format, opt); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write figure file: %w", err)
	}
	if err := export.WriteMeta(path+".meta.json", m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the figure to %s and its metadata to %s.meta.json\n", path, path)
	return nil
}

func defaultExportName(req export.Request, format string) string {
	parts := []string{req.Story, req.What}
	if req.What == "compare" {
		parts = []string{strings.Join(req.Stories, "-vs-"), req.Align}
	}
	if req.Tidy {
		parts = append(parts, "tidy")
	}
	if req.Interval.Name != "" && (req.What == "series" || req.What == "compare" || req.What == "figure") {
		parts = append(parts, req.Interval.Name)
	}
	if req.Platform != "" {
		parts = append(parts, string(req.Platform))
	}
	return strings.Join(parts, "-") + "." + format
}

// parseFlagOffset reads an offset from publication: a Go duration (-6h,
// 90m, 72h) or whole days (2d, -1d); nil when v is empty.
func parseFlagOffset(name, v string) (*time.Duration, error) {
	if v == "" {
		return nil, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > -10000 && n < 10000 {
			d := time.Duration(n) * 24 * time.Hour
			return &d, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return nil, usageErrorf("%s %q is not an offset from publication like -6h, 90m, 72h or 2d", name, v)
	}
	return &d, nil
}

// parseFlagTime reads an RFC 3339 time or a YYYY-MM-DD date (UTC midnight).
func parseFlagTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, usageErrorf("%s %q is not an RFC 3339 time (2020-10-01T00:00:00Z) or a date (2020-10-01)", name, v)
}

func platformStrings() []string {
	var out []string
	for _, p := range reaction.Platforms {
		out = append(out, string(p))
	}
	return out
}
