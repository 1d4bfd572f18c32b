package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// queryTimeout bounds one API query.
const queryTimeout = 30 * time.Second

// StoryInfo is one story in GET /api/v1/stories.
type StoryInfo struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Subject     []string           `json:"subject"`
	Published   *time.Time         `json:"published"`
	Window      *story.Window      `json:"window"`
	Annotations []story.Annotation `json:"annotations"`
	Poll        string             `json:"poll"`
	Sources     []SourceInfo       `json:"sources"`
	Demo        bool               `json:"demo"`
	DemoReport  string             `json:"demo_report,omitempty"`
	Updated     time.Time          `json:"updated"`
}

// SourceInfo names one source of a story.
type SourceInfo struct {
	Name     string            `json:"name"`
	Platform reaction.Platform `json:"platform"`
}

func (s *Server) stories(r *http.Request) (any, error) {
	if _, e := newParams(r); e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	recs, err := s.st.Stories(ctx)
	if err != nil {
		return nil, err
	}
	out := []StoryInfo{}
	for i := range recs {
		rec := &recs[i]
		st := rec.Story
		info := StoryInfo{ID: st.ID, Title: st.Title, Subject: st.Subject, Window: st.Window,
			Annotations: st.Annotations, Poll: story.Duration(series.Poll(rec)).String(), Sources: []SourceInfo{},
			Demo: series.Demo(st.ID, rec), DemoReport: st.DemoReport, Updated: rec.Updated}
		if info.Subject == nil {
			info.Subject = []string{}
		}
		if info.Annotations == nil {
			info.Annotations = []story.Annotation{}
		}
		if !st.Published.IsZero() {
			p := st.Published
			info.Published = &p
		}
		for _, src := range series.StorySources(rec) {
			info.Sources = append(info.Sources, SourceInfo{src.Name, src.Platform})
		}
		out = append(out, info)
	}
	return map[string]any{"stories": out}, nil
}

// BucketJSON is one bucket of GET /api/v1/series.
type BucketJSON struct {
	Start      time.Time `json:"start"`
	StartLocal string    `json:"start_local"`
	Support    int64     `json:"support"`
	Criticism  int64     `json:"criticism"`
	Neutral    int64     `json:"neutral"`
	Total      int64     `json:"total"`
	// CriticismShare is null below the small-bucket threshold (min_bucket).
	CriticismShare *float64 `json:"criticism_share"`
	AdjustedJSON
}

// AdjustedJSON are a bucket's figures corrected for the classifier's
// measured errors: the corrected counts, the corrected criticism share and
// its 95 % interval. All are null when the story has no correction (see
// SeriesJSON.Correction); the share and its interval also below the
// small-bucket threshold.
type AdjustedJSON struct {
	SupportAdj        *float64 `json:"support_adj"`
	CriticismAdj      *float64 `json:"criticism_adj"`
	NeutralAdj        *float64 `json:"neutral_adj"`
	CriticismShareAdj *float64 `json:"criticism_share_adj"`
	CriticismShareLo  *float64 `json:"criticism_share_lo"`
	CriticismShareHi  *float64 `json:"criticism_share_hi"`
}

// adjusted returns the JSON of a corrected estimate (nil: none).
func adjusted(e *coding.Estimate) AdjustedJSON {
	if e == nil {
		return AdjustedJSON{}
	}
	s, c, n := e.SupportAdj, e.CriticismAdj, e.NeutralAdj
	return AdjustedJSON{SupportAdj: &s, CriticismAdj: &c, NeutralAdj: &n, CriticismShareAdj: e.Share, CriticismShareLo: e.Lo, CriticismShareHi: e.Hi}
}

// PlatformJSON is one platform's series, aligned with the buckets.
type PlatformJSON struct {
	Platform  reaction.Platform `json:"platform"`
	Support   []int64           `json:"support"`
	Criticism []int64           `json:"criticism"`
	Neutral   []int64           `json:"neutral"`
	Total     []int64           `json:"total"`
}

// SpikeJSON is one spike.
type SpikeJSON struct {
	Index int       `json:"index"`
	Start time.Time `json:"start"`
	// StartLocal is Start in the display timezone.
	StartLocal     string    `json:"start_local"`
	End            time.Time `json:"end"`
	Support        int64     `json:"support"`
	Criticism      int64     `json:"criticism"`
	Neutral        int64     `json:"neutral"`
	Total          int64     `json:"total"`
	CriticismShare *float64  `json:"criticism_share"`
	Baseline       float64   `json:"baseline"`
	Score          float64   `json:"score"`
}

