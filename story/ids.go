package story

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/reactions-research/reactions/reaction"
)

var (
	digitsRe     = regexp.MustCompile(`^[0-9]+$`)
	base36Re     = regexp.MustCompile(`^[a-z0-9]{1,13}$`)
	rkeyRe       = regexp.MustCompile(`^[A-Za-z0-9._:~-]{1,512}$`)
	bskyActorRe  = regexp.MustCompile(`^(did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+)$`)
	atPostURIRe  = regexp.MustCompile(`^at://([^/]+)/app\.bsky\.feed\.post/([^/?#]+)$`)
	redditHostRe = regexp.MustCompile(`(^|\.)(reddit\.com|redd\.it)$`)
)

// normalize turns one value of a list field into what adapters read: a native
// id (or an at:// URI for Bluesky, an absolute URL for web pages, a tag
// without '#' for Mastodon hashtags, the query for searches).
func normalize(p reaction.Platform, field, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("empty value")
	}
	switch field {
	case "search":
		return v, nil
	case "hashtags":
		tag := strings.TrimPrefix(v, "#")
		if tag == "" || strings.ContainsAny(tag, " \t/#?&") {
			return "", fmt.Errorf("%q is not a hashtag (write it without spaces, e.g. TeamLegend)", v)
		}
		return tag, nil
	case "pages":
		u, err := checkHTTPURL(v)
		if err != nil {
			return "", err
		}
		u.Fragment = ""
		return u.String(), nil
	}
	var id string
	var ok bool
	switch p {
	case reaction.Reddit:
		id, ok = redditThread(v)
	case reaction.HackerNews:
		id, ok = hnStory(v)
	case reaction.Mastodon:
		id, ok = mastodonStatus(v)
	case reaction.Bluesky:
		id, ok = blueskyThread(v)
	case reaction.Discourse:
		id, ok = discourseTopic(v)
	case reaction.Lemmy:
		id, ok = lemmyPost(v)
	}
	if !ok {
		return "", fmt.Errorf("%q is neither a %s %s id nor a URL naming one (%s)", v, p, singular(field), idExample(p))
	}
	return id, nil
}

func singular(field string) string {
	switch field {
	case "stories":
		return "story"
	case "statuses":
		return "status"
	}
	return strings.TrimSuffix(field, "s")
}

func idExample(p reaction.Platform) string {
	switch p {
	case reaction.Reddit:
		return "e.g. j2rm5q or https://www.reddit.com/r/sub/comments/j2rm5q/title/"
	case reaction.HackerNews:
		return "e.g. 24651234 or https://news.ycombinator.com/item?id=24651234"
	case reaction.Mastodon:
		return "e.g. 105012345678901234 or https://mastodon.social/@someone/105012345678901234"
	case reaction.Bluesky:
		return "e.g. at://did:plc:abc/app.bsky.feed.post/3kxyz or https://bsky.app/profile/someone.bsky.social/post/3kxyz"
	case reaction.Discourse:
		return "e.g. 5512 or https://forum.example.org/t/some-title/5512"
	case reaction.Lemmy:
		return "e.g. 123456 or https://lemmy.world/post/123456"
	}
	return ""
}

// parseURL parses v when it looks like an absolute http(s) URL.
func parseURL(v string) (*url.URL, bool) {
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return nil, false
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return nil, false
	}
	return u, true
}

