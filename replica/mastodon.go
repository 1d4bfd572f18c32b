package replica

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// Mastodon items, served as one Mastodon server's public API
// (docs/platforms.md, "Mastodon"):
//
//   - Natives are the server's numeric status ids (compared as numbers);
//     Parent is the Native of the status answered ("" for none); Thread is
//     the conversation's first status as written, not used for serving
//     (a deleted status cuts a conversation in two).
//   - Authors are "user" (an account of this server, whose domain is
//     MastodonDomain) or "user@domain" (a remote account): uri and url are
//     on the author's domain, like every status a server has federated.
//   - Text is plain text rendered as Mastodon does: a <p> per paragraph,
//     <br /> per line break, entities, URLs linked with the "invisible" and
//     "ellipsis" spans, #hashtags and @mentions linked.
//   - A deleted status is gone: 404 {"error":"Record not found"}, absent
//     from timelines and contexts; its replies stay, with in_reply_to_id
//     null (Mastodon's foreign key nullifies it). Expect returns a zero
//     Reaction for it.
//   - Tags are hashtags (case-insensitive); a tag no item has is a 404.
//
// Routes under /mastodon/api/v1/: timelines/tag/<tag> (limit ≤ 40,
// max_id, since_id, min_id; Link headers with absolute URLs on the
// replica's own host), statuses/<id>, statuses/<id>/context (as an
// unauthenticated client sees it: the nearest 40 ancestors, the first 60
// descendants in tree order, 20 levels deep).

// MastodonDomain is the domain of the replica's own accounts.
const MastodonDomain = "mastodon.example"

// MastodonRejectedToken is the one bearer token the replica refuses (401);
// any other token counts as a user's, which lifts the context limits
// (4,096 ancestors and descendants, no depth limit), as on Mastodon.
const MastodonRejectedToken = "revoked-token"

const (
	mastodonAPI           = "/mastodon/api/v1/"
	mastodonDefaultLimit  = 20
	mastodonMaxLimit      = 40
	mastodonAncestors     = 40
	mastodonDescendants   = 60
	mastodonMaxDepth      = 20
	mastodonUserLimit     = 4096
	mastodonEllipsisChars = 30
)

func init() {
	RegisterPlatform(Platform{
		Name:    reaction.Mastodon,
		Prefix:  "/mastodon/",
		Handler: mastodonHandler,
		Expect:  mastodonExpect,
		Fixture: mastodonFixture,
	})
}

// mastodonUser splits an author into user name and domain.
func mastodonUser(author string) (user, domain string) {
	user, domain, ok := strings.Cut(strings.TrimPrefix(author, "@"), "@")
	if !ok || domain == "" {
		domain = MastodonDomain
	}
	return user, domain
}

// MastodonURI returns the ActivityPub id of a status: the reaction id is
// "mastodon:" + MastodonURI(item).
func MastodonURI(it Item) string {
	user, domain := mastodonUser(it.Author)
	return "https://" + domain + "/users/" + user + "/statuses/" + it.Native
}

func mastodonURL(it Item) string {
	user, domain := mastodonUser(it.Author)
	return "https://" + domain + "/@" + user + "/" + it.Native
}

// mastodonLess orders ids as numbers.
func mastodonLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

var (
	mastodonParaRe    = regexp.MustCompile(`\n\s*\n`)
	mastodonTokenRe   = regexp.MustCompile(`https?://[^\s<>"]+|#[\p{L}\p{N}_]+|@[A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+)?`)
	mastodonTrailPunc = ".,;:!?)'\""
)