// SeriesJSON is the answer of GET /api/v1/series.
type SeriesJSON struct {
	Story           string            `json:"story"`
	Interval        string            `json:"interval"`
	IntervalAuto    bool              `json:"interval_auto"`
	TZ              string            `json:"tz"`
	BucketAlignment string            `json:"bucket_alignment"`
	From            time.Time         `json:"from"`
	To              time.Time         `json:"to"`
	FromLocal       string            `json:"from_local"`
	ToLocal         string            `json:"to_local"`
	Platform        reaction.Platform `json:"platform,omitempty"`
	// IncludeRoots says whether thread starters are counted (include_roots=1);
	// by default they are left out.
	IncludeRoots bool `json:"include_roots"`
	// MinBucket is the small-bucket threshold: a bucket with fewer support
	// + criticism reactions shows no share, raw or corrected.
	MinBucket int `json:"min_bucket"`
	// Correction describes the validation behind the *_adj fields; null
	// when there are none, and CorrectionNote says why.
	Correction     *study.Summary `json:"correction"`
	CorrectionNote string         `json:"correction_note,omitempty"`
	Buckets        []BucketJSON   `json:"buckets"`
	Totals         BucketTotals   `json:"totals"`
	Platforms      []PlatformJSON `json:"platforms,omitempty"`
	Spikes         []SpikeJSON    `json:"spikes"`
}

// BucketTotals sums the buckets (and corrects the sum).
type BucketTotals struct {
	series.Counts
	CriticismShare *float64 `json:"criticism_share"`
	AdjustedJSON
}

const localLayout = "2006-01-02T15:04:05-07:00"

// seriesRequest reads the series parameters shared by /series and /figure:
// story, from, to, interval, tz, platform, include_roots, min_bucket (and
// by when allowed).
func (s *Server) seriesRequest(ctx context.Context, p *params) (series.Request, *store.StoryRecord, bool, error) {
	var req series.Request
	var e *apiError
	if req.Story, e = p.story(); e != nil {
		return req, nil, false, e
	}
	if req.From, req.To, e = p.rangeParams(); e != nil {
		return req, nil, false, e
	}
	if req.Interval, e = p.interval(); e != nil {
		return req, nil, false, e
	}
	if req.Loc, e = p.tz(); e != nil {
		return req, nil, false, e
	}
	if req.Platform, e = p.platform(); e != nil {
		return req, nil, false, e
	}
	if req.IncludeRoots, e = p.boolean("include_roots"); e != nil {
		return req, nil, false, e
	}
	if req.MinBucket, e = p.minBucket(); e != nil {
		return req, nil, false, e
	}
	rec, err := s.loadStory(ctx, req.Story)
	if err != nil {
		return req, nil, false, err
	}
	if err := s.defaultRange(ctx, &req.From, &req.To, req.Story, rec); err != nil {
		return req, nil, false, err
	}
	auto := req.Interval.Name == ""
	if auto {
		req.Interval = series.AutoInterval(req.From, req.To)
	}
	return req, rec, auto, nil
}

func (s *Server) loadStory(ctx context.Context, id string) (*store.StoryRecord, error) {
	rec, err := series.LoadStory(ctx, s.st, id)
	if errors.Is(err, series.ErrNoStory) {
		msg := fmt.Sprintf("story: no story %q is stored", id)
		// Another database of the server may hold it (the demo keeps its
		// story in one of its own): say where.
		if others, err := s.st.DatabasesWithStory(ctx, id); err == nil && len(others) > 0 {
			msg += fmt.Sprintf(" in database %s; the same server holds it in database %s: start the dashboard with --database %s",
				s.st.Database(), strings.Join(others, " and "), others[0])
		}
		return nil, &apiError{Status: http.StatusNotFound, Param: "story", Msg: msg}
	}
	return rec, err
}

// defaultRange fills a missing from or to (story window, else data extent).
func (s *Server) defaultRange(ctx context.Context, from, to *time.Time, id string, rec *store.StoryRecord) error {
	if !from.IsZero() && !to.IsZero() {
		return nil
	}
	f, t, err := series.DefaultRange(ctx, s.st, id, rec, s.opt.Now())
	if err != nil {
		return err
	}
	switch {
	case from.IsZero() && to.IsZero():
		*from, *to = f, t
	case from.IsZero():
		*from = f
		if !to.After(*from) {
			*from = to.Add(-7 * 24 * time.Hour)
		}
	default:
		*to = t
		if !to.After(*from) {
			*to = from.Add(7 * 24 * time.Hour)
		}
	}
	return nil
}