func segments(u *url.URL) []string {
	var out []string
	for _, s := range strings.Split(u.Path, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// redditThread: j2rm5q, t3_j2rm5q, https://www.reddit.com/r/x/comments/j2rm5q/title/,
// https://www.reddit.com/comments/j2rm5q, https://redd.it/j2rm5q, old./np./new. hosts,
// and the replica's own /reddit/... paths (any host with a comments/<id> path).
func redditThread(v string) (string, bool) {
	id := strings.TrimPrefix(v, "t3_")
	if base36Re.MatchString(id) {
		return id, true
	}
	u, ok := parseURL(v)
	if !ok {
		return "", false
	}
	seg := segments(u)
	for i, s := range seg {
		if s == "comments" && i+1 < len(seg) {
			id := strings.TrimSuffix(strings.ToLower(seg[i+1]), ".json")
			id = strings.TrimPrefix(id, "t3_")
			return id, base36Re.MatchString(id)
		}
	}
	if strings.HasSuffix(u.Hostname(), "redd.it") && len(seg) == 1 && redditHostRe.MatchString(u.Hostname()) {
		id := strings.ToLower(seg[0])
		return id, base36Re.MatchString(id)
	}
	return "", false
}

// hnStory: 24651234, https://news.ycombinator.com/item?id=24651234,
// https://hn.algolia.com/api/v1/items/24651234.
func hnStory(v string) (string, bool) {
	if digitsRe.MatchString(v) {
		return v, true
	}
	u, ok := parseURL(v)
	if !ok {
		return "", false
	}
	if id := u.Query().Get("id"); id != "" {
		return id, digitsRe.MatchString(id)
	}
	seg := segments(u)
	if n := len(seg); n >= 2 && (seg[n-2] == "items" || seg[n-2] == "item") {
		id := strings.TrimSuffix(seg[n-1], ".json")
		return id, digitsRe.MatchString(id)
	}
	return "", false
}

// mastodonStatus: 105012345678901234, https://host/@user/ID,
// https://host/@user@remote/ID, https://host/users/u/statuses/ID,
// https://host/web/statuses/ID, https://host/web/@user/ID,
// https://host/api/v1/statuses/ID.
func mastodonStatus(v string) (string, bool) {
	if digitsRe.MatchString(v) {
		return v, true
	}
	u, ok := parseURL(v)
	if !ok {
		return "", false
	}
	seg := segments(u)
	n := len(seg)
	if n >= 2 && strings.HasPrefix(seg[n-2], "@") && digitsRe.MatchString(seg[n-1]) {
		return seg[n-1], true
	}
	if n >= 2 && seg[n-2] == "statuses" && digitsRe.MatchString(seg[n-1]) {
		return seg[n-1], true
	}
	return "", false
}

// blueskyThread: at://did-or-handle/app.bsky.feed.post/rkey and
// https://bsky.app/profile/<handle-or-did>/post/<rkey> (the adapter resolves
// handles to DIDs).
func blueskyThread(v string) (string, bool) {
	if m := atPostURIRe.FindStringSubmatch(v); m != nil {
		return v, bskyActorRe.MatchString(m[1]) && rkeyRe.MatchString(m[2])
	}
	u, ok := parseURL(v)
	if !ok {
		return "", false
	}
	seg := segments(u)
	for i := 0; i+3 < len(seg); i++ {
		if seg[i] == "profile" && seg[i+2] == "post" {
			actor, rkey := seg[i+1], seg[i+3]
			if bskyActorRe.MatchString(actor) && rkeyRe.MatchString(rkey) {
				return "at://" + actor + "/app.bsky.feed.post/" + rkey, true
			}
			return "", false
		}
	}
	return "", false
}

// discourseTopic: 5512, https://forum/t/slug/5512, https://forum/t/slug/5512/3,
// https://forum/t/5512, https://forum/t/5512/3, https://forum/t/slug/5512.json
// (also under a sub-folder, e.g. https://host/forum/t/slug/5512).
func discourseTopic(v string) (string, bool) {
	if digitsRe.MatchString(v) {
		return v, true
	}
	u, ok := parseURL(v)
	if !ok {
		return "", false
	}
	seg := segments(u)
	for i := 0; i+1 < len(seg); i++ {
		if seg[i] != "t" {
			continue
		}
		a := strings.TrimSuffix(seg[i+1], ".json")
		if digitsRe.MatchString(a) {
			return a, true
		}
		if i+2 < len(seg) {
			b := strings.TrimSuffix(seg[i+2], ".json")
			return b, digitsRe.MatchString(b)
		}
		return "", false
	}
	return "", false
}

// lemmyPost: 123456, https://host/post/123456.
func lemmyPost(v string) (string, bool) {
	if digitsRe.MatchString(v) {
		return v, true
	}
	u, ok := parseURL(v)
	if !ok {
		return "", false
	}
	seg := segments(u)
	for i := 0; i+1 < len(seg); i++ {
		if seg[i] == "post" {
			return seg[i+1], digitsRe.MatchString(seg[i+1])
		}
	}
	return "", false
}
