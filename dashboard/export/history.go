package export

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/reactions-research/reactions/store"
)

// HistoryColumns document the history export: one row per observed state.
var HistoryColumns = []Column{
	{"story", "string", "story id"},
	{"id", "string", "the reaction's stable platform-prefixed id"},
	{"platform", "string", "platform the reaction was published on"},
	{"state", "int64", "the state's number among the reaction's observed states, from 1"},
	{"observed_at", "timestamp (UTC)", "when reactions stored this state: seconds after the crawl that saw it (later only if the aggregator's spool held it)"},
	{"change", "string", "how the state differs from the one before: new, edited, deleted, restored, score (likes or replies only), other"},
	{"created_at", "timestamp (UTC)", "when the platform says the reaction was published"},
	{"deleted", "bool", "deleted or removed on the platform in this state"},
	{"text", "string", "plain text in this state"},
	{"content_warning", "string", "the warning shown before the text, or empty"},
	{"likes", "int64", "score in this state; can be negative"},
	{"replies", "int64", "reply count in this state"},
	{"parent_id", "string", "id of the reaction or post it answers"},
	{"root_id", "string", "id of the thread's root post"},
	{"relation", "string", "reply or quote (how it answers parent_id), empty without a parent"},
	{"is_root", "bool", "a thread starter"},
	{"url", "string", "permalink on the platform"},
	{"lang", "string", "platform language hint"},
	{"author", "string", "pseudonymised author (empty once deleted, on most platforms)"},
	{"first_seen", "timestamp (UTC)", "when reactions first collected the reaction"},
	{"stance", "string", "stance as labelled when this state was stored"},
	{"stance_score", "float64", "classifier confidence in [0, 1]"},
	{"classifier", "string", "classifier version that labelled this state"},
}

// HistoryRow is the Parquet row of one observed state.
type HistoryRow struct {
	Story          string    `parquet:"story,dict"`
	ID             string    `parquet:"id"`
	Platform       string    `parquet:"platform,dict"`
	State          int64     `parquet:"state"`
	ObservedAt     time.Time `parquet:"observed_at,timestamp(millisecond)"`
	Change         string    `parquet:"change,dict"`
	CreatedAt      time.Time `parquet:"created_at,timestamp(millisecond)"`
	Deleted        bool      `parquet:"deleted"`
	Text           string    `parquet:"text"`
	ContentWarning string    `parquet:"content_warning"`
	Likes          int64     `parquet:"likes"`
	Replies        int64     `parquet:"replies"`
	ParentID       string    `parquet:"parent_id"`
	RootID         string    `parquet:"root_id"`
	Relation       string    `parquet:"relation,dict"`
	IsRoot         bool      `parquet:"is_root"`
	URL            string    `parquet:"url"`
	Lang           string    `parquet:"lang,dict"`
	Author         string    `parquet:"author"`
	FirstSeen      time.Time `parquet:"first_seen,timestamp(millisecond)"`
	Stance         string    `parquet:"stance,dict"`
	StanceScore    float64   `parquet:"stance_score"`
	Classifier     string    `parquet:"classifier,dict"`
}

// historyRow is the JSON object of one observed state.
type historyRow struct {
	Story          string  `json:"story"`
	ID             string  `json:"id"`
	Platform       string  `json:"platform"`
	State          int     `json:"state"`
	ObservedAt     string  `json:"observed_at"`
	Change         string  `json:"change"`
	CreatedAt      string  `json:"created_at"`
	Deleted        bool    `json:"deleted"`
	Text           string  `json:"text"`
	ContentWarning string  `json:"content_warning"`
	Likes          int64   `json:"likes"`
	Replies        int64   `json:"replies"`
	ParentID       string  `json:"parent_id"`
	RootID         string  `json:"root_id"`
	Relation       string  `json:"relation"`
	IsRoot         bool    `json:"is_root"`
	URL            string  `json:"url"`
	Lang           string  `json:"lang"`
	Author         string  `json:"author"`
	FirstSeen      string  `json:"first_seen"`
	Stance         string  `json:"stance"`
	StanceScore    float64 `json:"stance_score"`
	Classifier     string  `json:"classifier"`
}

