package dashboard_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/internal/fixture"
)

// setupThreads is setup with the thread fixture's story stored too.
func setupThreads(t *testing.T) *env {
	t.Helper()
	e := setup(t)
	fixture.LoadThreads(t, e.st)
	return e
}

func getJSON(t *testing.T, e *env, path string, v any) int {
	t.Helper()
	res, b := e.get(t, path)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return res.StatusCode
}

// TestThreadsAPI: the top threads of the thread fixture, by size and by
// criticism share, each with a link that lists its reactions.
func TestThreadsAPI(t *testing.T) {
	e := setupThreads(t)
	var th dashboard.ThreadsJSON
	if code := getJSON(t, e, "/api/v1/threads?story="+fixture.ThreadsID+"&min_size=3", &th); code != 200 {
		t.Fatalf("status %d", code)
	}
	row := func(j dashboard.ThreadJSON) string {
		share := "–"
		if j.CriticismShare != nil {
			share = fmt.Sprintf("%.3f", *j.CriticismShare)
		}
		return fmt.Sprintf("%s n=%d %d/%d/%d share=%s del=%d authors=%d", j.RootID, j.Reactions, j.Support, j.Criticism, j.Neutral,
			share, j.Deleted, j.Authors)
	}
	var got []string
	for _, j := range th.BySize {
		got = append(got, row(j))
	}
	// The Reddit thread in the window: r01..r17 and r19 (r18 is after it).
	want := "reddit:t3_news n=18 5/8/5 share=0.615 del=1 authors=5; hackernews:1000 n=5 3/2/0 share=0.400 del=0 authors=2"
	if strings.Join(got, "; ") != want {
		t.Errorf("by size\n got %s\nwant %s", strings.Join(got, "; "), want)
	}
	if len(th.ByCriticism) != 2 || th.ByCriticism[0].RootID != fixture.RedditRoot || th.MinSize != 3 {
		t.Errorf("by criticism share: %+v", th.ByCriticism)
	}
	top := th.BySize[0]
	if top.URL != "https://reddit.example/t3_news" || !strings.HasPrefix(top.Text, "Reply reddit:t3_news") ||
		top.Drill != "/?story=jack-threads&thread=reddit%3At3_news" {
		t.Errorf("thread starter and link: %+v", top)
	}

	// The drill-down lists the thread's reactions, its starter included.
	var rj dashboard.ReactionsJSON
	if code := getJSON(t, e, "/api/v1/reactions?story="+fixture.ThreadsID+"&thread=hackernews:1000&limit=100", &rj); code != 200 {
		t.Fatalf("status %d", code)
	}
	if rj.Count != 6 || len(rj.Reactions) != 6 || rj.Thread != fixture.HNRoot || !rj.Reactions[0].IsRoot {
		t.Errorf("thread reactions: count %d, %+v", rj.Count, rj.Reactions)
	}

	// The criticism ranking needs min_size support and criticism reactions.
	if code := getJSON(t, e, "/api/v1/threads?story="+fixture.ThreadsID+"&platform=hackernews&limit=5", &th); code != 200 ||
		len(th.BySize) != 1 || len(th.ByCriticism) != 0 || th.MinSize != 10 {
		t.Errorf("hackernews, default min_size: %+v", th)
	}
	for _, bad := range []string{"min_size=0", "min_size=x", "limit=0", "thread=x"} {
		var ae struct{ Error, Param string }
		path := "/api/v1/threads?story=" + fixture.ThreadsID + "&" + bad
		if bad == "thread=x" {
			path = "/api/v1/reactions?story=" + fixture.ThreadsID + "&" + bad
		}
		if code := getJSON(t, e, path, &ae); code != 400 || ae.Param != strings.Split(bad, "=")[0] {
			t.Errorf("%s: %d %+v", bad, code, ae)
		}
	}
}

// TestNetworkDownload: the dashboard serves the network in each format,
// the nodes file of CSV on its own, and the sidecar.
func TestNetworkDownload(t *testing.T) {
	e := setupThreads(t)
	base := "/api/v1/export?what=network&story=" + fixture.ThreadsID
	res, b := e.get(t, base)
	var doc struct {
		XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
		Nodes   []struct {
			ID string `xml:"id,attr"`
		} `xml:"graph>node"`
	}
	if err := xml.Unmarshal(b, &doc); res.StatusCode != 200 || err != nil || len(doc.Nodes) != 9 ||
		res.Header.Get("Content-Disposition") != `attachment; filename="jack-threads-network.graphml"` {
		t.Errorf("graphml: %d %v %d nodes %q", res.StatusCode, err, len(doc.Nodes), res.Header.Get("Content-Disposition"))
	}
	res, b = e.get(t, base+"&format=csv&part=nodes")
	if res.StatusCode != 200 || !strings.HasPrefix(strings.TrimPrefix(string(b), "\ufeff"), "id,label,platform,reactions") ||
		strings.Count(string(b), "\n") != 10 || !strings.Contains(res.Header.Get("Content-Disposition"), "jack-threads-network.nodes.csv") {
		t.Errorf("nodes csv: %d %s %q", res.StatusCode, b, res.Header.Get("Content-Disposition"))
	}
	var m struct {
		Network struct{ Nodes, Edges int }
	}
	if code := getJSON(t, e, base+"&format=gexf&meta=true", &m); code != 200 || m.Network.Nodes != 9 || m.Network.Edges != 12 {
		t.Errorf("sidecar: %d %+v", code, m)
	}
	for _, bad := range []string{"&format=parquet", "&format=gexf&part=nodes", "&include_roots=1", "&tidy=true"} {
		var ae struct{ Error, Param string }
		if code := getJSON(t, e, base+bad, &ae); code != 400 {
			t.Errorf("%s: %d %+v", bad, code, ae)
		}
	}
	var ae struct{ Error, Param string }
	if code := getJSON(t, e, "/api/v1/export?what=series&part=nodes&story="+fixture.ThreadsID, &ae); code != 400 || ae.Param != "part" {
		t.Errorf("part of a series: %d %+v", code, ae)
	}
}
