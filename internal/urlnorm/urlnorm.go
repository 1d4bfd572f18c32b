// Package urlnorm turns an article's URL into the key that all its copies
// share (Key) and into the spellings a platform that matches URLs exactly
// may hold (Forms). Platforms store the URL as people shared it: with or
// without www, http or https, a trailing slash, tracking parameters, or an
// AMP address.
package urlnorm

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// tracking lists query parameters that only say where a click came from.
// Names ending in "_" are prefixes (utm_source, utm_medium, …).
var tracking = []string{
	"utm_", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid", "igsh",
	"_ga", "_gl", "yclid", "twclid", "ttclid", "li_fat_id", "mkt_tok", "s_cid", "cmpid", "ocid",
	"ref_src", "ref_url", "smid", "sr_share", "share", "__s", "hootpostid", "xtor", "at_medium", "at_campaign",
}

func isTracking(name string) bool {
	n := strings.ToLower(name)
	for _, t := range tracking {
		if n == t || strings.HasSuffix(t, "_") && strings.HasPrefix(n, t) {
			return true
		}
	}
	return false
}

func isAMPParam(name, value string) bool {
	n := strings.ToLower(name)
	switch n {
	case "amp", "amp_js_v", "usqp":
		return true
	case "outputtype":
		return strings.EqualFold(value, "amp")
	}
	return false
}

// Canonical returns raw without what only says how a page was reached:
// tracking parameters, the AMP edition (an amp. host, an /amp path
// suffix or .amp before the extension, ?amp, Google's and Cloudflare's
// AMP caches), the fragment and a default port. It keeps the scheme,
// www and the trailing slash as given: Forms varies those.
func Canonical(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if h, p, ok := strings.Cut(u.Host, ":"); ok && (p == "80" && u.Scheme == "http" || p == "443" && u.Scheme == "https") {
		u.Host = h
	}
	u.Fragment, u.RawFragment, u.User = "", "", nil
	// AMP caches wrap the publisher's URL: /c/s/<host>/<path> on
	// *.cdn.ampproject.org, /amp/s/<host>/<path> on google.com.
	host := u.Hostname()
	if strings.HasSuffix(host, ".cdn.ampproject.org") || host == "cdn.ampproject.org" ||
		(host == "google.com" || host == "www.google.com") && strings.HasPrefix(u.Path, "/amp/") {
		p := strings.TrimPrefix(u.Path, "/amp")
		for _, pre := range []string{"/c/s/", "/v/s/", "/i/s/", "/s/", "/c/", "/v/", "/i/", "/"} {
			if rest, ok := strings.CutPrefix(p, pre); ok && strings.Contains(rest, ".") {
				scheme := "http"
				if strings.Contains(pre, "s/") {
					scheme = "https"
				}
				inner, err := url.Parse(scheme + "://" + rest)
				if err == nil && inner.Host != "" {
					inner.RawQuery = u.RawQuery
					return Canonical(inner.String())
				}
				break
			}
		}
	}
	if rest, ok := strings.CutPrefix(u.Host, "amp."); ok && strings.Contains(rest, ".") {
		u.Host = rest
	}
	p := u.Path
	switch {
	case strings.HasSuffix(p, "/amp/"):
		p = strings.TrimSuffix(p, "amp/")
	case strings.HasSuffix(p, "/amp"):
		p = strings.TrimSuffix(p, "amp")
	case strings.HasSuffix(p, ".amp.html"):
		p = strings.TrimSuffix(p, ".amp.html") + ".html"
	case strings.HasSuffix(p, ".amp"):
		p = strings.TrimSuffix(p, ".amp")
	}
	if p != u.Path {
		u.Path, u.RawPath = p, ""
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if isTracking(k) || len(vs) > 0 && isAMPParam(k, vs[0]) {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode() // sorted by name
	}
	u.ForceQuery = false
	return u, nil
}

// Key is what every copy of one article shares: its canonical form
// without scheme, www and trailing slash, e.g.
// "example.com/2020/09/30/teigen?id=7". Match URLs on their keys.
func Key(raw string) (string, error) {
	u, err := Canonical(raw)
	if err != nil {
		return "", err
	}
	host := strings.TrimPrefix(u.Host, "www.")
	path := strings.TrimRight(u.EscapedPath(), "/")
	k := host + path
	if u.RawQuery != "" {
		k += "?" + u.RawQuery
	}
	return k, nil
}

// Same reports whether a and b are copies of one article (equal keys).
func Same(a, b string) bool {
	ka, err1 := Key(a)
	kb, err2 := Key(b)
	return err1 == nil && err2 == nil && ka == kb
}

// Forms returns the spellings of raw that a platform matching URLs
// exactly may hold, the original first: its canonical URL over https and
// http, with and without www, with and without a trailing slash, and
// the common AMP editions over https (an /amp/ path on either host, and
// an amp. host). A platform
// that strips tracking parameters itself finds the shares that carried
// them through these; one that does not can only be asked for the
// spelling given.
func Forms(raw string) []string {
	u, err := Canonical(raw)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(strings.TrimSpace(raw))
	bare := strings.TrimPrefix(u.Host, "www.")
	path := strings.TrimRight(u.EscapedPath(), "/")
	query := ""
	if u.RawQuery != "" {
		query = "?" + u.RawQuery
	}
	hosts := []string{bare, "www." + bare}
	if u.Host != bare {
		hosts = []string{u.Host, bare}
	}
	for _, scheme := range []string{u.Scheme, other(u.Scheme)} {
		for _, h := range hosts {
			add(scheme + "://" + h + path + query)
			add(scheme + "://" + h + path + "/" + query)
		}
	}
	if path != "" {
		for _, h := range hosts {
			add("https://" + h + path + "/amp/" + query)
		}
		add("https://amp." + bare + path + query)
	}
	return out
}

func other(scheme string) string {
	if scheme == "https" {
		return "http"
	}
	return "https"
}

// HostPath is the key without its query, as search engines that split
// URLs into words are asked: "example.com/2020/09/30/teigen".
func HostPath(raw string) string {
	k, err := Key(raw)
	if err != nil {
		return ""
	}
	k, _, _ = strings.Cut(k, "?")
	return k
}

// Set matches URLs against the keys of a story's URLs.
type Set struct{ keys map[string]string } // key → the URL as the story gives it

// NewSet returns a set of the keys of urls (those that are not http(s)
// URLs are left out).
func NewSet(urls []string) *Set {
	s := &Set{keys: map[string]string{}}
	for _, u := range urls {
		if k, err := Key(u); err == nil {
			if _, ok := s.keys[k]; !ok {
				s.keys[k] = u
			}
		}
	}
	return s
}

// Match returns the story URL that raw is a copy of, and whether there is one.
func (s *Set) Match(raw string) (string, bool) {
	if s == nil || len(s.keys) == 0 {
		return "", false
	}
	k, err := Key(raw)
	if err != nil {
		return "", false
	}
	u, ok := s.keys[k]
	return u, ok
}

// Len returns how many distinct articles the set holds.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Keys returns the set's keys, sorted.
func (s *Set) Keys() []string {
	out := make([]string, 0, len(s.keys))
	for k := range s.keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
