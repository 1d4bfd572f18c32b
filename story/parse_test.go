package story

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/reactions-research/reactions/internal/golden"
	"github.com/reactions-research/reactions/reaction"
)

func TestLoadGolden(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "jack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "jack.golden.json"), append(got, '\n'))

	// JSON is YAML: the aggregator parses the JSON form with Parse too.
	again, err := Parse(got)
	if err != nil {
		t.Fatalf("Parse(JSON of parsed story): %v", err)
	}
	if !reflect.DeepEqual(s, again) {
		t.Errorf("JSON round trip changed the story:\n%+v\n%+v", s, again)
	}
}

// base is a valid story with one source, to which each case appends its
// source lines.
const base = "id: s\nsubject: [X]\nsources:\n"

// TestIDForms proves that ids and URLs name the same thread, story, status,
// topic or post for every platform (issue 8).
func TestIDForms(t *testing.T) {
	tests := []struct {
		platform, extra, field, value, want string
	}{
		{"reddit", "", "threads", "j2rm5q", "j2rm5q"},
		{"reddit", "", "threads", "t3_j2rm5q", "j2rm5q"},
		{"reddit", "", "threads", "https://www.reddit.com/r/x/comments/j2rm5q/some_title/", "j2rm5q"},
		{"reddit", "", "threads", "https://old.reddit.com/r/x/comments/j2rm5q/", "j2rm5q"},
		{"reddit", "", "threads", "https://www.reddit.com/comments/j2rm5q", "j2rm5q"},
		{"reddit", "", "threads", "https://www.reddit.com/r/x/comments/j2rm5q/title/g7abcd1/", "j2rm5q"},
		{"reddit", "", "threads", "https://redd.it/j2rm5q", "j2rm5q"},
		{"hackernews", "", "stories", "24651234", "24651234"},
		{"hackernews", "", "stories", "https://news.ycombinator.com/item?id=24651234", "24651234"},
		{"hackernews", "", "stories", "https://hn.algolia.com/api/v1/items/24651234", "24651234"},
		{"mastodon", "base_url: https://mastodon.social", "statuses", "105012345678901234", "105012345678901234"},
		{"mastodon", "base_url: https://mastodon.social", "statuses", "https://mastodon.social/@someone/105012345678901234", "105012345678901234"},
		{"mastodon", "base_url: https://mastodon.social", "statuses", "https://mastodon.social/users/someone/statuses/105012345678901234", "105012345678901234"},
		{"mastodon", "base_url: https://mastodon.social", "statuses", "https://mastodon.social/@someone@other.example/105012345678901234", "105012345678901234"},
		{"mastodon", "base_url: https://mastodon.social", "hashtags", "#TeamLegend", "TeamLegend"},
		{"bluesky", "", "threads", "at://did:plc:abc123/app.bsky.feed.post/3kabc", "at://did:plc:abc123/app.bsky.feed.post/3kabc"},
		{"bluesky", "", "threads", "https://bsky.app/profile/someone.bsky.social/post/3kabc", "at://someone.bsky.social/app.bsky.feed.post/3kabc"},
		{"bluesky", "", "threads", "https://bsky.app/profile/did:plc:abc123/post/3kabc", "at://did:plc:abc123/app.bsky.feed.post/3kabc"},
		{"discourse", "base_url: https://forum.example.org", "topics", "5512", "5512"},
		{"discourse", "base_url: https://forum.example.org", "topics", "https://forum.example.org/t/some-slug/5512", "5512"},
		{"discourse", "base_url: https://forum.example.org", "topics", "https://forum.example.org/t/some-slug/5512/3", "5512"},
		{"discourse", "base_url: https://forum.example.org", "topics", "https://forum.example.org/t/5512/3", "5512"},
		{"discourse", "base_url: https://forum.example.org", "topics", "https://forum.example.org/t/5512", "5512"},
		{"discourse", "base_url: https://forum.example.org", "topics", "https://example.org/forum/t/slug/5512.json", "5512"},
		{"lemmy", "base_url: https://lemmy.world", "posts", "123456", "123456"},
		{"lemmy", "base_url: https://lemmy.world", "posts", "https://lemmy.world/post/123456", "123456"},
		{"lemmy", "base_url: https://lemmy.world", "posts", "https://lemmy.world/post/123456/", "123456"},
		{"web", "", "pages", "https://news.example.com/a?x=1#comments", "https://news.example.com/a?x=1"},
	}
	for _, tc := range tests {
		t.Run(tc.platform+"/"+tc.value, func(t *testing.T) {
			src := "  - platform: " + tc.platform + "\n"
			if tc.extra != "" {
				src += "    " + tc.extra + "\n"
			}
			src += "    " + tc.field + ": [" + quote(tc.value) + "]\n"
			s, err := Parse([]byte(base + src))
			if err != nil {
				t.Fatal(err)
			}
			f := fieldOf(t, &s.Sources[0], tc.field)
			if len(f) != 1 || f[0] != tc.want {
				t.Errorf("%s = %q, want [%q]", tc.field, f, tc.want)
			}
		})
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func fieldOf(t *testing.T, src *Source, name string) []string {
	for _, f := range listFields {
		if f.name == name {
			return *f.get(src)
		}
	}
	t.Fatalf("no list field %q", name)
	return nil
}

// TestBadValues: every bad value is an error naming its field (and the
// value where there is one).
func TestBadValues(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unknown key names its line", base + "  - platform: reddit\n    thread: [abc]\n", []string{`line 5: unknown key "thread" in a source`}},
		{"unknown top-level key", "id: s\nsubjects: [X]\n", []string{`line 2: unknown key "subjects" in the story`}},
		{"empty file", "  \n", []string{"story file is empty"}},
		{"not YAML", "id: [", []string{"not valid YAML"}},
		{"missing id", "subject: [X]\nsources:\n  - platform: hackernews\n    stories: [1]\n", []string{"id: missing"}},
		{"bad id", "id: Jack Story\nsubject: [X]\nsources:\n  - platform: hackernews\n    stories: [1]\n", []string{`id: "Jack Story" is not a story id`}},
		{"missing subject", "id: s\nsources:\n  - platform: hackernews\n    stories: [1]\n", []string{"subject: missing"}},
		{"no sources", "id: s\nsubject: [X]\n", []string{"sources: missing"}},
		{"window to before from", "id: s\nsubject: [X]\nwindow: {from: 2020-10-02T00:00:00Z, to: 2020-10-01T00:00:00Z}\nsources:\n  - platform: hackernews\n    stories: [1]\n",
			[]string{"window.to: 2020-10-01T00:00:00Z is not after window.from 2020-10-02T00:00:00Z"}},
		{"negative poll", "id: s\nsubject: [X]\npoll: -5m\nsources:\n  - platform: hackernews\n    stories: [1]\n", []string{"poll: -5m must be more than zero"}},
		{"poll without unit", "id: s\nsubject: [X]\npoll: 300\nsources:\n  - platform: hackernews\n    stories: [1]\n", []string{`line 3: "300" has no unit`}},
		{"poll not a duration", "id: s\nsubject: [X]\npoll: often\nsources:\n  - platform: hackernews\n    stories: [1]\n", []string{`line 3: "often" is not a duration`}},
		{"unknown platform", base + "  - platform: myspace\n", []string{`sources[0].platform: "myspace" is not one of reddit, hackernews`}},
		{"missing platform", base + "  - stories: [1]\n", []string{"sources[0].platform: missing"}},
		{"bad base url", base + "  - platform: hackernews\n    stories: [1]\n  - platform: hackernews\n    stories: [1]\n  - platform: lemmy\n    base_url: ftp://x\n    posts: [1]\n",
			[]string{`sources[2].base_url: "ftp://x" is not an http(s) URL`}},
		{"base url required", base + "  - platform: mastodon\n    hashtags: [a]\n", []string{"sources[0].base_url: missing: mastodon has no single host"}},
		{"bad token url", base + "  - platform: reddit\n    token_url: nope\n    threads: [abc]\n", []string{`sources[0].token_url: "nope" is not an http(s) URL`}},
		{"token url on other platform", base + "  - platform: hackernews\n    token_url: https://x\n    stories: [1]\n", []string{"sources[0].token_url: only reddit"}},
		{"pds url on other platform", base + "  - platform: reddit\n    pds_url: https://x\n    threads: [abc]\n", []string{"sources[0].pds_url: only bluesky"}},
		{"bad rate", base + "  - platform: hackernews\n    rate: fast\n    stories: [1]\n", []string{`sources[0].rate: "fast" is not a rate`}},
		{"field not for platform", base + "  - platform: hackernews\n    threads: [abc]\n    stories: [1]\n", []string{"sources[0].threads: not used by hackernews sources"}},
		{"mastodon search is honest", base + "  - platform: mastodon\n    base_url: https://m.example\n    search: [x]\n    hashtags: [a]\n", []string{"sources[0].search: not used by mastodon sources: Mastodon performs full-text status search only for logged-in accounts"}},
		{"web selector on api platform", base + "  - platform: reddit\n    item: li\n    threads: [abc]\n", []string{"sources[0].item: only web sources"}},
		{"nothing to collect", base + "  - platform: reddit\n", []string{`sources[0]: reddit source "reddit" names nothing to collect: give threads or search`}},
		{"duplicate names", base + "  - platform: reddit\n    name: a\n    threads: [abc]\n  - platform: reddit\n    name: a\n    threads: [abd]\n", []string{`sources[1].name: "a" is used by another source`}},
		{"bad reddit thread", base + "  - platform: reddit\n    threads: [\"https://www.reddit.com/r/x/\"]\n", []string{`sources[0].threads[0]: "https://www.reddit.com/r/x/" is neither a reddit thread id nor a URL naming one`}},
		{"bad hn story", base + "  - platform: hackernews\n    stories: [\"https://news.ycombinator.com/item?id=abc\"]\n", []string{`sources[0].stories[0]: "https://news.ycombinator.com/item?id=abc" is neither a hackernews story id`}},
		{"bad mastodon status", base + "  - platform: mastodon\n    base_url: https://m.example\n    statuses: [\"https://m.example/@someone\"]\n", []string{`sources[0].statuses[0]: "https://m.example/@someone" is neither a mastodon status id`}},
		{"bad bluesky thread", base + "  - platform: bluesky\n    threads: [\"https://bsky.app/profile/someone.bsky.social\"]\n", []string{`sources[0].threads[0]: "https://bsky.app/profile/someone.bsky.social" is neither a bluesky thread id`}},
		{"bad discourse topic", base + "  - platform: discourse\n    base_url: https://f.example\n    topics: [\"https://f.example/c/news\"]\n", []string{`sources[0].topics[0]: "https://f.example/c/news" is neither a discourse topic id`}},
		{"bad lemmy post", base + "  - platform: lemmy\n    base_url: https://l.example\n    posts: [\"https://l.example/comment/5\"]\n", []string{`sources[0].posts[0]: "https://l.example/comment/5" is neither a lemmy post id`}},
		{"bad web page", base + "  - platform: web\n    pages: [\"news.example.com/a\"]\n", []string{`sources[0].pages[0]: "news.example.com/a" is not an http(s) URL`}},
		{"bad hashtag", base + "  - platform: mastodon\n    base_url: https://m.example\n    hashtags: [\"two words\"]\n", []string{`sources[0].hashtags[0]: "two words" is not a hashtag`}},
		{"every problem is listed", "id: S\nsources:\n  - platform: reddit\n", []string{"id: ", "subject: missing", "sources[0]: reddit source"}},
		{"bad url", "id: s\nsubject: [X]\nurls: [news.example.com/a]\nsources:\n  - platform: hackernews\n", []string{`urls[0]: "news.example.com/a" is not an http(s) URL`}},
		{"discourse cannot discover", "id: s\nsubject: [X]\nurls: [https://news.example.com/a]\nsources:\n  - platform: discourse\n    base_url: https://f.example\n",
			[]string{`names nothing to collect: give topics (Discourse cannot find topics from the story's urls: a forum's robots.txt disallows /search`}},
		{"discover without urls", base + "  - platform: reddit\n    discover: true\n    threads: [abc]\n", []string{"sources[0].discover: the story has no urls"}},
		{"bad jetstream url", base + "  - platform: bluesky\n    jetstream_url: https://x\n    threads: [\"at://did:plc:a/app.bsky.feed.post/3k\"]\n", []string{`sources[0].jetstream_url: "https://x" is not a ws(s) URL`}},
		{"negative jetstream replay", base + "  - platform: bluesky\n    jetstream_replay: -1h\n    threads: [\"at://did:plc:a/app.bsky.feed.post/3k\"]\n", []string{`sources[0].jetstream_replay: -1h must be more than zero`}},
		{"jetstream dictionary elsewhere", base + "  - platform: lemmy\n    base_url: https://l.example\n    jetstream_dictionary: dict.zst\n    posts: [\"1\"]\n", []string{`sources[0].jetstream_dictionary: only bluesky sources have a Jetstream`}},
		{"two documents", base + "  - platform: hackernews\n    stories: [1]\n---\nid: t\n", []string{"line 6: a story file holds one story"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.file))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tc.file)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRefusedPlatforms(t *testing.T) {
	for _, p := range []string{"x", "twitter", "instagram", "facebook", "tiktok", "youtube", "Twitter"} {
		t.Run(p, func(t *testing.T) {
			_, err := Parse([]byte(base + "  - platform: " + p + "\n"))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "sources[0].platform: ") || !strings.Contains(msg, "cannot be crawled") ||
				strings.Count(msg, ". ") > 0 || !strings.HasSuffix(msg, ".") {
				t.Errorf("want one honest sentence naming the field, got %q", msg)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	s, err := Parse([]byte(base + `  - platform: reddit
    threads: [abc]
  - platform: reddit
    name: reddit-2
    threads: [abd]
  - platform: reddit
    threads: [abe]
  - platform: bluesky
    search: [jack]
  - platform: hackernews
    search: [jack]
`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, src := range s.Sources {
		names = append(names, src.Name)
	}
	if want := []string{"reddit", "reddit-2", "reddit-3", "bluesky", "hackernews"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if time.Duration(s.Poll) != DefaultPoll {
		t.Errorf("poll = %v", s.Poll)
	}
	r := s.Sources[0]
	if r.BaseURL != "https://oauth.reddit.com" || r.TokenURL != "https://www.reddit.com/api/v1/access_token" {
		t.Errorf("reddit defaults: %q %q", r.BaseURL, r.TokenURL)
	}
	if b := s.Sources[3]; b.BaseURL != "https://public.api.bsky.app" || b.PDSURL != "https://bsky.social" {
		t.Errorf("bluesky defaults: %q %q", b.BaseURL, b.PDSURL)
	}
	if h := s.Sources[4]; h.BaseURL != "https://hn.algolia.com/api/v1" {
		t.Errorf("hackernews default: %q", h.BaseURL)
	}
	for _, p := range []reaction.Platform{reaction.Mastodon, reaction.Discourse, reaction.Lemmy, reaction.Web} {
		if DefaultBaseURL(p) != "" {
			t.Errorf("%s must have no default base URL", p)
		}
	}
}

func TestDuplicateIDsCollapse(t *testing.T) {
	s, err := Parse([]byte(base + "  - platform: reddit\n    threads: [j2rm5q, t3_j2rm5q, \"https://www.reddit.com/r/x/comments/j2rm5q/t/\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sources[0].Threads; !reflect.DeepEqual(got, []string{"j2rm5q"}) {
		t.Errorf("threads = %q", got)
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{5 * time.Minute, "5m"}, {30 * time.Second, "30s"}, {time.Hour, "1h"}, {90 * time.Minute, "1h30m"}, {1500 * time.Millisecond, "1.5s"}} {
		d := Duration(tc.d)
		j, _ := json.Marshal(d)
		y, _ := yaml.Marshal(d)
		if string(j) != `"`+tc.want+`"` || strings.TrimSpace(string(y)) != tc.want {
			t.Errorf("%v: JSON %s, YAML %s, want %s", tc.d, j, y, tc.want)
		}
		var back Duration
		if err := json.Unmarshal(j, &back); err != nil || back != d {
			t.Errorf("JSON round trip of %v: %v %v", tc.d, back, err)
		}
		if err := yaml.Unmarshal(y, &back); err != nil || back != d {
			t.Errorf("YAML round trip of %v: %v %v", tc.d, back, err)
		}
	}
	var d Duration
	if err := json.Unmarshal([]byte(`300`), &d); err == nil {
		t.Error("a bare JSON number was accepted as a duration")
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in  string
		n   int
		per time.Duration
		ok  bool
	}{
		{"100/1m", 100, time.Minute, true}, {"10/s", 10, time.Second, true}, {"300/5m", 300, 5 * time.Minute, true},
		{"50/10s", 50, 10 * time.Second, true}, {"1/h", 1, time.Hour, true},
		{"0/1m", 0, 0, false}, {"x/1m", 0, 0, false}, {"100", 0, 0, false}, {"100/never", 0, 0, false}, {"-1/1s", 0, 0, false},
	} {
		n, per, err := ParseRate(tc.in)
		if (err == nil) != tc.ok || n != tc.n || per != tc.per {
			t.Errorf("ParseRate(%q) = %d, %v, %v", tc.in, n, per, err)
		}
	}
}

func TestURLsAndDiscovery(t *testing.T) {
	st, err := Parse([]byte(`id: s
subject: [X]
urls:
  - https://www.example.com/2020/09/30/teigen/?utm_source=twitter
  - http://example.com/2020/09/30/teigen
  - https://example.com/2020/09/30/teigen/amp/
  - https://syndicated.example.org/teigen
sources:
  - platform: hackernews
  - platform: reddit
    threads: [abc]
  - platform: reddit
    threads: [abd]
    discover: true
  - platform: lemmy
    base_url: https://l.example
    discover: false
    posts: [1]
  - platform: discourse
    base_url: https://f.example
    topics: [5]
`))
	if err != nil {
		t.Fatal(err)
	}
	// Copies of one article collapse to the first spelling; originals are kept.
	if want := []string{"https://www.example.com/2020/09/30/teigen/?utm_source=twitter", "https://syndicated.example.org/teigen"}; !slices.Equal(st.URLs, want) {
		t.Errorf("urls = %q, want %q", st.URLs, want)
	}
	for i, want := range []bool{true, false, true, false, false} {
		if got := st.Sources[i].Discovers(st); got != want {
			t.Errorf("sources[%d] (%s) discovers = %v, want %v", i, st.Sources[i].Platform, got, want)
		}
	}
}
