package replica

import (
	"net/url"
	"strings"
	"unicode"
)

// How each platform matches an article URL (Item.Link), as the real one
// does (docs/platforms.md, "Finding threads from the story's URLs"):
//
//   - Hacker News (Algolia, restrictSearchableAttributes=url) and Reddit's
//     "url:" search split the URL into words: a story matches when its URL
//     holds every word of the query.
//   - Reddit's /api/info?url= looks the URL up exactly, apart from case and
//     a leading www (reddit's LinksByUrlAndSubreddit key): scheme, path,
//     trailing slash and query all count.
//   - Lemmy stores a post's URL without tracking parameters (ClearURLs
//     rules) and search?type_=Url compares it exactly.
//   - Bluesky's search normalises both sides lossily (no www, no trailing
//     slash, no fragment, no tracking parameters, sorted query) but keeps
//     the scheme.
//   - Mastodon's preview card holds the page's canonical URL; the link
//     timeline looks it up exactly, and only while the link trends.

// urlWords splits a URL into the lower-case words a search engine indexes.
func urlWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// wordsMatch reports whether every word of query is a word of link.
func wordsMatch(link, query string) bool {
	have := map[string]bool{}
	for _, w := range urlWords(link) {
		have[w] = true
	}
	q := urlWords(query)
	for _, w := range q {
		if !have[w] {
			return false
		}
	}
	return len(q) > 0
}

// redditURLKey is reddit's key of a submitted URL.
func redditURLKey(s string) string {
	u, err := url.Parse(strings.ToLower(strings.TrimSpace(s)))
	if err != nil {
		return s
	}
	u.Host = strings.TrimPrefix(u.Host, "www.")
	if !strings.HasPrefix(u.Fragment, "!") {
		u.Fragment = ""
	}
	return u.String()
}

// trackingParam: the parameters ClearURLs' global rules and Bluesky's
// search remove.
func trackingParam(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "utm_") {
		return true
	}
	switch n {
	case "fbclid", "gclid", "msclkid", "mc_eid", "mc_cid", "_ga", "igshid", "yclid":
		return true
	}
	return false
}

// withoutTracking removes tracking parameters from s.
func withoutTracking(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.RawQuery == "" {
		return s
	}
	q := u.Query()
	for k := range q {
		if trackingParam(k) {
			delete(q, k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// bskyLossyURL is Bluesky search's normalisation of a URL.
func bskyLossyURL(s string) string {
	u, err := url.Parse(withoutTracking(strings.TrimSpace(s)))
	if err != nil {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	u.Fragment = ""
	u.Path = strings.TrimRight(u.Path, "/")
	if u.RawQuery != "" {
		u.RawQuery = u.Query().Encode() // sorted
	}
	return u.String()
}

// mastodonCardURL is the canonical URL a publisher's page declares for a
// shared link: without tracking parameters and without its /amp/ path
// (same origin only, as Mastodon keeps a canonical URL only then).
func mastodonCardURL(link string) string {
	u, err := url.Parse(withoutTracking(link))
	if err != nil {
		return link
	}
	if p, ok := strings.CutSuffix(u.Path, "/amp/"); ok {
		u.Path = p + "/"
	} else if p, ok := strings.CutSuffix(u.Path, "/amp"); ok {
		u.Path = p
	}
	return u.String()
}