func (s *Server) computeSeries(ctx context.Context, req series.Request) (*series.Series, error) {
	sr, err := series.Compute(ctx, s.st, req)
	if errors.Is(err, series.ErrTooManyBuckets) {
		return nil, badParam("interval", "%s", err)
	}
	return sr, err
}

// correction sets req.Correct to the story's correction when it has one,
// and returns the validation behind it, or why there is none.
func (s *Server) correction(ctx context.Context, req *series.Request) (*study.Summary, string, error) {
	rep, err := s.reports.Get(ctx, s.st, req.Story)
	if err != nil {
		return nil, "", err
	}
	sum, note := study.Correction(rep, req.IncludeRoots, req.MinBucket)
	if sum != nil {
		req.Correct = rep.Correct
	}
	return sum, note, nil
}

func (s *Server) series(r *http.Request) (any, error) {
	p, e := newParams(r, "story", "from", "to", "interval", "tz", "platform", "by", "include_roots", "min_bucket")
	if e != nil {
		return nil, e
	}
	by, e := p.oneOf("by", "", "platform")
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	req, _, auto, err := s.seriesRequest(ctx, p)
	if err != nil {
		return nil, err
	}
	req.ByPlatform = by == "platform"
	sum, note, err := s.correction(ctx, &req)
	if err != nil {
		return nil, err
	}
	sr, err := s.computeSeries(ctx, req)
	if err != nil {
		return nil, err
	}
	out := seriesJSON(sr, auto)
	out.Correction, out.CorrectionNote = sum, note
	return out, nil
}

func seriesJSON(sr *series.Series, auto bool) *SeriesJSON {
	loc := sr.Loc
	out := &SeriesJSON{Story: sr.Story, Interval: sr.Interval.Name, IntervalAuto: auto, TZ: loc.String(),
		BucketAlignment: export.Alignment(sr.Interval, loc), From: sr.From, To: sr.To,
		FromLocal: sr.From.In(loc).Format(localLayout), ToLocal: sr.To.In(loc).Format(localLayout),
		Platform: sr.Platform, IncludeRoots: sr.IncludeRoots, MinBucket: sr.MinBucket, Buckets: make([]BucketJSON, len(sr.Buckets)), Spikes: []SpikeJSON{}}
	for i, b := range sr.Buckets {
		out.Buckets[i] = BucketJSON{Start: b.Start, StartLocal: b.Start.In(loc).Format(localLayout), Support: b.Support,
			Criticism: b.Criticism, Neutral: b.Neutral, Total: b.Total, CriticismShare: sr.Share(b.Counts)}
		if sr.Corrected != nil {
			out.Buckets[i].AdjustedJSON = adjusted(&sr.Corrected[i])
		}
	}
	t := sr.Total()
	out.Totals = BucketTotals{Counts: t, CriticismShare: sr.Share(t), AdjustedJSON: adjusted(sr.TotalCorrected)}
	for _, ps := range sr.Platforms {
		pj := PlatformJSON{Platform: ps.Platform, Support: make([]int64, len(ps.Counts)), Criticism: make([]int64, len(ps.Counts)),
			Neutral: make([]int64, len(ps.Counts)), Total: make([]int64, len(ps.Counts))}
		for i, c := range ps.Counts {
			pj.Support[i], pj.Criticism[i], pj.Neutral[i], pj.Total[i] = c.Support, c.Criticism, c.Neutral, c.Total
		}
		out.Platforms = append(out.Platforms, pj)
	}
	for _, sp := range sr.Spikes() {
		b := sr.Buckets[sp.Index]
		out.Spikes = append(out.Spikes, SpikeJSON{Index: sp.Index, Start: b.Start, StartLocal: b.Start.In(loc).Format(localLayout),
			End: b.End, Support: b.Support, Criticism: b.Criticism, Neutral: b.Neutral, Total: b.Total,
			CriticismShare: sr.Share(b.Counts), Baseline: sp.Baseline, Score: sp.Score})
	}
	return out
}

