package mastodon

import (
	"net/http/httptest"
	"net/url"
	"strconv"
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

// fixtureNow is after every fixture status.
var fixtureNow = time.Date(2020, 10, 1, 12, 0, 0, 0, time.UTC)

func mastodonSource(ts *httptest.Server, hashtags, statuses []string) story.Source {
	return story.Source{Platform: reaction.Mastodon, BaseURL: ts.URL + "/mastodon", Hashtags: hashtags, Statuses: statuses}
}

func byAuthor(items []replica.Item, author string) string {
	for _, it := range items {
		if it.Author == author {
			return it.Native
		}
	}
	return ""
}

// expected is Expect of the given statuses, with the statuses src names
// flagged as thread starters (src may be nil).
func expected(src *story.Source, authors *reaction.Pseudonymizer, d *replica.Dataset, natives map[string]bool) map[string]reaction.Reaction {
	p := replica.Platforms()[reaction.Mastodon]
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items(reaction.Mastodon) {
		if !natives[it.Native] {
			continue
		}
		r := p.Expect(d, it)
		if r.ID == "" {
			continue
		}
		if authors != nil {
			r.Author = authors.Author(reaction.Mastodon, r.Author)
		}
		want[r.ID] = r
	}
	return sourcetest.MarkStarters(want, d, src)
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

// TestCrawlReplica crawls a hashtag over three pages of Link headers and a
// named status; a thread beyond the 60-descendant and 20-level limits of
// an anonymous context; a reply whose parent was deleted; then a run that
// finds nothing new; then one that finds exactly the new statuses.
func TestCrawlReplica(t *testing.T) {
	items := sourcetest.Fixture(t, reaction.Mastodon)
	d := replica.NewDataset(items...)
	srv := replica.New(d, replica.Options{})
	ts := sourcetest.StartReplica(t, srv)
	column := byAuthor(items, "columnist@press.example")
	h := sourcetest.New(t, storyID, mastodonSource(ts, []string{"chrissyteigen"}, []string{column}))
	a := &Adapter{}

	res := h.Run(a, fixtureNow)
	noErrors(t, res)
	want := expected(h.Source, h.Authors, d, replica.MastodonReachable(d, replica.MastodonFixtureTag, column))
	sourcetest.Compare(t, res.Emitted, want)
	if len(want) < 150 {
		t.Fatalf("fixture too small: %d reactions", len(want))
	}
	pages, contexts := 0, 0
	for _, rq := range srv.Requests() {
		switch {
		case strings.Contains(rq.Path, "/timelines/tag/"):
			pages++
		case strings.HasSuffix(rq.Path, "/context"):
			contexts++
		}
		if rq.Status != 200 {
			t.Errorf("%s?%s answered %d", rq.Path, rq.Query, rq.Status)
		}
	}
	if pages != 4 {
		t.Errorf("%d timeline requests, want 4 (three pages and the empty end)", pages)
	}
	t.Logf("first run: %d reactions, %d requests, %d contexts", len(res.Emitted), len(srv.Requests()), contexts)

	srv.ResetRequests()
	res = h.Run(a, fixtureNow.Add(5*time.Minute))
	noErrors(t, res)
	if len(res.Fresh)+len(res.Changed) != 0 {
		t.Errorf("second run: %d new, %d changed, want none", len(res.Fresh), len(res.Changed))
	}
	for _, rq := range srv.Requests() {
		if strings.Contains(rq.Path, "/timelines/tag/") {
			q, _ := url.ParseQuery(rq.Query)
			if q.Get("min_id") == "" {
				t.Errorf("second run paged the timeline without min_id: %s", rq.Query)
			}
		}
	}
	t.Logf("second run: %d requests", len(srv.Requests()))

	// New: a reply at the end of the long chain, one to the named status,
	// one to the orphaned reply, and a new tagged status; more than a page
	// of new tagged statuses, to page forward with rel="prev".
	later := fixtureNow.Add(10 * time.Minute)
	var chainEnd, orphan string
	for _, it := range items {
		if it.Text == "Reply 25 in a long conversation." {
			chainEnd = it.Native
		}
		if it.Author == "calm_voice" {
			orphan = it.Native
		}
	}
	id := int64(105000000000000000)
	mk := func(parent, author, text string, tags ...string) replica.Item {
		id += 65536
		return replica.Item{Platform: reaction.Mastodon, Native: strconv.FormatInt(id, 10), Parent: parent, Author: author, Text: text,
			CreatedAt: later.Add(time.Duration(id%1000) * time.Millisecond), Lang: "en", Tags: tags}
	}
	added := []replica.Item{
		mk(chainEnd, "late1", "Reply 26, late."),
		mk(column, "late2", "Read it today & agreed."),
		mk(orphan, "late3", "Agreed, be kind."),
	}
	for i := 0; i < 45; i++ {
		added = append(added, mk("", "late4", "Still thinking of them #ChrissyTeigen", replica.MastodonFixtureTag))
	}
	d.Add(added...)
	srv.ResetRequests()
	res = h.Run(a, later.Add(time.Minute))
	noErrors(t, res)
	wantFresh := map[string]bool{}
	for _, it := range added {
		wantFresh[reaction.MakeID(reaction.Mastodon, replica.MastodonURI(it))] = true
	}
	for _, r := range res.Fresh {
		if !wantFresh[r.ID] {
			t.Errorf("third run: unexpected new reaction %s", r.ID)
		}
		delete(wantFresh, r.ID)
	}
	if len(wantFresh) > 0 {
		t.Errorf("third run missed %d new statuses", len(wantFresh))
	}
	all := expected(h.Source, h.Authors, d, replica.MastodonReachable(d, replica.MastodonFixtureTag, column))
	for _, r := range res.Fresh {
		sourcetest.Compare(t, []reaction.Reaction{r}, map[string]reaction.Reaction{r.ID: all[r.ID]})
	}
	prev := 0
	for _, rq := range srv.Requests() {
		if strings.Contains(rq.Path, "/timelines/tag/") {
			prev++
		}
	}
	if prev < 3 {
		t.Errorf("third run made %d timeline requests, want at least 3 (two pages forward and the empty end)", prev)
	}
}

// TestGoneStatus: a named status that was deleted is a not_found error;
// the rest of the source is still collected.
func TestGoneStatus(t *testing.T) {
	items := sourcetest.Fixture(t, reaction.Mastodon)
	d := replica.NewDataset(items...)
	ts := sourcetest.StartReplica(t, replica.New(d, replica.Options{}))
	column := byAuthor(items, "columnist@press.example")
	gone := byAuthor(items, "regretful")
	h := sourcetest.New(t, storyID, mastodonSource(ts, nil, []string{gone, column}))
	res := h.Run(&Adapter{}, fixtureNow)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Stats.Errors()) != 1 || !strings.HasPrefix(res.Stats.Errors()[0], "not_found: ") {
		t.Errorf("errors = %v, want one not_found", res.Stats.Errors())
	}
	sourcetest.Compare(t, res.Emitted, expected(h.Source, h.Authors, d, replica.MastodonReachable(d, "no-such-tag", column)))
}

// TestWideThread: 70 direct replies. Without a token a context shows 60
// and nothing reaches the rest: the run says so ("truncated"); with a user
// token every reply is collected; a refused token blocks the source.
func TestWideThread(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Mastodon)...)
	ts := sourcetest.StartReplica(t, replica.New(d, replica.Options{}))
	all := expected(nil, nil, d, replica.MastodonReachable(d, replica.MastodonWideTag))
	tests := []struct {
		name      string
		token     string
		wantN     int
		wantError string
		blocked   bool
	}{
		{name: "anonymous", wantN: 61, wantError: "truncated: mastodon: about 10 replies below status"},
		{name: "user token", token: "user-token", wantN: 71},
		{name: "refused token", token: replica.MastodonRejectedToken, blocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sourcetest.New(t, storyID, mastodonSource(ts, []string{replica.MastodonWideTag}, nil))
			h.Credentials.MastodonAccessToken = tt.token
			res := h.Run(&Adapter{}, fixtureNow)
			if tt.blocked {
				if res.Err == nil || !strings.Contains(res.Err.Error(), "blocked") || len(res.Stats.Blocks()) == 0 ||
					!strings.Contains(res.Stats.Blocks()[0], EnvAccessToken) {
					t.Fatalf("err %v, blocked %v: want the source blocked, naming %s", res.Err, res.Stats.Blocks(), EnvAccessToken)
				}
				return
			}
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(res.Emitted) != tt.wantN {
				t.Errorf("emitted %d, want %d", len(res.Emitted), tt.wantN)
			}
			for _, r := range res.Emitted {
				w, ok := all[r.ID]
				if !ok || w.ParentID != r.ParentID || w.Text != r.Text {
					t.Errorf("%s differs from the ground truth", r.ID)
				}
			}
			switch {
			case tt.wantError == "" && len(res.Stats.Errors()) > 0:
				t.Errorf("errors %v", res.Stats.Errors())
			case tt.wantError != "" && (len(res.Stats.Errors()) != 1 || !strings.HasPrefix(res.Stats.Errors()[0], tt.wantError)):
				t.Errorf("errors %v, want one starting %q", res.Stats.Errors(), tt.wantError)
			}
		})
	}
}
