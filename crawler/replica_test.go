package crawler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// memSink is an in-memory aggregator, with every crawl-run record.
type memSink struct {
	mu       sync.Mutex
	stored   map[string]reaction.Reaction
	sent     []reaction.Reaction // every reaction received, in order
	received int
	runs     []reaction.CrawlRun
}

func newMemSink() *memSink { return &memSink{stored: map[string]reaction.Reaction{}} }

func (s *memSink) PutStory(context.Context, *story.Story) error { return nil }

func (s *memSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		s.stored[r.ID] = r
		s.received++
	}
	s.sent = append(s.sent, rs...)
	return reaction.IngestResult{Accepted: len(rs)}, nil
}

// all returns every reaction received so far, in order.
func (s *memSink) all() []reaction.Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reaction.Reaction(nil), s.sent...)
}

func (s *memSink) PutCrawlRun(_ context.Context, r reaction.CrawlRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, r)
	return nil
}

// recorded returns the last crawl-run record written for source.
func (s *memSink) recorded(source string) (reaction.CrawlRun, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.runs) - 1; i >= 0; i-- {
		if s.runs[i].Source == source {
			return s.runs[i], true
		}
	}
	return reaction.CrawlRun{}, false
}

// hnStories is how many Hacker News stories the end-to-end crawl names.
const hnStories = 30

// inStory reports whether item it belongs to a thread the story names.
func inStory(st *story.Story, it replica.Item) bool {
	if it.Platform != reaction.HackerNews {
		return true
	}
	root := it.Thread
	if root == "" {
		root = it.Native
	}
	for _, src := range st.Sources {
		for _, s := range src.Stories {
			if s == root {
				return true
			}
		}
	}
	return false
}

