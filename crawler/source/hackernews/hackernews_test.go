package hackernews

import (
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// storyID is the id of the story the harness runs.
const storyID = "jack"

// fixtureNow is after every fixture item (the walk-back stories end three
// days after the story broke).
var fixtureNow = time.Date(2020, 10, 4, 6, 0, 0, 0, time.UTC)

func hnSource(ts *httptest.Server, stories, search []string) story.Source {
	return story.Source{Platform: reaction.HackerNews, BaseURL: ts.URL + "/hackernews/api/v1", Stories: stories, Search: search}
}

// storiesOf returns the stories a search finds, and named ones.
func storiesOf(items []replica.Item, named []string, search ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range named {
		m[n] = true
	}
	for _, it := range items {
		if it.Thread != "" {
			continue
		}
		for _, tag := range it.Tags {
			for _, q := range search {
				if strings.EqualFold(tag, q) {
					m[it.Native] = true
				}
			}
		}
	}
	return m
}

// expected returns what a correct crawler makes of the given stories and
// their trees, authors pseudonymised.
func expected(authors *reaction.Pseudonymizer, d *replica.Dataset, stories map[string]bool) map[string]reaction.Reaction {
	p := replica.Platforms()[reaction.HackerNews]
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items(reaction.HackerNews) {
		root := it.Thread
		if root == "" {
			root = it.Native
		}
		if !stories[root] {
			continue
		}
		r := p.Expect(d, it)
		if r.ID == "" {
			continue
		}
		r.Author = authors.Author(reaction.HackerNews, r.Author)
		want[r.ID] = r
	}
	return want
}

// compare checks got against want (sourcetest.Compare); the ground truth
// has no reply counts for Hacker News.
func compare(t *testing.T, got []reaction.Reaction, want map[string]reaction.Reaction) {
	t.Helper()
	sourcetest.Compare(t, got, want, "replies")
}

func noErrors(t *testing.T, res sourcetest.Result) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("Collect: %v", res.Err)
	}
	if len(res.Stats.Errors()) > 0 || len(res.Stats.Blocks()) > 0 {
		t.Fatalf("errors %v, blocked %v", res.Stats.Errors(), res.Stats.Blocks())
	}
}

// TestCrawlReplica crawls a named story, a search and a search with 2,500
// hits (walked back past Algolia's 1,000-hit cap across two boundaries
// where 25 stories share one second); then a run that finds nothing new;
// then a run after new stories and comments that finds exactly those.
func TestCrawlReplica(t *testing.T) {
	items := sourcetest.Fixture(t, reaction.HackerNews)
	d := replica.NewDataset(items...)
	srv := replica.New(d, replica.Options{})
	ts := sourcetest.StartReplica(t, srv)
	h := sourcetest.New(t, storyID, hnSource(ts, []string{"24651234"}, []string{"teigen", replica.HNWalkBackQuery}))
	a := &Adapter{}

	res := h.Run(a, fixtureNow)
	noErrors(t, res)
	stories := storiesOf(items, []string{"24651234"}, "teigen", replica.HNWalkBackQuery)
	want := expected(h.Authors, d, stories)
	compare(t, res.Emitted, want)
	inclusive := 0
	for _, rq := range srv.Requests() {
		if strings.Contains(rq.Query, "created_at_i%3C%3D") {
			inclusive++
		}
		if rq.Status != 200 {
			t.Errorf("%s?%s answered %d", rq.Path, rq.Query, rq.Status)
		}
	}
	if inclusive == 0 {
		t.Error("no walk-back request with created_at_i<=")
	}
	t.Logf("first run: %d reactions, %d requests (%d walking back)", len(res.Emitted), len(srv.Requests()), inclusive)

	srv.ResetRequests()
	res = h.Run(a, fixtureNow.Add(5*time.Minute))
	noErrors(t, res)
	if len(res.Fresh)+len(res.Changed) != 0 {
		t.Errorf("second run: %d new, %d changed, want none", len(res.Fresh), len(res.Changed))
	}
	t.Logf("second run: %d requests", len(srv.Requests()))

	// New: a comment on the named story, one on a found story, one on a
	// walk-back story, and a new story for the big query.
	later := fixtureNow.Add(10 * time.Minute)
	legend := ""
	for _, it := range items {
		if it.Thread == "" && strings.HasPrefix(it.Text, "Legend news 7") {
			legend = it.Native
		}
	}
	added := []replica.Item{
		{Platform: reaction.HackerNews, Native: "24800001", Thread: "24651234", Parent: "24651234", Author: "late", Text: "Late &amp; sad.", CreatedAt: later},
		{Platform: reaction.HackerNews, Native: "24800002", Thread: "24651300", Parent: "24651300", Author: "late", Text: "Just listen.", CreatedAt: later},
		{Platform: reaction.HackerNews, Native: "24800003", Thread: legend, Parent: legend, Author: "late", Text: "First comment here.", CreatedAt: later},
		{Platform: reaction.HackerNews, Native: "24800004", Author: "late", Text: "Legend news, the sequel", CreatedAt: later, Likes: 3, Tags: []string{replica.HNWalkBackQuery}},
	}
	d.Add(added...)
	res = h.Run(a, later.Add(time.Minute))
	noErrors(t, res)
	var fresh []string
	for _, r := range res.Fresh {
		fresh = append(fresh, strings.TrimPrefix(r.ID, "hackernews:"))
	}
	sort.Strings(fresh)
	if got := strings.Join(fresh, " "); got != "24800001 24800002 24800003 24800004" {
		t.Errorf("third run: new %s, want the four added items", got)
	}
	stories["24800004"] = true
	all := expected(h.Authors, d, stories)
	for _, r := range res.Fresh {
		compare(t, []reaction.Reaction{r}, map[string]reaction.Reaction{r.ID: all[r.ID]})
	}
}

// TestWindow: a story window bounds the search in time.
func TestWindow(t *testing.T) {
	items := sourcetest.Fixture(t, reaction.HackerNews)
	d := replica.NewDataset(items...)
	ts := sourcetest.StartReplica(t, replica.New(d, replica.Options{}))
	h := sourcetest.New(t, storyID, hnSource(ts, nil, []string{"teigen"}))
	from := time.Date(2020, 10, 1, 4, 5, 0, 0, time.UTC) // after story 24651234, before 24651300
	h.Story.Window = &story.Window{From: from, To: from.Add(time.Hour)}
	res := h.Run(&Adapter{}, fixtureNow)
	noErrors(t, res)
	compare(t, res.Emitted, expected(h.Authors, d, map[string]bool{"24651300": true}))
}