// History writes every observed state of the reactions of req (created in
// its range, on its platform) and returns the metadata. A JSON file and
// the metadata alone are counted before they are written (a second
// reading of the history); the other formats count as they write.
func (e *Exporter) History(ctx context.Context, req Request, w io.Writer) (*Meta, error) {
	req.What = "history"
	if len(req.Stances) > 0 {
		return nil, fmt.Errorf("stance does not apply to a history (each state has its own)")
	}
	rec, srcs, err := e.Resolve(ctx, &req)
	if err != nil {
		return nil, err
	}
	m := e.baseMeta(&req, rec, srcs)
	m.Columns = HistoryColumns
	m.Parameters["content_only"] = strconv.FormatBool(req.ContentOnly)
	q := store.HistoryQuery{Reactions: store.ReactionQuery{Story: req.Story, From: req.From, To: req.To, Platforms: platformList(req.Platform),
		ChunkRows: req.ChunkRows}, ContentOnly: req.ContentOnly}
	cnt, err := e.Store.CountReactions(ctx, q.Reactions)
	if err != nil {
		return nil, err
	}
	m.ClassifierVersions, m.Reactions = cnt.Classifiers, cnt.Total
	scores := "States whose only change is the score or the reply count are included (change = score): re-crawls store every changed score."
	if req.ContentOnly {
		scores = "States whose only change is the score or the reply count are left out (content only); the changes of the others are still relative to the state observed just before."
	}
	m.Notes = append(m.Notes,
		"One row per observed state of each reaction created in the range (thread starters included, flagged in is_root), the states of a reaction in the order observed, reactions by created_at then id.",
		"A state is stored when a crawl sees the reaction differ from its stored state; seeing it unchanged stores nothing, so a reaction seen twice has one state, and every count and export of current states counts it once.",
		"A reaction deleted on the platform was deleted before observed_at of its first deleted state, and after the state before it was observed (or later: unchanged observations are not stored).",
		"States stored before reactions kept a history (migration 0006) are those not yet merged away then: older edits may be missing.",
		scores)
	if req.MetaOnly || req.Format == JSON {
		n := int64(0)
		if err := e.Store.EachState(ctx, q, func(*store.State) error { n++; return nil }); err != nil {
			return nil, fmt.Errorf("count history: %w", err)
		}
		m.RowCount = n
		if req.MetaOnly {
			return m, nil
		}
	}
	rw, err := newWriter(req.Format, w, m, !req.NoBOM, func(w io.Writer) rowWriter { return newParquet[HistoryRow](w) })
	if err != nil {
		return nil, err
	}
	if err := rw.begin(columnNames(HistoryColumns)); err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	var n int64
	cells := make([]string, 0, len(HistoryColumns))
	err = e.Store.EachState(ctx, q, func(st *store.State) error {
		n++
		r := &st.Reaction
		cells = append(cells[:0], r.Story, r.ID, string(r.Platform), strconv.Itoa(st.N), formatTime(st.ObservedAt), st.Change,
			formatTime(r.CreatedAt), strconv.FormatBool(r.Deleted), r.Text, r.ContentWarning, itoa(r.Likes), itoa(r.Replies),
			r.ParentID, r.RootID, r.Relation, strconv.FormatBool(r.IsRoot), r.URL, r.Lang, r.Author, formatTime(r.FirstSeen),
			string(r.Stance), formatFloat(r.StanceScore), r.Classifier)
		obj := historyRow{r.Story, r.ID, string(r.Platform), st.N, cells[4], st.Change, cells[6], r.Deleted, r.Text, r.ContentWarning,
			r.Likes, r.Replies, r.ParentID, r.RootID, r.Relation, r.IsRoot, r.URL, r.Lang, r.Author, cells[19], string(r.Stance),
			r.StanceScore, r.Classifier}
		var typed any
		if req.Format == Parquet {
			typed = HistoryRow{r.Story, r.ID, string(r.Platform), int64(st.N), st.ObservedAt, st.Change, r.CreatedAt, r.Deleted, r.Text,
				r.ContentWarning, r.Likes, r.Replies, r.ParentID, r.RootID, r.Relation, r.IsRoot, r.URL, r.Lang, r.Author, r.FirstSeen,
				string(r.Stance), r.StanceScore, r.Classifier}
		}
		return rw.row(cells, obj, typed)
	})
	if err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	if req.Format == JSON && n != m.RowCount {
		m.Notes = append(m.Notes, fmt.Sprintf("States were being stored during the export: %d counted before, %d written.", m.RowCount, n))
	}
	m.RowCount = n
	if err := rw.end(m); err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	return m, nil
}
