package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/reactions-research/reactions/reaction"
)

// Format is an export file format.
type Format string

// The export formats.
const (
	CSV     Format = "csv"
	JSON    Format = "json"
	NDJSON  Format = "ndjson"
	Parquet Format = "parquet"
)

// Formats lists the data formats in a stable order.
var Formats = []Format{CSV, JSON, NDJSON, Parquet}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%q is not one of csv, json, ndjson, parquet", s)
}

// ContentType is the MIME type of the format.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case JSON:
		return "application/json; charset=utf-8"
	case NDJSON:
		return "application/x-ndjson; charset=utf-8"
	case GraphML:
		return "application/graphml+xml; charset=utf-8"
	case GEXF:
		return "application/gexf+xml; charset=utf-8"
	}
	return "application/vnd.apache.parquet"
}

// utf8BOM lets Excel recognise a CSV file as UTF-8 (pandas and most CSV
// readers skip it).
const utf8BOM = "\ufeff"

// Times in every text export: RFC 3339 in UTC with a Z, to the second
// (what ClickHouse stores).
const timeLayout = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// formatFloat writes the shortest representation that reads back exactly.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// rowWriter writes rows of one table in one format, streaming.
type rowWriter interface {
	// header names the columns (CSV writes it; others ignore it).
	begin(columns []string) error
	// row writes one row: text cells for CSV, a JSON object for JSON and
	// NDJSON, a typed struct for Parquet.
	row(cells []string, obj any, typed any) error
	// end finishes the file; meta is final (row count, classifiers).
	end(meta *Meta) error
}

// csvWriter writes RFC 4180 CSV (CRLF line ends, quotes where needed) in
// UTF-8 with an optional byte-order mark.
type csvWriter struct {
	bw  *bufio.Writer
	w   *csv.Writer
	bom bool
}

func newCSV(w io.Writer, bom bool) *csvWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	return &csvWriter{bw: bw, w: cw, bom: bom}
}

func (c *csvWriter) begin(columns []string) error {
	if c.bom {
		if _, err := c.bw.WriteString(utf8BOM); err != nil {
			return err
		}
	}
	return c.w.Write(columns)
}

func (c *csvWriter) row(cells []string, _, _ any) error { return c.w.Write(cells) }

func (c *csvWriter) end(*Meta) error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// jsonWriter writes one JSON object: {"meta": {…}, "rows": [ … ]}. The meta
// is written first (counted before streaming); rows follow one per line.
type jsonWriter struct {
	bw   *bufio.Writer
	meta *Meta
	n    int64
}

func (j *jsonWriter) begin([]string) error {
	b, err := json.MarshalIndent(j.meta, "", "  ")
	if err != nil {
		return err
	}
	if _, err := j.bw.WriteString("{\"meta\": "); err != nil {
		return err
	}
	j.bw.Write(b)
	_, err = j.bw.WriteString(",\n\"rows\": [")
	return err
}

func (j *jsonWriter) row(_ []string, obj any, _ any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.bw.WriteByte(',')
	}
	j.n++
	j.bw.WriteByte('\n')
	_, err = j.bw.Write(b)
	return err
}

func (j *jsonWriter) end(*Meta) error {
	if _, err := j.bw.WriteString("\n]}\n"); err != nil {
		return err
	}
	return j.bw.Flush()
}

// ndjsonWriter writes one JSON object per line (the meta is in the sidecar).
type ndjsonWriter struct{ bw *bufio.Writer }

func (n *ndjsonWriter) begin([]string) error { return nil }

func (n *ndjsonWriter) row(_ []string, obj any, _ any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	n.bw.Write(b)
	return n.bw.WriteByte('\n')
}

func (n *ndjsonWriter) end(*Meta) error { return n.bw.Flush() }

// parquetRowGroup bounds the rows buffered per Parquet row group, and so the
// writer's memory.
const parquetRowGroup = 50_000

// parquetWriter writes typed rows (T is a struct with parquet tags) in row
// groups of parquetRowGroup rows; the final meta goes into the file's
// key-value metadata under "reactions.meta".
type parquetWriter[T any] struct {
	w   *parquet.GenericWriter[T]
	buf []T
}

func newParquet[T any](w io.Writer) *parquetWriter[T] {
	return &parquetWriter[T]{
		w: parquet.NewGenericWriter[T](w,
			parquet.Compression(&snappy.Codec{}),
			parquet.MaxRowsPerRowGroup(parquetRowGroup),
			parquet.CreatedBy("reactions", "", ""),
		),
		buf: make([]T, 0, 1024),
	}
}

func (p *parquetWriter[T]) begin([]string) error { return nil }

func (p *parquetWriter[T]) row(_ []string, _ any, typed any) error {
	p.buf = append(p.buf, typed.(T))
	if len(p.buf) == cap(p.buf) {
		return p.flush()
	}
	return nil
}

func (p *parquetWriter[T]) flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	if _, err := p.w.Write(p.buf); err != nil {
		return err
	}
	clear(p.buf)
	p.buf = p.buf[:0]
	return nil
}

func (p *parquetWriter[T]) end(meta *Meta) error {
	if err := p.flush(); err != nil {
		return err
	}
	if meta != nil {
		b, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		p.w.SetKeyValueMetadata("reactions.meta", string(b))
	}
	return p.w.Close()
}

