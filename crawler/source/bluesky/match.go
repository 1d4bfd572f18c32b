package bluesky

import (
	"net/url"
	"strings"
	"unicode"
)

// query is a search term of the source, read as Bluesky's search reads
// the common part of its syntax, to match live posts against it: words
// (every one must appear, as a whole word, in any case), "quoted
// phrases", #hashtags (a tag facet or the hashtag in the text), -word
// (must not appear), lang:xx and domain:host. A query with any other
// operator (from:, mentions:, since:, …) cannot be matched from a post's
// record alone: unsupported names it, and it matches nothing live (its
// posts are still found by the search of the thread walk).
type query struct {
	raw         string
	words       []string   // lower-cased
	phrases     [][]string // lower-cased word sequences
	tags        []string   // lower-cased, without '#'
	not         []string
	langs       []string
	domains     []string
	unsupported string
}

func parseQuery(raw string) query {
	q := query{raw: raw}
	s := strings.TrimSpace(raw)
	for s != "" {
		var tok string
		neg := false
		if s[0] == '-' && len(s) > 1 && s[1] != ' ' {
			neg, s = true, s[1:]
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				tok, s = s[1:], ""
			} else {
				tok, s = s[1:1+end], s[2+end:]
			}
			if ws := words(tok); len(ws) > 0 {
				if neg {
					q.not = append(q.not, strings.Join(ws, " "))
				} else {
					q.phrases = append(q.phrases, ws)
				}
			}
			s = strings.TrimSpace(s)
			continue
		}
		tok, s, _ = strings.Cut(s, " ")
		s = strings.TrimSpace(s)
		if k, v, ok := strings.Cut(tok, ":"); ok && v != "" && isOperator(k) {
			switch strings.ToLower(k) {
			case "lang":
				q.langs = append(q.langs, strings.ToLower(v))
			case "domain":
				q.domains = append(q.domains, strings.TrimPrefix(strings.ToLower(v), "www."))
			default:
				if q.unsupported == "" {
					q.unsupported = k + ":"
				}
			}
			continue
		}
		if strings.HasPrefix(tok, "#") && len(tok) > 1 {
			if neg {
				q.not = append(q.not, strings.ToLower(tok[1:]))
			} else {
				q.tags = append(q.tags, strings.ToLower(tok[1:]))
			}
			continue
		}
		for _, w := range words(tok) {
			if neg {
				q.not = append(q.not, w)
			} else {
				q.words = append(q.words, w)
			}
		}
	}
	return q
}

// isOperator reports whether k (before a ':') is a search operator, not
// a word with a colon (a time, a URL's scheme).
func isOperator(k string) bool {
	if k == "" || k == "http" || k == "https" {
		return false
	}
	for _, r := range k {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// words splits s into lower-cased words: runs of letters, digits and
// marks (so "Teigen's" is "teigen" and "s", "#Jack" is "jack").
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

// post is what a query is matched against.
type post struct {
	words []string
	tags  map[string]bool // lower-cased, facets and #words of the text
	links []string
	langs []string
}

func newPost(rec *record) *post {
	p := &post{words: words(rec.Text), tags: map[string]bool{}, links: rec.links(), langs: rec.Langs}
	for _, f := range rec.Facets {
		for _, ft := range f.Features {
			if ft.Tag != "" {
				p.tags[strings.ToLower(strings.TrimPrefix(ft.Tag, "#"))] = true
			}
		}
	}
	for _, tok := range strings.Fields(rec.Text) {
		if strings.HasPrefix(tok, "#") {
			if ws := words(tok); len(ws) > 0 {
				p.tags[ws[0]] = true
			}
		}
	}
	return p
}

func (p *post) has(w string) bool {
	for _, x := range p.words {
		if x == w {
			return true
		}
	}
	return false
}

func (p *post) hasPhrase(ws []string) bool {
	for i := 0; i+len(ws) <= len(p.words); i++ {
		ok := true
		for k, w := range ws {
			if p.words[i+k] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// match reports whether p matches q.
func (q *query) match(p *post) bool {
	if q.unsupported != "" || len(q.words)+len(q.phrases)+len(q.tags)+len(q.langs)+len(q.domains) == 0 {
		return false
	}
	for _, w := range q.words {
		if !p.has(w) {
			return false
		}
	}
	for _, ph := range q.phrases {
		if !p.hasPhrase(ph) {
			return false
		}
	}
	for _, t := range q.tags {
		if !p.tags[t] {
			return false
		}
	}
	for _, n := range q.not {
		if p.has(n) || p.tags[n] || strings.Contains(n, " ") && p.hasPhrase(strings.Fields(n)) {
			return false
		}
	}
	if len(q.langs) > 0 && !anyLang(p.langs, q.langs) {
		return false
	}
	for _, d := range q.domains {
		if !linksTo(p.links, d) {
			return false
		}
	}
	return true
}

func anyLang(have, want []string) bool {
	for _, h := range have {
		h = strings.ToLower(h)
		for _, w := range want {
			if h == w || strings.HasPrefix(h, w+"-") {
				return true
			}
		}
	}
	return false
}

// linksTo reports whether a link goes to domain or one of its subdomains.
func linksTo(links []string, domain string) bool {
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		h := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		if h == domain || strings.HasSuffix(h, "."+domain) {
			return true
		}
	}
	return false
}
