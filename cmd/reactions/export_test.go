package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/story"
)

// exportStore points the commands at a fresh test database holding a
// small thread: a supporter and a critic answering each other under a
// news post.
func exportStore(t *testing.T) *store.Store {
	t.Helper()
	dsn := chtest.DSN(t)
	t.Setenv(dsnEnv, dsn)
	t.Setenv("REACTIONS_HOME", t.TempDir())
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub := time.Date(2020, 10, 1, 2, 0, 0, 0, time.UTC)
	if err := st.PutStory(ctx, &story.Story{ID: "thread", Title: "A thread", Subject: []string{"Chrissy Teigen"}, Published: pub,
		Window: &story.Window{From: pub.Add(-time.Hour), To: pub.Add(24 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	mk := func(n int, parent, author string, st reaction.Stance) reaction.Reaction {
		id := reaction.MakeID(reaction.Reddit, "t1_"+string(rune('a'+n)))
		if n == 0 {
			id = "reddit:t3_news"
		}
		return reaction.Reaction{Story: "thread", Platform: reaction.Reddit, ID: id, ParentID: parent, RootID: "reddit:t3_news",
			IsRoot: n == 0, CreatedAt: pub.Add(time.Duration(n) * 10 * time.Minute), Author: author, Text: "text",
			Stance: st, StanceScore: 0.9, Classifier: "test"}
	}
	rs := []reaction.Reaction{
		mk(0, "", "a_news", reaction.Neutral),
		mk(1, "reddit:t3_news", "a_ann", reaction.Support),
		mk(2, "reddit:t1_b", "a_ben", reaction.Criticism),
		mk(3, "reddit:t1_c", "a_ann", reaction.Support),
		mk(4, "reddit:t1_d", "", reaction.Support),
	}
	if _, err := st.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestExportNetwork(t *testing.T) {
	exportStore(t)
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	path := filepath.Join(dir, "thread.csv")
	if code := run(ctx, []string{"export", "--story", "thread", "--what", "network", "--format", "csv", "--out", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	for _, want := range []string{"wrote 3 edges to " + path + ", 3 nodes to " + filepath.Join(dir, "thread.nodes.csv"),
		"network: 3 nodes, 3 edges (3 replies of 4 reactions), reciprocity 0.667",
		"criticism→support edges: 1 (33.3 % of edges); support→criticism edges: 1 (33.3 %)",
		"counted apart: 0 deleted, 1 without a pseudonym"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	edges, _ := os.ReadFile(path)
	if got := strings.TrimPrefix(string(edges), "\ufeff"); got != "source,target,replies,support,criticism,neutral,dominant\r\n"+
		"a_ann,a_ben,1,1,0,0,support\r\na_ann,a_news,1,1,0,0,support\r\na_ben,a_ann,1,0,1,0,criticism\r\n" {
		t.Errorf("edge list:\n%s", got)
	}
	for _, f := range []string{"thread.nodes.csv", "thread.csv.meta.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// GraphML to stdout: the summary goes to stderr.
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"export", "--story", "thread", "--what", "network", "--out", "-"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "<?xml") || !strings.Contains(out.String(), "<graphml") || !strings.Contains(errb.String(), "network: 3 nodes") {
		t.Errorf("stdout %.80q, stderr %s", out.String(), errb.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--what", "network", "--format", "csv", "--out", "-"}, "two files"},
		{[]string{"--what", "network", "--format", "parquet"}, "graphml, gexf, csv"},
		{[]string{"--what", "network", "--include-roots"}, "thread starters' authors"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(ctx, append([]string{"export", "--story", "thread"}, c.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: exit %d, want 2 and %q:\n%s", c.args, code, c.want, errb.String())
		}
	}
}

func TestExportCompare(t *testing.T) {
	st := exportStore(t)
	ctx := context.Background()
	pub := time.Date(2021, 3, 4, 5, 30, 0, 0, time.UTC)
	if err := st.PutStory(ctx, &story.Story{ID: "other", Subject: []string{"John Legend"}, Published: pub}); err != nil {
		t.Fatal(err)
	}
	var rs []reaction.Reaction
	for i := range 3 {
		rs = append(rs, reaction.Reaction{Story: "other", Platform: reaction.HackerNews, ID: reaction.MakeID(reaction.HackerNews, string(rune('1'+i))),
			CreatedAt: pub.Add(time.Duration(30+i*60) * time.Minute), Text: "x", Stance: reaction.Criticism, StanceScore: 1, Classifier: "test"})
	}
	if _, err := st.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	t.Chdir(dir)
	if code := run(ctx, []string{"export", "--what", "compare", "--story", "thread,other", "--align", "published", "--interval", "1h",
		"--from", "-1h", "--to", "3h", "--min-bucket", "1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "thread-vs-other-published-1h.csv"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff")), "\r\n")
	// thread: replies at +10, +20, +30 and +40 min; other: one an hour from +30 min.
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "hours_since_published,thread.bucket_start,thread.support,") ||
		!strings.HasPrefix(lines[2], "0,2020-10-01T02:00:00Z,3,1,0,4,0.25,100,,,,2021-03-04T05:30:00Z,0,1,0,1,1,33.33") {
		t.Errorf("comparison:\n%s", strings.Join(lines, "\n"))
	}
	if _, err := os.Stat(filepath.Join(dir, "thread-vs-other-published-1h.csv.meta.json")); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--story", "thread"}, "2 to 5 stories"},
		{[]string{"--story", "thread,other", "--align", "sideways"}, "--align"},
		{[]string{"--story", "thread,other", "--from", "yesterday"}, "offset from publication"},
		{[]string{"--story", "thread,other", "--format", "parquet"}, "one wide CSV"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(ctx, append([]string{"export", "--what", "compare"}, c.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: exit %d, want 2 and %q:\n%s", c.args, code, c.want, errb.String())
		}
	}
}

func TestExportHistory(t *testing.T) {
	st := exportStore(t)
	ctx := context.Background()
	var edited reaction.Reaction
	if err := st.CurrentReactions(ctx, "thread", func(r *reaction.Reaction) error {
		if r.ID == "reddit:t1_c" {
			edited = *r
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	edited.Text, edited.Likes = "text, edited", 3
	if _, err := st.Write(ctx, []reaction.Reaction{edited}); err != nil {
		t.Fatal(err)
	}
	edited.Deleted, edited.Text = true, ""
	if _, err := st.Write(ctx, []reaction.Reaction{edited}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	path := filepath.Join(dir, "history.csv")
	if code := run(ctx, []string{"export", "--story", "thread", "--what", "history", "--out", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	b, _ := os.ReadFile(path)
	got := strings.TrimPrefix(string(b), "\ufeff")
	if !strings.Contains(out.String(), "wrote 7 rows") || strings.Count(got, "reddit:t1_c,reddit,") != 3 ||
		!strings.Contains(got, ",2,") || !strings.Contains(got, ",edited,") || !strings.Contains(got, ",deleted,") {
		t.Errorf("history (%s):\n%s", out.String(), got)
	}
	out.Reset()
	if code := run(ctx, []string{"export", "--story", "thread", "--what", "series", "--interval", "1h", "--deleted", "--out", "-"}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "criticism_share_hi,deleted\r\n") || !strings.Contains(out.String(), ",1\r\n") {
		t.Errorf("series with deletions: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--what", "history", "--stance", "support"}, "each observed state"},
		{[]string{"--what", "reactions", "--deleted"}, "--deleted applies"},
		{[]string{"--what", "series", "--changes", "content"}, "--changes applies"},
		{[]string{"--what", "history", "--changes", "some"}, "use all or content"},
	} {
		errb.Reset()
		if code := run(ctx, append([]string{"export", "--story", "thread"}, c.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%q: exit %d, want 2 and %q:\n%s", c.args, code, c.want, errb.String())
		}
	}
}