// replicaStory names every thread of every platform that has both a replica
// and an adapter, the way a researcher would.
func replicaStory(t *testing.T, base string, d *replica.Dataset) (*story.Story, map[reaction.Platform]bool) {
	t.Helper()
	st := &story.Story{ID: "replica-e2e", Subject: []string{"Chrissy Teigen"}}
	covered := map[reaction.Platform]bool{}
	for _, p := range reaction.Platforms {
		if _, ok := replica.Platforms()[p]; !ok {
			continue
		}
		if _, ok := source.Lookup(p); !ok {
			continue
		}
		src := story.Source{Platform: p}
		seen := map[string]bool{}
		for _, it := range d.Items(p) {
			switch p {
			case reaction.Reddit:
				if it.Thread == "" {
					src.Threads = append(src.Threads, it.Native)
				}
			case reaction.HackerNews:
				// The fixture holds thousands of stories (to pass Algolia's
				// 1,000-hit cap); a few dozen keep this test quick.
				if it.Thread == "" && len(src.Stories) < hnStories {
					src.Stories = append(src.Stories, it.Native)
				}
			case reaction.Lemmy:
				if it.Thread == "" {
					src.Posts = append(src.Posts, it.Native)
				}
			case reaction.Discourse:
				if it.Thread == "" {
					src.Topics = append(src.Topics, replica.DiscourseTopicID(it))
				}
			case reaction.Bluesky:
				if it.Thread == "" {
					src.Threads = append(src.Threads, replica.BlueskyURI(it))
				}
				for _, tag := range it.Tags {
					if !strings.HasPrefix(tag, "replica:") && !seen[tag] {
						seen[tag] = true
						src.Search = append(src.Search, tag)
					}
				}
			case reaction.Mastodon:
				// Tagged statuses come from hashtag timelines; untagged
				// roots are named as statuses.
				for _, tag := range it.Tags {
					if !seen[tag] {
						seen[tag] = true
						src.Hashtags = append(src.Hashtags, tag)
					}
				}
				if it.Thread == "" && len(it.Tags) == 0 {
					src.Statuses = append(src.Statuses, it.Native)
				}
			case reaction.Web:
				if !seen[it.Thread] {
					seen[it.Thread] = true
					src.Pages = append(src.Pages, base+"/web/"+it.Thread+"/")
				}
			default:
				t.Logf("%s: no rule to name its threads in this test yet", p)
				continue
			}
		}
		switch p {
		case reaction.Reddit:
			src.BaseURL, src.TokenURL = base+"/reddit/oauth", base+"/reddit/api/v1/access_token"
		case reaction.Web:
			src.JSONLD = true
		case reaction.Bluesky:
			src.BaseURL, src.PDSURL = base+"/bluesky", base+"/bluesky"
		default:
			src.BaseURL = replica.BaseURLFor(p, base+"/"+string(p))
		}
		st.Sources = append(st.Sources, src)
		covered[p] = true
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	return st, covered
}

// TestCrawlEveryReplica runs the whole crawler (Run, every adapter, the
// polite fetcher, state, batching) against every replica at once, with
// rate limiting injected, and compares what reaches the sink with the
// replicas' ground truth; then a second run must send nothing.
func TestCrawlEveryReplica(t *testing.T) {
	d := replica.TestDataset()
	rs := replica.New(d, replica.Options{RateLimitEvery: 40, RetryAfter: time.Second})
	srv := httptest.NewServer(rs)
	defer srv.Close()
	st, covered := replicaStory(t, srv.URL, d)
	if len(covered) == 0 {
		t.Fatal("no platform has both a replica and an adapter")
	}
	authors, err := reaction.NewPseudonymizer([]byte("e2e-secret-e2e-secret-e2e-secret"), false)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[reaction.Platform]string{}
	for _, p := range reaction.Platforms {
		rates[p] = crawler.Unlimited
	}
	cfg := crawler.Config{
		StateDir: t.TempDir(), Authors: authors, Rates: rates, RetryInitial: 10 * time.Millisecond,
		BatchSize: 50, BatchWait: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// With a token Mastodon serves up to 4,096 descendants per context,
		// so the fixture's 70-reply thread is reachable (anonymously it is
		// cut at 60, which the mastodon package's own tests cover).
		Credentials: source.Credentials{RedditClientID: "e2e-app", RedditClientSecret: "e2e-secret",
			BlueskyHandle: "e2e.example.com", BlueskyAppPassword: "abcd-efgh-ijkl-mnop", MastodonAccessToken: "e2e-token"},
	}
	sink := newMemSink()
	runs, err := crawler.Run(context.Background(), cfg, st, sink, crawler.Once)
	if err != nil {
		t.Fatal(err)
	}
	var sum strings.Builder
	crawler.WriteSummary(&sum, runs)
	t.Logf("summary:\n%s", sum.String())

	// Ground truth: Expect of every item of the covered platforms, with
	// the Expect placeholder host replaced by the test server's.
	want := map[string]reaction.Reaction{}
	for _, it := range d.Items("") {
		if !covered[it.Platform] || !inStory(st, it) {
			continue
		}
		if it.Platform == reaction.Web {
			continue // below, with the server's base (web ids contain it)
		}
		r := replica.Platforms()[it.Platform].Expect(d, it)
		if r.ID == "" {
			continue // an item no crawler should produce
		}
		r.Author = authors.Author(r.Platform, r.Author)
		if rest, ok := strings.CutPrefix(r.URL, "http://127.0.0.1/"); ok {
			r.URL = srv.URL + "/" + rest
		}
		want[r.ID] = r
	}
	if covered[reaction.Web] {
		for _, it := range d.Items(reaction.Web) {
			r := replica.WebExpect(srv.URL, d, it)
			r.Author = authors.Author(r.Platform, r.Author)
			want[r.ID] = r
		}
	}
	for i := range st.Sources {
		for _, id := range replica.NamedStarters(d, st.Sources[i]) {
			if r, ok := want[id]; ok {
				r.IsRoot = true
				want[id] = r
			}
		}
	}
	perPlatform := map[reaction.Platform][2]int{}
	roots, warnings, negative := 0, 0, 0
	for id, w := range want {
		if w.IsRoot {
			roots++
		}
		if w.ContentWarning != "" {
			warnings++
		}
		if w.Likes < 0 {
			negative++
		}
		c := perPlatform[w.Platform]
		c[0]++
		g, ok := sink.stored[id]
		if !ok {
			t.Errorf("missing %s", id)
			continue
		}
		c[1]++
		perPlatform[w.Platform] = c
		if diff := diffReaction(w, g); diff != "" {
			t.Errorf("%s differs from the ground truth:\n%s", id, diff)
		}
	}
	for id := range sink.stored {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected reaction %s", id)
		}
	}
	// The fixtures hold what the checks above must have met.
	if roots == 0 || warnings == 0 || negative == 0 {
		t.Errorf("ground truth holds %d thread starters, %d content warnings, %d negative scores: want some of each", roots, warnings, negative)
	}
	var lines []string
	for p, c := range perPlatform {
		lines = append(lines, fmt.Sprintf("%s %d/%d", p, c[1], c[0]))
	}
	sort.Strings(lines)
	t.Logf("collected per platform: %s", strings.Join(lines, ", "))
	n429 := 0
	for _, r := range rs.Requests() {
		if r.Status == 429 {
			n429++
		}
		if strings.HasPrefix(r.Path, "/web/private/") {
			t.Errorf("fetched %s, which robots.txt disallows", r.Path)
		}
	}
	if n429 == 0 {
		t.Error("no 429 was injected: the test did not exercise Retry-After")
	}
	checkRetryAfterHonoured(t, rs.Requests(), time.Second)

	// Re-running the finished crawl sends nothing.
	before := sink.received
	if _, err := crawler.Run(context.Background(), cfg, st, sink, crawler.Once); err != nil {
		t.Fatal(err)
	}
	if sink.received != before {
		t.Errorf("re-run sent %d reactions, want 0", sink.received-before)
	}
}

