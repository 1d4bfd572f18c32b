package web

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/reactions-research/reactions/reaction"
)

// commentPageRe matches WordPress's pretty comment-page suffix
// (/2020/10/01/teigen/comment-page-2/).
var commentPageRe = regexp.MustCompile(`/comment-page-\d+/?$`)

// pagingParam reports whether a query parameter only pages or tracks, so
// that it is not part of an article's identity: WordPress's cpage and
// replytocom, a numeric page (forums' ?page=2; "?page=article" names a
// page and is kept), utm_* tracking.
func pagingParam(k string, vs []string) bool {
	switch k = strings.ToLower(k); {
	case k == "cpage" || k == "replytocom" || strings.HasPrefix(k, "utm_"):
		return true
	case k == "page":
		for _, v := range vs {
			if !isDigits(v) {
				return false
			}
		}
		return true
	}
	return false
}

// canonical returns the identity of the article a page belongs to: the URL
// without fragment, without comment paging (?cpage=N, /comment-page-N/,
// ?replytocom=) and without utm_* tracking parameters. Comments found on
// ?cpage=2 thus get ids under the article's URL.
func canonical(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k, vs := range q {
			if pagingParam(k, vs) {
				q.Del(k)
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	if commentPageRe.MatchString(c.Path) {
		c.Path = commentPageRe.ReplaceAllString(c.Path, "/")
		c.RawPath = ""
	}
	return c.String()
}

// withoutFragment returns u without its fragment.
func withoutFragment(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// visitKey is the form pages are fetched and remembered by: u without its
// fragment, scheme and host in lower case, without the scheme's default
// port, "/" for an empty path. Two links to one page thus make one request,
// as they would with Colly's own visited check (which the adapter replaces,
// see Collect).
func visitKey(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	c.Scheme = strings.ToLower(c.Scheme)
	c.Host = strings.ToLower(c.Host)
	switch {
	case c.Scheme == "http" && strings.HasSuffix(c.Host, ":80"):
		c.Host = strings.TrimSuffix(c.Host, ":80")
	case c.Scheme == "https" && strings.HasSuffix(c.Host, ":443"):
		c.Host = strings.TrimSuffix(c.Host, ":443")
	}
	if c.Path == "" && c.RawPath == "" && c.Opaque == "" && c.Host != "" {
		c.Path = "/"
	}
	return c.String()
}

// sameDoc reports whether two canonical URLs name the same document,
// ignoring a trailing slash.
func sameDoc(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// pageID is the id of an article or forum thread: "web:" + canonical URL.
func pageID(canon string) string { return reaction.MakeID(reaction.Web, canon) }

// commentID is "web:<canonical page URL>#<comment id>" (docs/platforms.md, "Web pages").
func commentID(canon, key string) string {
	// reaction.MakeID(reaction.Web, canon+"#"+key), in one concatenation.
	return string(reaction.Web) + ":" + canon + "#" + key
}

// refID turns a reference to a comment (a JSON-LD url or @id, a link to a
// permalink) into a reaction id relative to the article canon, and
// reports whether it names something other than the article itself:
//
//	canon#comment-12          -> web:canon#comment-12
//	canon?cpage=2#comment-12  -> web:canon#comment-12
//	canon/3 (forum post URL)  -> web:canon#3
//	https://elsewhere/x       -> web:https://elsewhere/x
//	canon                     -> "", false (every comment would share it)
func refID(canon string, base *url.URL, ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || ref == "#" {
		return "", false
	}
	if strings.HasPrefix(ref, "#") { // an anchor on this page
		return commentID(canon, ref[1:]), true
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		// Not a URL (a bare identifier like "c-12" or "_:b0"): an
		// identifier local to the page, unless it is a blank node.
		if strings.HasPrefix(ref, "_:") {
			return "", false
		}
		return commentID(canon, strings.TrimPrefix(ref, "#")), true
	}
	doc := canonical(u)
	frag := u.Fragment
	switch {
	case frag != "" && sameDoc(doc, canon):
		return commentID(canon, frag), true
	case sameDoc(doc, canon):
		return "", false
	case frag == "" && strings.HasPrefix(doc, strings.TrimSuffix(canon, "/")+"/"):
		rest := strings.Trim(doc[len(strings.TrimSuffix(canon, "/")):], "/")
		return commentID(canon, rest), true
	}
	return reaction.MakeID(reaction.Web, u.String()), true
}
