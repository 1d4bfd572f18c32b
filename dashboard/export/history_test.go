package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
	"github.com/reactions-research/reactions/reaction"
)

// TestHistoryExport: every observed state, one row each, the same in every
// format; a deleted reaction's states end in "deleted", and the series
// counts it once, in its deleted column too.
func TestHistoryExport(t *testing.T) {
	e, rs := setup(t)
	ctx := context.Background()
	// Re-crawls: one reaction gains likes, then is deleted.
	gone := rs[10]
	gone.Likes += 5
	if _, err := e.Store.Write(ctx, []reaction.Reaction{gone}); err != nil {
		t.Fatal(err)
	}
	gone.Deleted, gone.Text, gone.Author = true, "", ""
	if _, err := e.Store.Write(ctx, []reaction.Reaction{gone, rs[11]}); err != nil { // rs[11] seen again: no state
		t.Fatal(err)
	}

	out := map[export.Format][]byte{}
	metas := map[export.Format]*export.Meta{}
	for _, f := range export.Formats {
		var buf bytes.Buffer
		m, err := e.History(ctx, export.Request{Story: fixture.StoryID, Format: f}, &buf)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f], metas[f] = buf.Bytes(), m
	}
	tb := readTable(t, out[export.CSV])
	want := len(rs) + 1 + 2 // the fixture's edited reaction has two states, the deleted one three
	if len(tb.rows) != want || metas[export.CSV].RowCount != int64(want) || metas[export.JSON].RowCount != int64(want) {
		t.Fatalf("%d rows, metadata %d and %d, want %d", len(tb.rows), metas[export.CSV].RowCount, metas[export.JSON].RowCount, want)
	}
	if strings.Join(tb.header, ",") != "story,id,platform,state,observed_at,change,created_at,deleted,text,content_warning,likes,replies,"+
		"parent_id,root_id,relation,is_root,url,lang,author,first_seen,stance,stance_score,classifier" {
		t.Errorf("header %v", tb.header)
	}
	byID := map[string][]string{}
	ids, changes, texts := tb.col("id"), tb.col("change"), tb.col("text")
	for i, id := range ids {
		byID[id] = append(byID[id], changes[i]+":"+texts[i])
	}
	if got := strings.Join(byID[fixture.Edited], " | "); got != "new:first version | edited:"+rs[0].Text {
		t.Errorf("the edited reaction: %s", got)
	}
	if got := strings.Join(byID[gone.ID], " | "); got != "new:"+rs[10].Text+" | score:"+rs[10].Text+" | deleted:" {
		t.Errorf("the deleted reaction: %s", got)
	}
	now := time.Now()
	for i, o := range tb.col("observed_at") {
		at, err := time.Parse(time.RFC3339, o)
		if err != nil || now.Sub(at) > 5*time.Minute || at.After(now.Add(time.Second)) {
			t.Errorf("row %d observed at %q", i, o)
		}
	}

	// Parquet and JSON hold the same rows.
	pq := out[export.Parquet]
	rows, err := parquet.Read[export.HistoryRow](bytes.NewReader(pq), int64(len(pq)))
	if err != nil || len(rows) != want {
		t.Fatalf("parquet: %d rows, %v", len(rows), err)
	}
	for i, r := range rows {
		if r.ID != ids[i] || r.Change != changes[i] || strconv.Itoa(int(r.State)) != tb.col("state")[i] || r.Text != texts[i] {
			t.Fatalf("parquet row %d %+v, CSV %s %s", i, r, ids[i], changes[i])
		}
	}
	var doc struct {
		Meta export.Meta `json:"meta"`
		Rows []struct {
			ID, Change string
			State      int
		} `json:"rows"`
	}
	if err := json.Unmarshal(out[export.JSON], &doc); err != nil || len(doc.Rows) != want || doc.Meta.What != "history" {
		t.Fatalf("json: %d rows, %v", len(doc.Rows), err)
	}

	// Content changes only: the score state goes.
	var buf bytes.Buffer
	m, err := e.History(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, ContentOnly: true}, &buf)
	if err != nil || m.RowCount != int64(want-1) || strings.Contains(buf.String(), ",score,") {
		t.Errorf("content only: %d rows, %v", m.RowCount, err)
	}

	// The series counts the deleted reaction once, and says it is deleted.
	buf.Reset()
	h1 := mustInterval(t, "1h")
	if _, err := e.Series(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, Interval: h1, Deleted: true}, &buf); err != nil {
		t.Fatal(err)
	}
	st := readTable(t, buf.Bytes())
	if st.header[len(st.header)-1] != "deleted" {
		t.Fatalf("header %v", st.header)
	}
	var total, deleted int64
	for i, s := range st.col("bucket_start") {
		n, _ := strconv.ParseInt(st.col("total")[i], 10, 64)
		d, _ := strconv.ParseInt(st.col("deleted")[i], 10, 64)
		total += n
		deleted += d
		if d > 0 && s != gone.CreatedAt.Truncate(time.Hour).Format("2006-01-02T15:04:05Z") {
			t.Errorf("a deletion counted in bucket %s, the reaction was posted %s", s, gone.CreatedAt)
		}
	}
	if total != int64(len(rs)) || deleted != 1 {
		t.Errorf("series: %d reactions, %d deleted; want %d and 1", total, deleted, len(rs))
	}
	pq2 := bytes.Buffer{}
	if _, err := e.Series(ctx, export.Request{Story: fixture.StoryID, Format: export.Parquet, Interval: h1, Deleted: true}, &pq2); err != nil {
		t.Fatal(err)
	}
	drows, err := parquet.Read[export.SeriesDeletedRow](bytes.NewReader(pq2.Bytes()), int64(pq2.Len()))
	var pdel int64
	for _, r := range drows {
		pdel += r.Deleted
	}
	if err != nil || len(drows) != len(st.rows) || pdel != 1 {
		t.Errorf("parquet with deleted: %d rows, %d deleted, %v", len(drows), pdel, err)
	}
	if _, err := e.Series(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, Tidy: true, Deleted: true}, &buf); err == nil {
		t.Error("tidy with deleted: no error")
	}
	if _, err := e.History(ctx, export.Request{Story: fixture.StoryID, Format: export.CSV, Stances: []reaction.Stance{reaction.Support}}, &buf); err == nil {
		t.Error("history by stance: no error")
	}
}