func diffReaction(want, got reaction.Reaction) string {
	var b strings.Builder
	f := func(name string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			fmt.Fprintf(&b, "  %s: want %q, got %q\n", name, fmt.Sprint(w), fmt.Sprint(g))
		}
	}
	f("parent_id", want.ParentID, got.ParentID)
	f("root_id", want.RootID, got.RootID)
	f("is_root", want.IsRoot, got.IsRoot)
	f("url", want.URL, got.URL)
	f("created_at", want.CreatedAt.UTC().Format(time.RFC3339), got.CreatedAt.UTC().Format(time.RFC3339))
	f("author", want.Author, got.Author)
	f("content_warning", want.ContentWarning, got.ContentWarning)
	f("text", want.Text, got.Text)
	f("lang", want.Lang, got.Lang)
	f("likes", want.Likes, got.Likes)
	f("deleted", want.Deleted, got.Deleted)
	return b.String()
}

// checkRetryAfterHonoured checks, from the replica's request log, that after
// every 429 the same platform waited at least the Retry-After before its
// next request (the replica rounds HTTP-dates up, so both forms ask for at
// least wait).
func checkRetryAfterHonoured(t *testing.T, log []replica.Request, wait time.Duration) {
	t.Helper()
	for i, r := range log {
		if r.Status != 429 {
			continue
		}
		for _, next := range log[i+1:] {
			if next.Platform != r.Platform {
				continue
			}
			// Requests already in flight when the 429 was answered are not
			// retries; allow a few milliseconds of scheduling skew.
			if gap := next.Time.Sub(r.Time); gap < wait-20*time.Millisecond {
				t.Errorf("%s: request %s came %v after a 429 asking for %v", r.Platform, next.Path, gap, wait)
			}
			break
		}
	}
}

// TestFollowReplica: --follow picks up reactions that the replica gets
// after the first poll, and sends each reaction once.
func TestFollowReplica(t *testing.T) {
	if _, ok := source.Lookup(reaction.Lemmy); !ok {
		t.Fatal("no lemmy adapter registered")
	}
	d := replica.NewDataset(replica.Platforms()[reaction.Lemmy].Fixture()...)
	rs := replica.New(d, replica.Options{})
	srv := httptest.NewServer(rs)
	defer srv.Close()
	var posts []string
	for _, it := range d.Items(reaction.Lemmy) {
		if it.Thread == "" {
			posts = append(posts, it.Native)
		}
	}
	st := &story.Story{ID: "follow-e2e", Subject: []string{"Chrissy Teigen"}, Poll: story.Duration(200 * time.Millisecond),
		Sources: []story.Source{{Platform: reaction.Lemmy, BaseURL: srv.URL + "/lemmy", Rate: "1000/1s", Posts: posts}}}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	authors, _ := reaction.NewPseudonymizer([]byte("e2e-secret-e2e-secret-e2e-secret"), false)
	late := []replica.Item{
		{Platform: reaction.Lemmy, Native: "99000001", Thread: posts[0], Parent: posts[0], Author: "latecomer",
			Text: "Only just heard. Thinking of them.", CreatedAt: time.Date(2020, 10, 2, 9, 0, 0, 0, time.UTC), Lang: "en"},
		{Platform: reaction.Lemmy, Native: "99000002", Thread: posts[0], Parent: "99000001", Author: "another",
			Text: "Same here.", CreatedAt: time.Date(2020, 10, 2, 9, 5, 0, 0, time.UTC), Lang: "en"},
	}
	var polls sync.WaitGroup
	polls.Add(1)
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := newMemSink()
	cfg := crawler.Config{
		StateDir: t.TempDir(), Authors: authors, BatchWait: 10 * time.Millisecond,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnPoll: func([]reaction.CrawlRun) { once.Do(func() { d.Add(late...); polls.Done() }) },
	}
	done := make(chan error, 1)
	go func() { _, err := crawler.Run(ctx, cfg, st, sink, crawler.Follow); done <- err }()
	polls.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		sink.mu.Lock()
		_, ok1 := sink.stored[replica.Platforms()[reaction.Lemmy].Expect(d, late[0]).ID]
		_, ok2 := sink.stored[replica.Platforms()[reaction.Lemmy].Expect(d, late[1]).ID]
		sink.mu.Unlock()
		if ok1 && ok2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // one more quiet poll
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	want := 0
	for _, it := range d.Items(reaction.Lemmy) {
		r := replica.Platforms()[reaction.Lemmy].Expect(d, it)
		g, ok := sink.stored[r.ID]
		if !ok {
			t.Errorf("missing %s", r.ID)
			continue
		}
		want++
		r.Author = authors.Author(reaction.Lemmy, r.Author)
		if diff := diffReaction(r, g); diff != "" {
			t.Errorf("%s:\n%s", r.ID, diff)
		}
	}
	if sink.received != want {
		t.Errorf("sink received %d reactions for %d items: something was sent twice", sink.received, want)
	}
}
