package aggregator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// The aggregator is the crawler's in-process sink.
var _ crawler.Sink = (*aggregator.Aggregator)(nil)

// TestNoRawAuthorHandles drives the crawler's pseudonymiser and HTTP sink
// into an aggregator on ClickHouse and looks for the raw handles in
// ClickHouse, the spool, the logs, the answers and /metrics: they appear
// nowhere, unless the researcher opted in with --keep-authors, and then in
// ClickHouse only. A reaction with a raw handle is kept without its author
// (an author is a side field: it never costs the reaction).
func TestNoRawAuthorHandles(t *testing.T) {
	handles := []string{"chrissyteigen_h8ter", "JohnLegendFan2020", "someone@mastodon.social", "did:plc:abc123leaky"}
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep-authors=%v", keep), func(t *testing.T) {
			ctx := context.Background()
			st := chtest.New(t)
			h := start(t, st, func(c *aggregator.Config) { c.KeepAuthors = keep })
			h.putStory(testStory(t))
			pz, err := reaction.NewPseudonymizer([]byte("a-researchers-secret-0123456789"), keep)
			if err != nil {
				t.Fatal(err)
			}
			rs := makeReactions(40)
			for i := range rs {
				rs[i].Author = pz.Author(rs[i].Platform, handles[i%len(handles)])
			}
			sink := crawler.NewHTTPSink(h.srv.URL, "")
			res, err := sink.Send(ctx, rs)
			if err != nil || res.Accepted != len(rs) || len(res.Rejected) != 0 {
				t.Fatalf("send pseudonymised: %+v %v", res, err)
			}
			// A crawler that forgot to pseudonymise, over HTTP and in process.
			leak := makeReactions(42)[40:]
			for i := range leak {
				leak[i].Author = handles[i]
			}
			var answers bytes.Buffer
			resHTTP, err := sink.Send(ctx, leak[:1])
			if err != nil {
				t.Fatal(err)
			}
			resLocal, err := h.agg.Send(ctx, leak[1:])
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&answers, "%+v %+v", resHTTP, resLocal)
			if keep {
				if resHTTP.Accepted != 1 || resLocal.Accepted != 1 {
					t.Fatalf("with --keep-authors raw handles are accepted: %s", answers.String())
				}
			} else {
				for _, r := range []reaction.IngestResult{resHTTP, resLocal} {
					if r.Accepted != 1 || len(r.Rejected) != 0 || r.Repaired["author"] != 1 {
						t.Fatalf("a raw handle must be cleared and counted, its reaction kept: %+v", r)
					}
				}
				for _, r := range leak {
					var author string
					if err := st.Conn().QueryRow(ctx, "SELECT argMax(author, version) FROM reactions WHERE id = ?", r.ID).Scan(&author); err != nil || author != "" {
						t.Errorf("%s stored with author %q (%v), want it kept without one", r.ID, author, err)
					}
				}
			}

			// Where could a handle end up?
			places := map[string]string{"logs": h.logs.String(), "answers": answers.String()}
			resp, err := http.Get(h.srv.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			m, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			places["/metrics"] = string(m)
			var spooled bytes.Buffer
			filepath.Walk(filepath.Join(h.state, "spool"), func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					b, _ := os.ReadFile(p)
					spooled.Write(b)
				}
				return nil
			})
			places["spool"] = spooled.String()
			for _, handle := range handles {
				for where, text := range places {
					if strings.Contains(strings.ToLower(text), strings.ToLower(handle)) {
						t.Errorf("raw handle %q found in %s", handle, where)
					}
				}
				for _, table := range []string{"reactions", "reactions_by_time"} {
					var n uint64
					err := st.Conn().QueryRow(ctx, "SELECT count() FROM "+table+
						" WHERE positionCaseInsensitive(concat(author, ' ', text, ' ', url, ' ', id, ' ', parent_id, ' ', root_id), ?) > 0",
						handle).Scan(&n)
					if err != nil {
						t.Fatal(err)
					}
					if keep && table == "reactions" && n == 0 {
						t.Errorf("with --keep-authors, handle %q should be stored", handle)
					}
					if !keep && n > 0 {
						t.Errorf("raw handle %q stored in %s (%d rows)", handle, table, n)
					}
				}
			}
		})
	}
}

// TestCrawlerRegistersStories: the crawler's HTTP sink sends story files as
// JSON; the aggregator reads them back to the same story.
func TestCrawlerRegistersStories(t *testing.T) {
	st := chtest.New(t)
	h := start(t, st, nil)
	sink := crawler.NewHTTPSink(h.srv.URL, "")
	for _, path := range []string{"testdata/story.yaml", "../story/testdata/jack.yaml"} {
		s, err := story.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.PutStory(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got := h.agg.Story(s.ID)
		if !reflect.DeepEqual(got, s) {
			t.Errorf("%s: registered\n%+v\nwant\n%+v", path, got, s)
		}
		rec, err := st.GetStory(context.Background(), s.ID)
		if err != nil || rec.Story.SubjectText() != s.SubjectText() {
			t.Errorf("%s: stored %+v %v", path, rec, err)
		}
	}
}
