package reddit

import (
	"errors"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// storyID is the id of the story the harness runs.
const storyID = "jack"

// fixtureNow is "later that day": every fixture item is older.
var fixtureNow = time.Date(2020, 10, 2, 12, 0, 0, 0, time.UTC)

// testCredentials are app credentials the replica's token endpoint takes.
var testCredentials = source.Credentials{RedditClientID: "test-app", RedditClientSecret: "s3cret"}

func startReplica(t *testing.T, d *replica.Dataset) (*replica.Server, *httptest.Server) {
	t.Helper()
	return startReplicaHandler(t, replica.New(d, replica.Options{}))
}

func startReplicaHandler(t *testing.T, s *replica.Server) (*replica.Server, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func redditSource(ts *httptest.Server, threads, search []string) story.Source {
	return story.Source{
		Platform: reaction.Reddit,
		BaseURL:  ts.URL + "/reddit/oauth",
		TokenURL: ts.URL + "/reddit/api/v1/access_token",
		Threads:  threads,
		Search:   search,
	}
}

// expected returns what a correct crawler makes of the items of the given
// threads (posts and every comment), authors pseudonymised.
func expected(h *sourcetest.Harness, d *replica.Dataset, threads map[string]bool) map[string]reaction.Reaction {
	p := replica.Platforms()[reaction.Reddit]
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items(reaction.Reddit) {
		root := it.Thread
		if root == "" {
			root = it.Native
		}
		if !threads[root] {
			continue
		}
		r := p.Expect(d, it)
		if r.ID == "" {
			continue // Reddit does not serve it
		}
		r.Author = h.Authors.Author(reaction.Reddit, r.Author)
		want[r.ID] = r
	}
	return want
}

// compare checks got against want (sourcetest.Compare); the ground truth
// has no reply counts for Reddit.
func compare(t *testing.T, got []reaction.Reaction, want map[string]reaction.Reaction) {
	t.Helper()
	sourcetest.Compare(t, got, want, "replies")
}

func threadsOf(items []replica.Item, search string) map[string]bool {
	m := map[string]bool{}
	for _, it := range items {
		if it.Thread != "" {
			continue
		}
		for _, tag := range it.Tags {
			if strings.EqualFold(tag, search) {
				m[it.Native] = true
			}
		}
	}
	return m
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

// TestCrawlReplica crawls the fixture through real HTTP: named threads and
// a search over three pages, both kinds of "more" stub, deleted and removed
// items, entities, non-English text; then a second run that finds nothing
// new, then a run after new items arrive that finds exactly those.
func TestCrawlReplica(t *testing.T) {
	items := sourcetest.Fixture(t, reaction.Reddit)
	d := replica.NewDataset(items...)
	srv, ts := startReplica(t, d)
	h := sourcetest.New(t, storyID, redditSource(ts, []string{"j2rm5q", "t3_j2sx0a"}, []string{"teigen"}))
	h.Credentials = testCredentials
	a := &Adapter{}

	res := h.Run(a, fixtureNow)
	noErrors(t, res)
	threads := threadsOf(items, "teigen")
	threads["j2rm5q"], threads["j2sx0a"] = true, true
	want := expected(h, d, threads)
	compare(t, res.Emitted, want)
	if len(want) < 1000 {
		t.Fatalf("fixture too small to prove paging: %d reactions", len(want))
	}

	// Replies: a comment counts its direct replies, a post num_comments.
	children := map[string]int64{}
	for _, r := range want {
		children[r.ParentID]++
	}
	for _, r := range res.Emitted {
		if r.RootID != r.ID && r.Replies != children[r.ID] {
			t.Errorf("%s: replies = %d, want %d", r.ID, r.Replies, children[r.ID])
		}
	}

	// Both kinds of stub were followed, morechildren with at most 100 ids.
	var more, cont, search, token int
	for _, rq := range srv.Requests() {
		switch {
		case strings.HasSuffix(rq.Path, "/api/morechildren.json"):
			more++
			if n := strings.Count(rq.Query, "%2C") + 1; n > 100 {
				t.Errorf("morechildren asked for %d ids", n)
			}
		case strings.Contains(rq.Path, "/_/"):
			cont++
		case strings.HasSuffix(rq.Path, "/search.json"):
			search++
		case strings.HasSuffix(rq.Path, "/access_token"):
			token++
		}
		if rq.Status != 200 {
			t.Errorf("%s %s?%s answered %d", rq.Method, rq.Path, rq.Query, rq.Status)
		}
	}
	if more < 2 || cont < 2 || search != 3 || token != 1 {
		t.Errorf("requests: %d morechildren, %d continue-this-thread, %d search pages, %d tokens; want ≥2, ≥2, 3, 1", more, cont, search, token)
	}
	t.Logf("first run: %d reactions, %d requests, %d pages", len(res.Emitted), len(srv.Requests()), res.Stats.Pages())

	// Second run, nothing changed: nothing new, and only cheap requests.
	srv.ResetRequests()
	res = h.Run(a, fixtureNow.Add(5*time.Minute))
	noErrors(t, res)
	if len(res.Fresh)+len(res.Changed) != 0 {
		t.Errorf("second run: %d new and %d changed reactions, want none", len(res.Fresh), len(res.Changed))
	}
	for _, rq := range srv.Requests() {
		if strings.Contains(rq.Path, "/comments/") || strings.Contains(rq.Path, "morechildren") {
			t.Errorf("second run re-crawled %s", rq.Path)
		}
	}
	t.Logf("second run: %d requests", len(srv.Requests()))

	// New items: a reply deep in the big thread, a comment on the removed
	// post, and a new post found by the search.
	newer := fixtureNow.Add(10 * time.Minute)
	added := []replica.Item{
		{Platform: reaction.Reddit, Native: "hnew01", Thread: "j2rm5q", Parent: "j2rm5q", Author: "late_comer", Text: "Only just heard. So sad.", CreatedAt: newer, Likes: 1},
		{Platform: reaction.Reddit, Native: "hnew02", Thread: "j2sx0a", Parent: "j2sx0a", Author: "late_comer", Text: "What did it say?", CreatedAt: newer, Likes: 1},
		{Platform: reaction.Reddit, Native: "k9new0", Author: "news_bot", Text: "Teigen update\n\nMore news.", CreatedAt: newer, Likes: 3, Tags: []string{"teigen"}},
		{Platform: reaction.Reddit, Native: "hnew03", Thread: "k9new0", Parent: "k9new0", Author: "reader", Text: "Thanks & take care.", CreatedAt: newer.Add(time.Minute), Likes: 1},
	}
	d.Add(added...)
	res = h.Run(a, newer.Add(5*time.Minute))
	noErrors(t, res)
	var fresh []string
	for _, r := range res.Fresh {
		fresh = append(fresh, r.ID)
	}
	sort.Strings(fresh)
	wantFresh := []string{"reddit:t1_hnew01", "reddit:t1_hnew02", "reddit:t1_hnew03", "reddit:t3_k9new0"}
	if strings.Join(fresh, " ") != strings.Join(wantFresh, " ") {
		t.Errorf("third run: new reactions %v, want %v", fresh, wantFresh)
	}
	threads["k9new0"] = true
	all := expected(h, d, threads)
	for _, r := range res.Fresh {
		compare(t, []reaction.Reaction{r}, map[string]reaction.Reaction{r.ID: all[r.ID]})
	}
}

func TestAuth(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Reddit)...)
	_, ts := startReplica(t, d)
	tests := []struct {
		name       string
		id, secret string // app credentials
		wantErr    string
	}{
		{name: "wrong secret", id: "test-app", secret: replica.RedditRejectedSecret, wantErr: "refused the client credentials"},
		{name: "no credentials", wantErr: "set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"},
		{name: "id without secret", id: "test-app", wantErr: "REDDIT_CLIENT_SECRET is empty"},
		{name: "credentials", id: "test-app", secret: "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sourcetest.New(t, storyID, redditSource(ts, []string{"j2t1b2"}, nil))
			h.Credentials = source.Credentials{RedditClientID: tt.id, RedditClientSecret: tt.secret}
			res := h.Run(&Adapter{}, fixtureNow)
			if tt.wantErr == "" {
				noErrors(t, res)
				if len(res.Emitted) != 2 {
					t.Errorf("emitted %d reactions, want the post and its reply", len(res.Emitted))
				}
				return
			}
			if !errors.Is(res.Err, source.ErrBlocked) || !strings.Contains(res.Err.Error(), tt.wantErr) {
				t.Fatalf("Collect error = %v, want ErrBlocked saying %q", res.Err, tt.wantErr)
			}
			if len(res.Stats.Blocks()) == 0 {
				t.Error("no Stats.Blocked recorded")
			}
			if len(res.Emitted) != 0 {
				t.Errorf("emitted %d reactions while blocked", len(res.Emitted))
			}
		})
	}
}

// TestExpiredToken: a token the API no longer accepts is replaced once.
func TestExpiredToken(t *testing.T) {
	d := replica.NewDataset(sourcetest.Fixture(t, reaction.Reddit)...)
	_, ts := startReplica(t, d)
	h := sourcetest.New(t, storyID, redditSource(ts, []string{"j2t1b2"}, nil))
	h.Credentials = testCredentials
	a := &Adapter{token: "revoked", expires: fixtureNow.Add(time.Hour)}
	res := h.Run(a, fixtureNow)
	noErrors(t, res)
	if len(res.Emitted) != 2 || a.token == "revoked" {
		t.Errorf("emitted %d, token %q: want 2 and a new token", len(res.Emitted), a.token)
	}
}
