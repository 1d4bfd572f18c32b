package story

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

// Production defaults of the endpoints a source can override.
const (
	DefaultRedditTokenURL = "https://www.reddit.com/api/v1/access_token"
	DefaultBlueskyPDSURL  = "https://bsky.social"
	// DefaultJetstreamURL is Bluesky's public Jetstream, which sends
	// every post of the network as JSON.
	DefaultJetstreamURL = "wss://jetstream2.us-east.bsky.network/subscribe"
)

// DefaultJetstreamReplay is how far back Bluesky's public Jetstream
// instances replay: they keep about 36 hours of events.
const DefaultJetstreamReplay = 36 * time.Hour

// DefaultBaseURL returns the production API root of p, or "" when the
// platform has no single host (Mastodon, Discourse and Lemmy are run by many
// independent servers; the web has none) and base_url is required.
func DefaultBaseURL(p reaction.Platform) string {
	switch p {
	case reaction.Reddit:
		return "https://oauth.reddit.com"
	case reaction.HackerNews:
		return "https://hn.algolia.com/api/v1"
	case reaction.Bluesky:
		return "https://public.api.bsky.app"
	}
	return ""
}

// Refused explains, in one honest sentence, why a platform that people often
// ask for cannot be crawled publicly (docs/platforms.md, "Platforms that cannot be crawled"). It returns "" for
// any other name.
func Refused(platform string) string {
	switch strings.ToLower(strings.TrimSpace(platform)) {
	case "x", "twitter":
		return "X (Twitter) cannot be crawled publicly: it has no free read access (the free API tier became write-only in 2023 and reads are now billed per post), and logged-out visitors see no search or replies."
	case "instagram":
		return "Instagram cannot be crawled publicly: it has no public API for hashtags or comments (the Graph API needs a professional account and Meta app review, and CrowdTangle's successor, the Meta Content Library, is open only to approved researchers)."
	case "facebook":
		return "Facebook cannot be crawled publicly: public page and post content needs Meta app review (Page Public Content Access), CrowdTangle closed in August 2024, and the website needs a login."
	case "tiktok":
		return "TikTok cannot be crawled publicly: comments and video search are available only through its Research API to approved researchers, and the web app needs signed JavaScript requests."
	case "youtube":
		return "YouTube cannot be crawled without a key: comments are available only through the YouTube Data API v3 with an API key and a daily quota, and the website's internal API is off-limits by its terms."
	}
	return ""
}

// listField is one id/URL list of a Source.
type listField struct {
	name string
	get  func(*Source) *[]string
}

var listFields = []listField{
	{"stories", func(s *Source) *[]string { return &s.Stories }},
	{"search", func(s *Source) *[]string { return &s.Search }},
	{"threads", func(s *Source) *[]string { return &s.Threads }},
	{"hashtags", func(s *Source) *[]string { return &s.Hashtags }},
	{"statuses", func(s *Source) *[]string { return &s.Statuses }},
	{"topics", func(s *Source) *[]string { return &s.Topics }},
	{"posts", func(s *Source) *[]string { return &s.Posts }},
	{"pages", func(s *Source) *[]string { return &s.Pages }},
}

// allowedLists says which list fields each platform reads.
var allowedLists = map[reaction.Platform][]string{
	reaction.Reddit:     {"threads", "search"},
	reaction.HackerNews: {"stories", "search"},
	reaction.Mastodon:   {"hashtags", "statuses"},
	reaction.Bluesky:    {"threads", "search"},
	reaction.Discourse:  {"topics"},
	reaction.Lemmy:      {"posts"},
	reaction.Web:        {"pages"},
}

// AllowedLists returns the list fields (story-file keys) that platform p reads.
func AllowedLists(p reaction.Platform) []string { return allowedLists[p] }

// notApplicable gives a reason for a list field a platform does not read,
// where a plain "not used by" would leave the researcher guessing.
func notApplicable(p reaction.Platform, field string) string {
	if p == reaction.Mastodon && field == "search" {
		return "Mastodon performs full-text status search only for logged-in accounts, so anonymous search returns no statuses: use hashtags or statuses"
	}
	return fmt.Sprintf("%s sources read only %s", p, strings.Join(allowedLists[p], " and "))
}

// problems collects validation errors, each naming its field.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