// mastodonParagraphs splits plain text into paragraphs of lines, with the
// whitespace a browser collapses removed.
func mastodonParagraphs(text string) [][]string {
	var out [][]string
	for _, p := range mastodonParaRe.Split(strings.TrimSpace(text), -1) {
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}

// mastodonPlain is the text a crawler recovers from mastodonHTML(text):
// what a reader sees, where a remote mention shows as "@user".
func mastodonPlain(text string) string {
	paras := mastodonParagraphs(text)
	out := make([]string, len(paras))
	for i, p := range paras {
		lines := make([]string, len(p))
		for j, line := range p {
			var b strings.Builder
			mastodonTokens(line, func(plain string) { b.WriteString(plain) }, func(tok string) {
				if tok[0] == '@' {
					user, _ := mastodonUser(tok[1:])
					tok = "@" + user
				}
				b.WriteString(tok)
			})
			lines[j] = b.String()
		}
		out[i] = strings.Join(lines, "\n")
	}
	return strings.Join(out, "\n\n")
}

var mastodonEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// mastodonTokens splits a line into plain runs and linkable tokens (URLs,
// #hashtags, @mentions), as Mastodon's formatter finds them.
func mastodonTokens(line string, plain, token func(string)) {
	last := 0
	for _, m := range mastodonTokenRe.FindAllStringIndex(line, -1) {
		tok := line[m[0]:m[1]]
		if tok[0] == 'h' {
			tok = strings.TrimRight(tok, mastodonTrailPunc)
		}
		if m[0] > 0 && tok[0] != 'h' && !strings.ContainsRune(" (", rune(line[m[0]-1])) {
			continue // "a#b" and "x@y" are not tags or mentions
		}
		plain(line[last:m[0]])
		token(tok)
		last = m[0] + len(tok)
	}
	plain(line[last:])
}

// mastodonHTML renders plain text as Mastodon's content.
func mastodonHTML(text string) string {
	var b strings.Builder
	for _, p := range mastodonParagraphs(text) {
		b.WriteString("<p>")
		for i, line := range p {
			if i > 0 {
				b.WriteString("<br />")
			}
			mastodonTokens(line, func(plain string) { b.WriteString(mastodonEscaper.Replace(plain)) },
				func(tok string) { b.WriteString(mastodonToken(tok)) })
		}
		b.WriteString("</p>")
	}
	return b.String()
}

func mastodonToken(tok string) string {
	e := mastodonEscaper.Replace
	switch tok[0] {
	case '#':
		return fmt.Sprintf(`<a href="https://%s/tags/%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`,
			MastodonDomain, url.PathEscape(strings.ToLower(tok[1:])), e(tok[1:]))
	case '@':
		user, domain := mastodonUser(tok[1:])
		return fmt.Sprintf(`<span class="h-card" translate="no"><a href="https://%s/@%s" class="u-url mention">@<span>%s</span></a></span>`,
			domain, e(user), e(user))
	}
	scheme, rest, _ := strings.Cut(tok, "://")
	scheme += "://"
	shown, hidden, class := rest, "", ""
	if r := []rune(rest); len(r) > mastodonEllipsisChars {
		shown, hidden, class = string(r[:mastodonEllipsisChars]), string(r[mastodonEllipsisChars:]), "ellipsis"
	}
	return fmt.Sprintf(`<a href="%s" rel="nofollow noopener" translate="no" target="_blank"><span class="invisible">%s</span><span class="%s">%s</span><span class="invisible">%s</span></a>`,
		e(tok), e(scheme), class, e(shown), e(hidden))
}

// mastodonIndex is the Mastodon part of the data set for one request.
type mastodonIndex struct {
	byID     map[string]Item
	children map[string][]Item // parent native -> visible replies by id
}

func mastodonBuild(d *Dataset) *mastodonIndex {
	x := &mastodonIndex{byID: map[string]Item{}, children: map[string][]Item{}}
	for _, it := range d.Items(reaction.Mastodon) {
		x.byID[it.Native] = it
	}
	for _, it := range x.byID {
		if p := x.parent(it); p != "" && !it.Deleted {
			x.children[p] = append(x.children[p], it)
		}
	}
	for _, kids := range x.children {
		sort.Slice(kids, func(i, j int) bool { return mastodonLess(kids[i].Native, kids[j].Native) })
	}
	return x
}

// parent is the in_reply_to_id served: none when the parent was deleted.
func (x *mastodonIndex) parent(it Item) string {
	p, ok := x.byID[it.Parent]
	if !ok || p.Deleted || it.Parent == it.Native {
		return ""
	}
	return p.Native
}

func (x *mastodonIndex) visible(id string) (Item, bool) {
	it, ok := x.byID[id]
	return it, ok && !it.Deleted
}

func mastodonAccountID(author string) string {
	h := fnv.New64a()
	h.Write([]byte(author))
	return strconv.FormatUint(h.Sum64()%1e15+1e14, 10)
}

func mastodonAccount(author string) map[string]any {
	user, domain := mastodonUser(author)
	acct := user
	if domain != MastodonDomain {
		acct = user + "@" + domain
	}
	return map[string]any{
		"id": mastodonAccountID(author), "username": user, "acct": acct,
		"display_name": strings.ToUpper(user[:min(1, len(user))]) + user[min(1, len(user)):],
		"url":          "https://" + domain + "/@" + user, "uri": "https://" + domain + "/users/" + user,
		"avatar": "https://" + MastodonDomain + "/avatars/original/missing.png",
		"bot":    false, "locked": false, "discoverable": true, "indexable": true, "group": false,
		"created_at": "2019-01-01T00:00:00.000Z", "note": "", "followers_count": 10,
		"following_count": 10, "statuses_count": 100, "emojis": []any{}, "fields": []any{},
	}
}

// status renders a Status.
func (x *mastodonIndex) status(it Item) map[string]any {
	var inReplyTo, inReplyToAccount any
	mentions := []any{}
	if p := x.parent(it); p != "" {
		inReplyTo = p
	}
	if orig, ok := x.byID[it.Parent]; ok && it.Parent != it.Native {
		// The account id survives the parent's deletion.
		inReplyToAccount = mastodonAccountID(orig.Author)
		acc := mastodonAccount(orig.Author)
		mentions = append(mentions, map[string]any{"id": acc["id"], "username": acc["username"], "url": acc["url"], "acct": acc["acct"]})
	}
	tags := []any{}
	for _, t := range it.Tags {
		tags = append(tags, map[string]any{"name": strings.ToLower(t), "url": "https://" + MastodonDomain + "/tags/" + url.PathEscape(strings.ToLower(t))})
	}
	var lang any
	if it.Lang != "" {
		lang = it.Lang
	}
	return map[string]any{
		"id": it.Native, "uri": MastodonURI(it), "url": mastodonURL(it),
		"created_at": it.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), "edited_at": nil,
		"in_reply_to_id": inReplyTo, "in_reply_to_account_id": inReplyToAccount,
		"sensitive": it.ContentWarning != "", "spoiler_text": it.ContentWarning, "visibility": "public", "language": lang,
		"replies_count": len(x.children[it.Native]), "reblogs_count": 0, "favourites_count": it.Likes,
		"content": mastodonHTML(it.Text), "reblog": nil, "application": nil,
		"account": mastodonAccount(it.Author), "media_attachments": []any{}, "mentions": mentions,
		"tags": tags, "emojis": []any{}, "card": mastodonCard(it), "poll": nil,
	}
}