// ReactionRow is the Parquet row of one reaction: the record's fields under
// their data-dictionary names, with proper types (timestamps in UTC
// milliseconds, booleans, 64-bit integers and floats).
type ReactionRow struct {
	Story     string    `parquet:"story,dict"`
	Platform  string    `parquet:"platform,dict"`
	ID        string    `parquet:"id"`
	ParentID  string    `parquet:"parent_id"`
	RootID    string    `parquet:"root_id"`
	Relation  string    `parquet:"relation,dict"`
	IsRoot    bool      `parquet:"is_root"`
	URL       string    `parquet:"url"`
	CreatedAt time.Time `parquet:"created_at,timestamp(millisecond)"`
	FirstSeen time.Time `parquet:"first_seen,timestamp(millisecond)"`
	Author    string    `parquet:"author"`
	// ContentWarning is Mastodon's spoiler_text, or "".
	ContentWarning string `parquet:"content_warning"`
	Text           string `parquet:"text"`
	Lang           string `parquet:"lang,dict"`
	// Likes is a signed score (INT64): negative when downvoted.
	Likes       int64   `parquet:"likes"`
	Replies     int64   `parquet:"replies"`
	Deleted     bool    `parquet:"deleted"`
	Stance      string  `parquet:"stance,dict"`
	StanceScore float64 `parquet:"stance_score"`
	Classifier  string  `parquet:"classifier,dict"`
}

// SeriesRow is the Parquet row of a wide series.
type SeriesRow struct {
	BucketStart       time.Time `parquet:"bucket_start,timestamp(millisecond)"`
	Support           int64     `parquet:"support"`
	Criticism         int64     `parquet:"criticism"`
	Neutral           int64     `parquet:"neutral"`
	Total             int64     `parquet:"total"`
	CriticismShare    *float64  `parquet:"criticism_share,optional"`
	SupportAdj        *float64  `parquet:"support_adj,optional"`
	CriticismAdj      *float64  `parquet:"criticism_adj,optional"`
	NeutralAdj        *float64  `parquet:"neutral_adj,optional"`
	CriticismShareAdj *float64  `parquet:"criticism_share_adj,optional"`
	CriticismShareLo  *float64  `parquet:"criticism_share_lo,optional"`
	CriticismShareHi  *float64  `parquet:"criticism_share_hi,optional"`
}

// SeriesDeletedRow is the Parquet row of a wide series with the deleted
// column.
type SeriesDeletedRow struct {
	BucketStart       time.Time `parquet:"bucket_start,timestamp(millisecond)"`
	Support           int64     `parquet:"support"`
	Criticism         int64     `parquet:"criticism"`
	Neutral           int64     `parquet:"neutral"`
	Total             int64     `parquet:"total"`
	CriticismShare    *float64  `parquet:"criticism_share,optional"`
	SupportAdj        *float64  `parquet:"support_adj,optional"`
	CriticismAdj      *float64  `parquet:"criticism_adj,optional"`
	NeutralAdj        *float64  `parquet:"neutral_adj,optional"`
	CriticismShareAdj *float64  `parquet:"criticism_share_adj,optional"`
	CriticismShareLo  *float64  `parquet:"criticism_share_lo,optional"`
	CriticismShareHi  *float64  `parquet:"criticism_share_hi,optional"`
	Deleted           int64     `parquet:"deleted"`
}

// TidyRow is the Parquet row of a tidy series.
type TidyRow struct {
	BucketStart time.Time `parquet:"bucket_start,timestamp(millisecond)"`
	Platform    string    `parquet:"platform,dict"`
	Stance      string    `parquet:"stance,dict"`
	Count       *int64    `parquet:"count,optional"`
	Value       *float64  `parquet:"value,optional"`
}

func toRow(r *reaction.Reaction) ReactionRow {
	return ReactionRow{Story: r.Story, Platform: string(r.Platform), ID: r.ID, ParentID: r.ParentID, RootID: r.RootID,
		Relation: r.Relation, IsRoot: r.IsRoot, URL: r.URL, CreatedAt: r.CreatedAt.UTC(), FirstSeen: r.FirstSeen.UTC(), Author: r.Author,
		ContentWarning: r.ContentWarning, Text: r.Text, Lang: r.Lang,
		Likes: r.Likes, Replies: r.Replies, Deleted: r.Deleted, Stance: string(r.Stance), StanceScore: r.StanceScore,
		Classifier: r.Classifier}
}

// reactionCells renders a reaction as CSV cells in reaction.Fields order.
func reactionCells(r *reaction.Reaction, cells []string) []string {
	return append(cells[:0], r.Story, string(r.Platform), r.ID, r.ParentID, r.RootID, r.Relation, strconv.FormatBool(r.IsRoot), r.URL,
		formatTime(r.CreatedAt), formatTime(r.FirstSeen), r.Author, r.ContentWarning, r.Text, r.Lang,
		strconv.FormatInt(r.Likes, 10), strconv.FormatInt(r.Replies, 10), strconv.FormatBool(r.Deleted),
		string(r.Stance), formatFloat(r.StanceScore), r.Classifier)
}