// ReactionJSON is one reaction in GET /api/v1/reactions. The author is left
// out: the dashboard never shows who reacted (exports carry the pseudonym).
type ReactionJSON struct {
	ID          string            `json:"id"`
	Platform    reaction.Platform `json:"platform"`
	CreatedAt   time.Time         `json:"created_at"`
	Stance      reaction.Stance   `json:"stance"`
	StanceScore float64           `json:"stance_score"`
	Text        string            `json:"text"`
	URL         string            `json:"url"`
	Lang        string            `json:"lang"`
	Likes       int64             `json:"likes"`
	Replies     int64             `json:"replies"`
	Deleted     bool              `json:"deleted"`
	ParentID    string            `json:"parent_id"`
	// Relation is "reply" or "quote" (see reaction.Reaction.Relation).
	Relation string `json:"relation"`
	// IsRoot flags a thread starter: the list keeps them, the series leave
	// them out by default.
	IsRoot bool `json:"is_root"`
	// ContentWarning is shown before Text (Mastodon's spoiler_text).
	ContentWarning string `json:"content_warning"`
	// States counts the reaction's observed states (1: never seen to
	// change), Edited says whether its text or content warning was
	// edited, and DeletedAfterHours, for a reaction seen visible and then
	// deleted, is how many hours after its posting it was first seen
	// deleted (it was deleted before); null otherwise.
	States            int      `json:"states"`
	Edited            bool     `json:"edited"`
	DeletedAfterHours *float64 `json:"deleted_after_hours"`
}

// ReactionsJSON is the answer of GET /api/v1/reactions.
type ReactionsJSON struct {
	Story    string              `json:"story"`
	From     time.Time           `json:"from"`
	To       time.Time           `json:"to"`
	Stance   []reaction.Stance   `json:"stance"`
	Platform []reaction.Platform `json:"platform"`
	// Thread is the thread listed (its root id), "" for all.
	Thread     string         `json:"thread,omitempty"`
	Count      int64          `json:"count"`
	Reactions  []ReactionJSON `json:"reactions"`
	NextCursor *string        `json:"next_cursor"`
}