// mastodonCard is the preview card of a status that links somewhere.
func mastodonCard(it Item) any {
	if it.Link == "" {
		return nil
	}
	return map[string]any{"url": mastodonCardURL(it.Link), "title": "Chrissy Teigen and John Legend share the loss of their son",
		"description": "", "type": "link", "author_name": "", "author_url": "", "provider_name": "News", "provider_url": "",
		"html": "", "width": 0, "height": 0, "image": nil, "embed_url": "", "blurhash": nil}
}

// mastodonLinkTimeline serves timelines/link?url=: the statuses whose card
// is url, while the link trends (one of them has the tag
// "replica:trending"); 404 otherwise, as Mastodon answers for a link that
// is not trending.
func mastodonLinkTimeline(s *Server, w http.ResponseWriter, r *http.Request, x *mastodonIndex) {
	link := r.URL.Query().Get("url")
	var all []Item
	trending := false
	for _, it := range x.byID {
		if it.Link != "" && mastodonCardURL(it.Link) == link {
			trending = trending || slices.Contains(it.Tags, "replica:trending")
			if !it.Deleted {
				all = append(all, it)
			}
		}
	}
	if !trending {
		mastodonJSON(w, http.StatusNotFound, map[string]any{"error": "Record not found"})
		return
	}
	mastodonPage(s, w, r, x, all, "timelines/link", []string{"url", "limit"})
}