// Validate checks the story, fills defaults (poll, source names, base URLs,
// token and PDS URLs) and rewrites every thread/status/story/topic/post value
// to its native id (web pages stay absolute URLs):
//
//	reddit threads     "j2rm5q"          (also t3_j2rm5q, reddit.com/…/comments/j2rm5q/…, redd.it/j2rm5q)
//	hackernews stories "24651234"        (also news.ycombinator.com/item?id=24651234)
//	mastodon statuses  "105012345678901234" (also https://host/@user/ID, https://host/users/u/statuses/ID)
//	bluesky threads    "at://did-or-handle/app.bsky.feed.post/rkey" (also bsky.app/profile/h/post/rkey)
//	discourse topics   "5512"            (also https://forum/t/slug/5512, /t/5512/3)
//	lemmy posts        "123456"          (also https://host/post/123456)
//
// The error lists every problem found, one per line, each naming its field
// (e.g. `sources[2].base_url: "ftp://x" is not an http(s) URL`).
func (s *Story) Validate() error {
	var ps problems
	s.ID = strings.TrimSpace(s.ID)
	switch {
	case s.ID == "":
		ps.add("id", "missing (a short name like chrissy-teigen-jack)")
	case !reaction.ValidStoryID(s.ID):
		ps.add("id", "%q is not a story id (lowercase letters, digits and '-', at most 64)", s.ID)
	}
	subj := s.Subject[:0]
	for _, x := range s.Subject {
		if x = strings.TrimSpace(x); x != "" {
			subj = append(subj, x)
		}
	}
	s.Subject = subj
	if len(s.Subject) == 0 {
		ps.add("subject", "missing (who stance is about: names, handles, hashtags)")
	}
	if s.Window != nil {
		w := s.Window
		w.From, w.To = w.From.UTC(), w.To.UTC()
		switch {
		case w.From.IsZero() && w.To.IsZero():
			ps.add("window", "give from, to or both")
		case !w.From.IsZero() && !w.To.IsZero() && !w.To.After(w.From):
			ps.add("window.to", "%s is not after window.from %s", w.To.Format("2006-01-02T15:04:05Z07:00"), w.From.Format("2006-01-02T15:04:05Z07:00"))
		}
	}
	if !s.Published.IsZero() {
		s.Published = s.Published.UTC()
	}
	for i := range s.Annotations {
		a := &s.Annotations[i]
		if a.At.IsZero() {
			ps.add(fmt.Sprintf("annotations[%d].at", i), "missing")
		}
		a.At = a.At.UTC()
		if strings.TrimSpace(a.Label) == "" {
			ps.add(fmt.Sprintf("annotations[%d].label", i), "missing")
		}
	}
	switch {
	case s.Poll < 0:
		ps.add("poll", "%s must be more than zero", s.Poll)
	case s.Poll == 0:
		s.Poll = Duration(DefaultPoll)
	}
	seenURL := map[string]bool{}
	urls := s.URLs[:0]
	for i, u := range s.URLs {
		u = strings.TrimSpace(u)
		k, err := urlnorm.Key(u)
		if err != nil {
			ps.add(fmt.Sprintf("urls[%d]", i), "%v", err)
			continue
		}
		if !seenURL[k] {
			seenURL[k] = true
			urls = append(urls, u)
		}
	}
	s.URLs = urls
	if len(s.Sources) == 0 {
		ps.add("sources", "missing (list at least one place to collect from)")
	}
	names := map[string]bool{}
	for i := range s.Sources {
		if n := strings.TrimSpace(s.Sources[i].Name); n != "" {
			if names[n] {
				ps.add(fmt.Sprintf("sources[%d].name", i), "%q is used by another source", n)
			}
			names[n] = true
		}
	}
	count := map[reaction.Platform]int{}
	for i := range s.Sources {
		s.Sources[i].validate(&ps, fmt.Sprintf("sources[%d]", i), names, count, len(s.URLs) > 0)
	}
	if s.Codebook != nil {
		s.Codebook.validate(&ps)
	}
	return errors.Join(ps...)
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// validate checks one source and appends its problems to ps. It is long
// because it is a flat list of independent checks, one per field and
// platform rule, each naming the field: splitting it would scatter them.
func (src *Source) validate(ps *problems, at string, names map[string]bool, count map[reaction.Platform]int, hasURLs bool) {
	src.Platform = reaction.Platform(strings.ToLower(strings.TrimSpace(string(src.Platform))))
	p := src.Platform
	switch {
	case p == "":
		ps.add(at+".platform", "missing (one of %s)", platformList())
		return
	case Refused(string(p)) != "":
		ps.add(at+".platform", "%s", Refused(string(p)))
		return
	case !p.Valid():
		ps.add(at+".platform", "%q is not one of %s", p, platformList())
		return
	}
	// Name: default the platform, then platform-2, platform-3 … unused so far.
	src.Name = strings.TrimSpace(src.Name)
	if src.Name == "" {
		for {
			count[p]++
			n := string(p)
			if count[p] > 1 {
				n = fmt.Sprintf("%s-%d", p, count[p])
			}
			if !names[n] {
				src.Name = n
				names[n] = true
				break
			}
		}
	} else if !nameRe.MatchString(src.Name) || len(src.Name) > 64 {
		ps.add(at+".name", "%q is not a source name (letters, digits, '.', '_' and '-', at most 64)", src.Name)
	}

	src.BaseURL = strings.TrimSpace(src.BaseURL)
	if src.BaseURL == "" {
		src.BaseURL = DefaultBaseURL(p)
	}
	if src.BaseURL == "" && p != reaction.Web {
		ps.add(at+".base_url", "missing: %s has no single host, name the server (e.g. https://%s)", p, exampleHost(p))
	} else if src.BaseURL != "" {
		if u, err := checkHTTPURL(src.BaseURL); err != nil {
			ps.add(at+".base_url", "%v", err)
		} else {
			src.BaseURL = strings.TrimRight(u.String(), "/")
		}
	}
	src.TokenURL = strings.TrimSpace(src.TokenURL)
	if src.TokenURL != "" && p != reaction.Reddit {
		ps.add(at+".token_url", "only reddit sources have a token URL")
	} else if p == reaction.Reddit {
		if src.TokenURL == "" {
			src.TokenURL = DefaultRedditTokenURL
		} else if _, err := checkHTTPURL(src.TokenURL); err != nil {
			ps.add(at+".token_url", "%v", err)
		}
	}
	src.PDSURL = strings.TrimSpace(src.PDSURL)
	if src.PDSURL != "" && p != reaction.Bluesky {
		ps.add(at+".pds_url", "only bluesky sources have a PDS URL")
	} else if p == reaction.Bluesky {
		if src.PDSURL == "" {
			src.PDSURL = DefaultBlueskyPDSURL
		} else if u, err := checkHTTPURL(src.PDSURL); err != nil {
			ps.add(at+".pds_url", "%v", err)
		} else {
			src.PDSURL = strings.TrimRight(u.String(), "/")
		}
	}
	src.JetstreamURL = strings.TrimSpace(src.JetstreamURL)
	if src.JetstreamURL != "" && p != reaction.Bluesky {
		ps.add(at+".jetstream_url", "only bluesky sources have a Jetstream URL")
	} else if p == reaction.Bluesky {
		if src.JetstreamURL == "" {
			src.JetstreamURL = DefaultJetstreamURL
		} else if u, err := url.Parse(src.JetstreamURL); err != nil || u.Host == "" || (u.Scheme != "ws" && u.Scheme != "wss") {
			ps.add(at+".jetstream_url", "%q is not a ws(s) URL", src.JetstreamURL)
		}
	}
	src.JetstreamDictionary = strings.TrimSpace(src.JetstreamDictionary)
	switch {
	case p != reaction.Bluesky && src.JetstreamReplay != 0:
		ps.add(at+".jetstream_replay", "only bluesky sources have a Jetstream")
	case p != reaction.Bluesky && src.JetstreamDictionary != "":
		ps.add(at+".jetstream_dictionary", "only bluesky sources have a Jetstream")
	case p == reaction.Bluesky && src.JetstreamReplay < 0:
		ps.add(at+".jetstream_replay", "%s must be more than zero", src.JetstreamReplay)
	case p == reaction.Bluesky && src.JetstreamReplay == 0:
		src.JetstreamReplay = Duration(DefaultJetstreamReplay)
	}
	if src.Discover != nil && *src.Discover {
		switch {
		case !CanDiscover(p):
			ps.add(at+".discover", "%s", NoDiscovery(p))
		case !hasURLs:
			ps.add(at+".discover", "the story has no urls to discover threads from")
		}
	}
	if src.Rate != "" {
		if _, _, err := ParseRate(src.Rate); err != nil {
			ps.add(at+".rate", "%v", err)
		}
	}
	if p != reaction.Web {
		if src.Item != "" {
			ps.add(at+".item", "only web sources have an item selector")
		}
		if src.Fields != nil {
			ps.add(at+".fields", "only web sources have field selectors")
		}
		if src.Next != "" {
			ps.add(at+".next", "only web sources have a next-page selector")
		}
		if src.JSONLD {
			ps.add(at+".jsonld", "only web sources read JSON-LD")
		}
	}

	total := 0
	for _, f := range listFields {
		list := f.get(src)
		if len(*list) == 0 {
			continue
		}
		if !allowed(p, f.name) {
			ps.add(at+"."+f.name, "not used by %s sources: %s", p, notApplicable(p, f.name))
			continue
		}
		seen := map[string]bool{}
		out := (*list)[:0]
		for j, v := range *list {
			field := fmt.Sprintf("%s.%s[%d]", at, f.name, j)
			id, err := normalize(p, f.name, strings.TrimSpace(v))
			if err != nil {
				ps.add(field, "%v", err)
				continue
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		*list = out
		total += len(out)
	}
	discovers := hasURLs && CanDiscover(p) && (src.Discover == nil || *src.Discover)
	switch {
	case total == 0 && discovers:
	case total == 0 && hasURLs && NoDiscovery(p) != "":
		ps.add(at, "%s source %q names nothing to collect: give %s (%s)", p, src.Name, strings.Join(allowedLists[p], " or "), NoDiscovery(p))
	case total == 0:
		ps.add(at, "%s source %q names nothing to collect: give %s, or give the story urls to find threads from", p, src.Name, strings.Join(allowedLists[p], " or "))
	}
}

func allowed(p reaction.Platform, field string) bool {
	for _, f := range allowedLists[p] {
		if f == field {
			return true
		}
	}
	return false
}

func platformList() string {
	s := make([]string, len(reaction.Platforms))
	for i, p := range reaction.Platforms {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func exampleHost(p reaction.Platform) string {
	switch p {
	case reaction.Mastodon:
		return "mastodon.social"
	case reaction.Discourse:
		return "meta.discourse.org"
	case reaction.Lemmy:
		return "lemmy.world"
	}
	return "example.org"
}

func checkHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", s)
	}
	return u, nil
}