func (s *Server) reactions(r *http.Request) (any, error) {
	p, e := newParams(r, "story", "from", "to", "stance", "platform", "thread", "limit", "cursor")
	if e != nil {
		return nil, e
	}
	q := store.ReactionQuery{}
	if q.Story, e = p.story(); e != nil {
		return nil, e
	}
	if q.From, q.To, e = p.rangeParams(); e != nil {
		return nil, e
	}
	if q.Stances, e = p.stances(); e != nil {
		return nil, e
	}
	if q.Platforms, e = p.platforms(); e != nil {
		return nil, e
	}
	if q.Thread, e = p.thread(); e != nil {
		return nil, e
	}
	if q.Limit, e = p.limit(); e != nil {
		return nil, e
	}
	if q.After, e = p.cursor(); e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rec, err := s.loadStory(ctx, q.Story)
	if err != nil {
		return nil, err
	}
	if err := s.defaultRange(ctx, &q.From, &q.To, q.Story, rec); err != nil {
		return nil, err
	}
	cnt, err := s.st.CountReactions(ctx, q)
	if err != nil {
		return nil, err
	}
	rs, more, err := s.st.Reactions(ctx, q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	hist, err := s.st.HistorySummaries(ctx, q.Story, ids)
	if err != nil {
		return nil, err
	}
	out := &ReactionsJSON{Story: q.Story, From: q.From, To: q.To, Stance: q.Stances, Platform: q.Platforms, Thread: q.Thread,
		Count: cnt.Total, Reactions: make([]ReactionJSON, len(rs))}
	if out.Stance == nil {
		out.Stance = []reaction.Stance{}
	}
	if out.Platform == nil {
		out.Platform = []reaction.Platform{}
	}
	for i, x := range rs {
		out.Reactions[i] = ReactionJSON{ID: x.ID, Platform: x.Platform, CreatedAt: x.CreatedAt, Stance: x.Stance,
			StanceScore: x.StanceScore, Text: x.Text, URL: x.URL, Lang: x.Lang, Likes: x.Likes, Replies: x.Replies,
			Deleted: x.Deleted, ParentID: x.ParentID, Relation: x.Relation, IsRoot: x.IsRoot, ContentWarning: x.ContentWarning}
		h := hist[x.ID]
		out.Reactions[i].States, out.Reactions[i].Edited = max(h.States, 1), h.Edits > 0
		if x.Deleted && !h.DeletedAt.IsZero() {
			d := h.DeletedAt.Sub(x.CreatedAt).Hours()
			out.Reactions[i].DeletedAfterHours = &d
		}
	}
	if more {
		last := rs[len(rs)-1]
		c := encodeCursor(store.ReactionKey{CreatedAt: last.CreatedAt, ID: last.ID})
		out.NextCursor = &c
	}
	return out, nil
}

// CrawlsJSON is the answer of GET /api/v1/crawls.
type CrawlsJSON struct {
	Story    string        `json:"story"`
	Poll     string        `json:"poll"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Running  bool          `json:"running"`
	Refresh  float64       `json:"refresh_seconds"`
	Sources  []SourceJSON  `json:"sources"`
	Warnings []WarningJSON `json:"warnings"`
	// NotCrawled are the periods of [from, to) a source was not crawled.
	NotCrawled          []series.Gap `json:"not_crawled"`
	NotCrawledExplained string       `json:"not_crawled_explained"`
}

// WarningJSON is one loud warning about a source.
type WarningJSON struct {
	Source   string            `json:"source"`
	Platform reaction.Platform `json:"platform"`
	Warning  string            `json:"warning"`
}

func (s *Server) crawls(r *http.Request) (any, error) {
	p, e := newParams(r, "story", "from", "to")
	if e != nil {
		return nil, e
	}
	id, e := p.story()
	if e != nil {
		return nil, e
	}
	from, to, e := p.rangeParams()
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	rec, err := s.loadStory(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.defaultRange(ctx, &from, &to, id, rec); err != nil {
		return nil, err
	}
	runs, err := s.st.CrawlRuns(ctx, id)
	if err != nil {
		return nil, err
	}
	hist, err := series.History(ctx, s.st, id, rec)
	if err != nil {
		return nil, err
	}
	poll := series.Poll(rec)
	out := &CrawlsJSON{Story: id, Poll: story.Duration(poll).String(), From: from, To: to, Refresh: s.opt.Refresh.Seconds(),
		Sources: []SourceJSON{}, Warnings: []WarningJSON{},
		NotCrawled: series.NotCrawled(runs, poll, hist, from, to, s.opt.Now()), NotCrawledExplained: series.CoverageExplained}
	if out.NotCrawled == nil {
		out.NotCrawled = []series.Gap{}
	}
	for _, src := range series.Completeness(series.StorySources(rec), runs) {
		sj := SourceJSON{Source: src.Source, Platform: src.Platform, Warning: src.Warning, Runs: []RunJSON{}}
		for _, r := range src.Runs {
			sj.Runs = append(sj.Runs, runJSON(r))
		}
		if src.Latest != nil {
			l := runJSON(*src.Latest)
			sj.Latest = &l
			if l.Status == reaction.RunRunning {
				out.Running = true
			}
		}
		if src.Warning != "" {
			out.Warnings = append(out.Warnings, WarningJSON{src.Source, src.Platform, src.Warning})
		}
		out.Sources = append(out.Sources, sj)
	}
	return out, nil
}

// SourceJSON is one source's completeness in GET /api/v1/crawls.
type SourceJSON struct {
	Source   string            `json:"source"`
	Platform reaction.Platform `json:"platform"`
	// Warning is empty when all is well, else one sentence to show loudly.
	Warning string `json:"warning"`
	// Latest is the newest run, null when the source never ran.
	Latest *RunJSON `json:"latest"`
	// Runs are the newest runs, newest first (at most 10).
	Runs []RunJSON `json:"runs"`
}

// RunJSON is one crawl run; Finished is null while it runs.
type RunJSON struct {
	RunID      string           `json:"run_id"`
	Started    time.Time        `json:"started"`
	Finished   *time.Time       `json:"finished"`
	Requests   int64            `json:"requests"`
	Pages      int64            `json:"pages"`
	Items      int64            `json:"items"`
	NewItems   int64            `json:"new_items"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"error_kinds"`
	// Repaired counts the side fields cleared or fixed, by field; the
	// reactions were kept.
	Repaired map[string]int64 `json:"repaired"`
	Blocked  int64            `json:"blocked"`
	// Discovered are the threads followed because they link to the
	// story's URLs, with how each was found.
	Discovered []reaction.Discovery `json:"discovered"`
	// Gaps are periods the run could not cover.
	Gaps    []reaction.Gap `json:"gaps"`
	Status  string         `json:"status"`
	Message string         `json:"message"`
}

func runJSON(r reaction.CrawlRun) RunJSON {
	out := RunJSON{RunID: r.RunID, Started: r.Started, Requests: r.Requests, Pages: r.Pages, Items: r.Items,
		NewItems: r.NewItems, Errors: r.Errors, ErrorKinds: r.ErrorKinds, Repaired: r.Repaired, Blocked: r.Blocked,
		Discovered: r.Discovered, Gaps: r.Gaps, Status: r.Status, Message: r.Message}
	if out.Discovered == nil {
		out.Discovered = []reaction.Discovery{}
	}
	if out.Gaps == nil {
		out.Gaps = []reaction.Gap{}
	}
	if out.ErrorKinds == nil {
		out.ErrorKinds = map[string]int64{}
	}
	if out.Repaired == nil {
		out.Repaired = map[string]int64{}
	}
	if !r.Finished.IsZero() {
		f := r.Finished
		out.Finished = &f
	}
	return out
}