// ancestors are the nearest limit ones, root first.
func (x *mastodonIndex) ancestors(it Item, limit int) []Item {
	var up []Item
	seen := map[string]bool{it.Native: true}
	for p := x.parent(it); p != "" && len(up) < limit && !seen[p]; {
		seen[p] = true
		a := x.byID[p]
		up = append(up, a)
		p = x.parent(a)
	}
	for i, j := 0, len(up)-1; i < j; i, j = i+1, j-1 {
		up[i], up[j] = up[j], up[i]
	}
	return up
}

// descendants are the first limit ones in tree order (by id at each
// level), at most depth levels below it, as Mastodon's recursive query
// returns them.
func (x *mastodonIndex) descendants(it Item, limit, depth int) []Item {
	var out []Item
	seen := map[string]bool{it.Native: true}
	var walk func(id string, level int)
	walk = func(id string, level int) {
		for _, c := range x.children[id] {
			if len(out) >= limit || seen[c.Native] {
				return
			}
			seen[c.Native] = true
			out = append(out, c)
			if level+1 < depth {
				walk(c.Native, level+1)
			}
		}
	}
	walk(it.Native, 0)
	return out
}

func mastodonHandler(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := strings.CutPrefix(r.URL.Path, mastodonAPI)
		if !ok || r.Method != http.MethodGet {
			mastodonJSON(w, http.StatusNotFound, map[string]any{"error": "Record not found"})
			return
		}
		user := false
		if authz := r.Header.Get("Authorization"); authz != "" {
			scheme, tok, _ := strings.Cut(authz, " ")
			if !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" || strings.TrimSpace(tok) == MastodonRejectedToken {
				mastodonJSON(w, http.StatusUnauthorized, map[string]any{"error": "The access token is invalid"})
				return
			}
			user = true
		}
		x := mastodonBuild(s.Data)
		switch {
		case p == "timelines/link":
			mastodonLinkTimeline(s, w, r, x)
		case strings.HasPrefix(p, "timelines/tag/"):
			mastodonTimeline(s, w, r, x, strings.TrimPrefix(p, "timelines/tag/"))
		case strings.HasPrefix(p, "statuses/"):
			id, sub, _ := strings.Cut(strings.TrimPrefix(p, "statuses/"), "/")
			it, ok := x.visible(id)
			switch {
			case !ok || (sub != "" && sub != "context"):
				mastodonJSON(w, http.StatusNotFound, map[string]any{"error": "Record not found"})
			case sub == "":
				mastodonJSON(w, http.StatusOK, x.status(it))
			default:
				up, down, depth := mastodonAncestors, mastodonDescendants, mastodonMaxDepth
				if user {
					up, down, depth = mastodonUserLimit, mastodonUserLimit, mastodonUserLimit
				}
				anc, desc := []any{}, []any{}
				for _, a := range x.ancestors(it, up) {
					anc = append(anc, x.status(a))
				}
				for _, d := range x.descendants(it, down, depth) {
					desc = append(desc, x.status(d))
				}
				mastodonJSON(w, http.StatusOK, map[string]any{"ancestors": anc, "descendants": desc})
			}
		default:
			mastodonJSON(w, http.StatusNotFound, map[string]any{"error": "Record not found"})
		}
	})
}

func mastodonTimeline(s *Server, w http.ResponseWriter, r *http.Request, x *mastodonIndex, rawTag string) {
	tag, err := url.PathUnescape(rawTag)
	if err != nil || tag == "" {
		mastodonJSON(w, http.StatusNotFound, map[string]any{"error": "Record not found"})
		return
	}
	known := false
	var all []Item
	for _, it := range x.byID {
		for _, t := range it.Tags {
			if strings.EqualFold(t, tag) {
				known = true
				if !it.Deleted {
					all = append(all, it)
				}
				break
			}
		}
	}
	if !known {
		mastodonJSON(w, http.StatusNotFound, map[string]any{"error": "Record not found"})
		return
	}
	mastodonPage(s, w, r, x, all, "timelines/tag/"+url.PathEscape(tag), []string{"limit", "local", "remote", "only_media", "any[]", "all[]", "none[]"})
}

// mastodonPage answers one page of a timeline of all at path, with its
// Link header keeping the parameters named in keepParams.
func mastodonPage(s *Server, w http.ResponseWriter, r *http.Request, x *mastodonIndex, all []Item, path string, keepParams []string) {
	q := r.URL.Query()
	limit := mastodonDefaultLimit
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, mastodonMaxLimit)
	}
	maxID, sinceID, minID := q.Get("max_id"), q.Get("since_id"), q.Get("min_id")
	var in []Item
	for _, it := range all {
		if (maxID == "" || mastodonLess(it.Native, maxID)) &&
			(sinceID == "" || mastodonLess(sinceID, it.Native)) &&
			(minID == "" || mastodonLess(minID, it.Native)) {
			in = append(in, it)
		}
	}
	var page []Item
	if minID != "" {
		// The statuses just after min_id, newest first.
		sort.Slice(in, func(i, j int) bool { return mastodonLess(in[i].Native, in[j].Native) })
		page = in[:min(limit, len(in))]
		sort.Slice(page, func(i, j int) bool { return mastodonLess(page[j].Native, page[i].Native) })
	} else {
		sort.Slice(in, func(i, j int) bool { return mastodonLess(in[j].Native, in[i].Native) })
		page = in[:min(limit, len(in))]
	}
	out := []any{}
	for _, it := range page {
		out = append(out, x.status(it))
	}
	if len(page) > 0 {
		base := s.BaseURL(r) + mastodonAPI + path
		keep := url.Values{}
		for _, k := range keepParams {
			if v, ok := q[k]; ok {
				keep[k] = v
			}
		}
		next, prev := url.Values{}, url.Values{}
		for k, v := range keep {
			next[k], prev[k] = v, v
		}
		next.Set("max_id", page[len(page)-1].Native)
		prev.Set("min_id", page[0].Native)
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next", <%s?%s>; rel="prev"`, base, next.Encode(), base, prev.Encode()))
	}
	mastodonJSON(w, http.StatusOK, out)
}

func mastodonJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "300")
	w.Header().Set("X-RateLimit-Remaining", "299")
	w.Header().Set("X-RateLimit-Reset", time.Now().Add(5*time.Minute).UTC().Truncate(5*time.Minute).Format("2006-01-02T15:04:05.000Z"))
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// mastodonExpect is the reaction a correct crawler makes of it: the
// ActivityPub uri as id, parent and root along the replies the server
// still links (a deleted parent cuts the chain), the author as
// user@domain, text as a reader sees it and the content warning apart,
// and a zero Reaction for a deleted status. It never flags a thread
// starter: only the statuses a story names are (see NamedStarters).
func mastodonExpect(d *Dataset, it Item) reaction.Reaction {
	if it.Deleted {
		return reaction.Reaction{}
	}
	x := mastodonBuild(d)
	user, domain := mastodonUser(it.Author)
	r := reaction.Reaction{
		Platform:       reaction.Mastodon,
		ID:             reaction.MakeID(reaction.Mastodon, MastodonURI(it)),
		URL:            mastodonURL(it),
		CreatedAt:      it.CreatedAt.UTC().Truncate(time.Second),
		Author:         user + "@" + domain,
		Text:           mastodonPlain(it.Text),
		ContentWarning: it.ContentWarning,
		Lang:           it.Lang,
		Likes:          max(it.Likes, 0),
		Replies:        int64(len(x.children[it.Native])),
	}
	root := it
	if p := x.parent(it); p != "" {
		r.ParentID = reaction.MakeID(reaction.Mastodon, MastodonURI(x.byID[p]))
		seen := map[string]bool{it.Native: true}
		for p != "" && !seen[p] {
			seen[p] = true
			root = x.byID[p]
			p = x.parent(root)
		}
	}
	r.RootID = reaction.MakeID(reaction.Mastodon, MastodonURI(root))
	return r
}

// mastodonFixtureBase is when the fixture's story broke.
var mastodonFixtureBase = time.Date(2020, 10, 1, 4, 0, 0, 0, time.UTC)

// The fixture's hashtags: MastodonFixtureTag for most edge cases,
// MastodonWideTag for a post with more direct replies than an anonymous
// context shows.
const (
	MastodonFixtureTag = "ChrissyTeigen"
	MastodonWideTag    = "PregnancyLoss"
)

// mastodonFixture returns the Mastodon edge cases: a hashtag timeline of
// 100 statuses (three pages of 40, Link headers to follow); a tagged post
// with 76 replies, beyond the 60 descendants and 20 levels an anonymous
// context shows; a deleted tagged post whose tagged reply became a root; a
// tagged reply to an untagged post; a remote author; Spanish, French,
// German, Japanese and Arabic text; entities, a typed "&amp;", a long link,
// local and remote mentions, line breaks and paragraphs; content
// warnings (spoiler_text) on a tagged post and on a reply; an untagged
// post with replies for a "statuses" source; and, under MastodonWideTag,
// a post with 70 direct replies.
func mastodonFixture() []Item {
	var items []Item
	seq := 0
	add := func(parent, author, text, lang string, likes int64, tags ...string) string {
		seq++
		native := strconv.FormatInt(104961000000000000+int64(seq)*65536, 10)
		items = append(items, Item{Platform: reaction.Mastodon, Native: native, Parent: parent, Author: author,
			Text: text, Lang: lang, CreatedAt: mastodonFixtureBase.Add(time.Duration(seq) * time.Minute), Likes: likes, Tags: tags})
		return native
	}
	tag := MastodonFixtureTag
	root := add("", "newsdesk", "Heartbreaking news from Chrissy Teigen and John Legend. #ChrissyTeigen", "en", 57, tag)
	edge := []struct{ author, text, lang string }{
		{"lucia", "Lo siento mucho. Un abrazo enorme a la familia.", "es"},
		{"amelie", "Toutes mes pensées à la famille, c'est déchirant.", "fr"},
		{"kaja@other.example", "Der Verlust trifft auch uns in Hamburg & Bremen.\nViel Kraft.", "de"},
		{"yuki", "心からお悔やみ申し上げます。", "ja"},
		{"amal", "قلوبنا معكم في هذا الوقت الصعب", "ar"},
		{"html_fan", "In HTML one writes &amp; for \"&\" and <3 for a heart — it's fine.", "en"},
		{"linker", "Their statement: https://www.example.com/2020/10/01/chrissy-teigen-john-legend-statement-on-jack", "en"},
		{"mentioner", "@newsdesk thank you for reporting this gently. cc @kaja@other.example", "en"},
		{"writer", "First paragraph.\n\nSecond paragraph,\nwith a line break.", "en"},
	}
	for _, e := range edge {
		add(root, e.author, e.text, e.lang, 3)
	}
	// The last direct reply holds 58 more: a chain 25 deep (the context
	// stops at 20 levels), 12 replies, 21 replies to the first of them.
	// The root's context shows 60 of its 68 descendants; asking the
	// contexts of the hub and of the chain's 20th reply finds the rest.
	hub := add(root, "hub", "Let us keep this thread kind.", "en", 12)
	p := hub
	for i := 0; i < 25; i++ {
		p = add(p, fmt.Sprintf("chain%d", i%4), fmt.Sprintf("Reply %d in a long conversation.", i+1), "en", int64(i%5))
	}
	var friends []string
	for i := 0; i < 12; i++ {
		friends = append(friends, add(hub, fmt.Sprintf("friend%02d", i), fmt.Sprintf("Sending love to the family (%d).", i+1), "en", int64(i%4)))
	}
	for i := 0; i < 21; i++ {
		add(friends[0], fmt.Sprintf("echo%02d", i), fmt.Sprintf("Same from me (%d).", i+1), "en", 1)
	}
	// A deleted tagged post: its tagged reply is served as a root.
	gone := add("", "regretful", "Something I should not have posted #ChrissyTeigen", "en", 0, tag)
	orphan := add(gone, "calm_voice", "Please be kind, everyone. #ChrissyTeigen", "en", 9, tag)
	add(orphan, "agree", "Well said.", "en", 2)
	for i := range items {
		if items[i].Native == gone {
			items[i].Deleted = true
		}
	}
	// A tagged reply to an untagged post.
	untagged := add("", "bystander", "Does anyone know if there is a fundraiser?", "en", 4)
	reply := add(untagged, "helper", "Donations to a pregnancy-loss charity were suggested. #ChrissyTeigen", "en", 6, tag)
	add(reply, "thanks", "Thank you!", "en", 1)
	// An untagged post with replies, named by a "statuses" source.
	column := add("", "columnist@press.example", "A column on grief in public.\n\nWhy sharing loss matters.", "en", 31)
	for i := 0; i < 3; i++ {
		add(column, fmt.Sprintf("reader%d", i), fmt.Sprintf("Thoughtful piece (%d).", i+1), "en", 1)
	}
	// A post with 70 direct replies under its own tag: an anonymous
	// context shows 60 and no other context reaches the rest.
	wide := add("", "support_circle", "Resources for anyone grieving a pregnancy loss. #PregnancyLoss", "en", 80, MastodonWideTag)
	for i := 0; i < 70; i++ {
		add(wide, fmt.Sprintf("circle%02d", i), fmt.Sprintf("Thank you for sharing this (%d).", i+1), "en", 1)
	}
	// Filler for three pages of the timeline.
	for i := 0; i < 95; i++ {
		add("", fmt.Sprintf("fan%02d", i%30), fmt.Sprintf("Thinking of Chrissy and John today #ChrissyTeigen (%d)", i+1), "en", int64(i%9), tag)
	}
	// Content warnings: the post that breaks the story, and a reply.
	for i := range items {
		switch items[i].Author {
		case "newsdesk":
			items[i].ContentWarning = "pregnancy loss"
		case "writer":
			items[i].ContentWarning = "grief, long post"
		}
	}
	// Thread is the conversation's first status, as written (deletions
	// aside): parents come before their replies.
	thread := map[string]string{}
	for i, it := range items {
		if it.Parent != "" {
			items[i].Thread = thread[it.Parent]
			if items[i].Thread == "" {
				items[i].Thread = it.Parent
			}
		}
		thread[it.Native] = items[i].Thread
	}
	return items
}

// MastodonReachable returns the native ids of the statuses a crawl of the
// hashtag tag and of the named statuses must find: tagged statuses still
// there, named ones, and every reply below them along the replies the
// server still links (a deleted parent cuts the link). It is ground truth
// for tests, as Expect is.
func MastodonReachable(d *Dataset, tag string, named ...string) map[string]bool {
	items := map[string]Item{}
	for _, it := range d.Items(reaction.Mastodon) {
		items[it.Native] = it
	}
	kids := map[string][]string{}
	for _, it := range items {
		if p, ok := items[it.Parent]; ok && !p.Deleted && !it.Deleted {
			kids[p.Native] = append(kids[p.Native], it.Native)
		}
	}
	out := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if out[id] || items[id].Deleted {
			return
		}
		out[id] = true
		for _, k := range kids[id] {
			walk(k)
		}
	}
	for _, it := range items {
		for _, t := range it.Tags {
			if strings.EqualFold(t, tag) {
				walk(it.Native)
			}
		}
	}
	for _, n := range named {
		walk(n)
	}
	return out
}
