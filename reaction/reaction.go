// Package reaction defines the one record that every component of
// reactions shares: a public reaction (comment, reply, post) to a news
// story. The JSON field names of Reaction are also the column names of
// every export and of the ClickHouse table: they are part of the project's
// stable interface (the data dictionary in README.md), not to be renamed.
package reaction

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Platform names a source of reactions.
type Platform string

// The platforms reactions can collect from.
const (
	Reddit     Platform = "reddit"
	HackerNews Platform = "hackernews"
	Mastodon   Platform = "mastodon"
	Bluesky    Platform = "bluesky"
	Discourse  Platform = "discourse"
	Lemmy      Platform = "lemmy"
	Web        Platform = "web"
)

// Platforms lists every supported platform in a stable order (the order of
// the ClickHouse Enum8 and of chart legends).
var Platforms = []Platform{Reddit, HackerNews, Mastodon, Bluesky, Discourse, Lemmy, Web}

// Valid reports whether p is a supported platform.
func (p Platform) Valid() bool {
	for _, q := range Platforms {
		if p == q {
			return true
		}
	}
	return false
}

// Stance is a reaction's stance toward the story's subject (not its sentiment).
type Stance string

// The three stances. The zero value "" means "not yet labelled".
const (
	Support   Stance = "support"
	Criticism Stance = "criticism"
	Neutral   Stance = "neutral"
)

// Stances lists the stances in a stable order (chart and export order).
var Stances = []Stance{Support, Criticism, Neutral}

// Valid reports whether s is one of the three stances.
func (s Stance) Valid() bool { return s == Support || s == Criticism || s == Neutral }

// Reaction is one public reaction to a story. Times are UTC.
//
// The crawler fills everything up to Deleted; the aggregator fills Stance,
// StanceScore and Classifier.
type Reaction struct {
	// Story is the id of the story this reaction was collected for ([a-z0-9-]+).
	Story string `json:"story"`
	// Platform is where the reaction was published.
	Platform Platform `json:"platform"`
	// ID is stable and platform-prefixed: "<platform>:<native id>", e.g.
	// "hackernews:41234567", "reddit:t1_l1x9a01".
	ID string `json:"id"`
	// ParentID is the ID of the reaction (or post) this one answers; empty for
	// a top-level post.
	ParentID string `json:"parent_id"`
	// RootID is the ID of the thread's root post; equal to ID for a root.
	RootID string `json:"root_id"`
	// Relation says how this reaction answers ParentID: RelationReply (a
	// reply; every reaction with a parent that is not a quote) or
	// RelationQuote (a Bluesky quote post, whose parent is the post it
	// quotes). It is empty exactly when ParentID is: a thread's root, a
	// top-level post, a search or hashtag hit that answers nothing.
	Relation string `json:"relation"`
	// IsRoot is true for the post that starts a thread the crawler followed
	// (a Hacker News story, a Reddit post, a Lemmy post, a Discourse topic's
	// first post, a Mastodon status or Bluesky thread the story names): it
	// is usually the news itself, so charts and counts leave it out by
	// default. A post found by a search or on a hashtag timeline is a
	// reaction, not a thread starter, even when others reply to it.
	IsRoot bool `json:"is_root"`
	// URL is the human permalink on the platform.
	URL string `json:"url"`
	// CreatedAt is when the platform says the reaction was published (UTC).
	CreatedAt time.Time `json:"created_at"`
	// FirstSeen is when reactions first collected it (UTC).
	FirstSeen time.Time `json:"first_seen"`
	// Author is the pseudonymised author (keyed hash, "a_" + 16 hex digits);
	// the raw handle only when the researcher opted in with --keep-authors.
	// Empty when the platform gives no author (deleted items).
	Author string `json:"author"`
	// ContentWarning is the warning the author put before the text
	// (Mastodon's spoiler_text), or "" when there is none; Text never
	// includes it.
	ContentWarning string `json:"content_warning"`
	// Text is plain text, HTML removed and entities decoded exactly once.
	Text string `json:"text"`
	// Lang is the platform's language hint (BCP 47 code) or "" when unknown.
	Lang string `json:"lang"`
	// Likes is the platform's score at collection time: likes, favourites,
	// points, or upvotes minus downvotes, which can be negative (Reddit,
	// Lemmy).
	Likes int64 `json:"likes"`
	// Replies is the platform's reply count at collection time.
	Replies int64 `json:"replies"`
	// Deleted is true when the reaction was deleted or removed on the platform.
	Deleted bool `json:"deleted"`
	// Stance toward the story's subject: support, criticism or neutral.
	Stance Stance `json:"stance"`
	// StanceScore is the classifier's confidence in Stance, in [0, 1].
	StanceScore float64 `json:"stance_score"`
	// Classifier is the version string of the classifier that set Stance.
	Classifier string `json:"classifier"`
}

// Fields lists the record's field names in their stable export order.
var Fields = []string{
	"story", "platform", "id", "parent_id", "root_id", "relation", "is_root", "url", "created_at", "first_seen",
	"author", "content_warning", "text", "lang", "likes", "replies", "deleted", "stance", "stance_score", "classifier",
}

// The values of Reaction.Relation besides "" (no parent).
const (
	RelationReply = "reply"
	RelationQuote = "quote"
)

// MakeID returns the stable id of a native platform id: "<platform>:<native>".
func MakeID(p Platform, native string) string { return string(p) + ":" + native }

// ValidStoryID reports whether s is a valid story id ([a-z0-9-]+, at most 64 bytes).
func ValidStoryID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("invalid reaction")

// MaxTextBytes bounds the text (and the content warning) of one reaction:
// Repair cuts a longer one at a character boundary, and the cut is counted
// wherever Repair's results are (the crawl run, the metrics, the ingest
// answer), so that nobody analyses a truncated message unknowingly.
const MaxTextBytes = 64 << 10

// Validate checks the fields that identify a reaction (story, platform, id,
// created_at) and returns an error naming the first bad one, e.g.
// "created_at: missing". Only these may reject a reaction: a bad side field
// is repaired instead (see Repair and Check).
func (r *Reaction) Validate() error {
	bad := func(field, msg string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(msg, args...))
	}
	switch {
	case !ValidStoryID(r.Story):
		return bad("story", "%q is not a story id ([a-z0-9-]+)", r.Story)
	case !r.Platform.Valid():
		return bad("platform", "%q is not one of %v", r.Platform, Platforms)
	case r.ID == "":
		return bad("id", "missing")
	case !strings.HasPrefix(r.ID, string(r.Platform)+":"):
		return bad("id", "%q does not start with %q", r.ID, string(r.Platform)+":")
	case !utf8.ValidString(r.ID):
		return bad("id", "not valid UTF-8")
	case r.CreatedAt.IsZero():
		return bad("created_at", "missing")
	case r.CreatedAt.UTC().Year() < 1990 || r.CreatedAt.UTC().Year() > 2200:
		// In UTC, as stored: 1990-01-01T00:00:00+14:00 is 1989.
		return bad("created_at", "%s is out of range (1990 to 2200)", r.CreatedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// SideFields are the fields that do not identify a reaction (all but story,
// platform, id, created_at, and the classifier's stance_score and
// classifier), by their export names: a bad one is repaired (by Repair, or
// left empty by a decoder that cannot read it), never a reason to drop the
// reaction. They are the bounded vocabulary of the repaired counts (crawl
// runs, ingest answers) and of the field label of the repaired metrics.
var SideFields = []string{"parent_id", "root_id", "relation", "is_root", "url", "first_seen", "author", "content_warning", "text",
	"lang", "likes", "replies", "deleted", "stance"}

// Range of a first_seen that Repair keeps: what a ClickHouse DateTime holds.
var (
	minFirstSeen = time.Unix(0, 0).UTC()
	maxFirstSeen = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Repair makes every side field storable, so that a reaction is never lost
// for one: it clears what cannot be kept (an id-like field that is not
// platform-prefixed or answers the reaction itself, a URL that is not an
// absolute http(s) URL, a language that is not a language tag, a negative
// reply count, a first_seen out of range, an unknown stance, any string
// that is not UTF-8) and keeps what can be (text and content warning
// with invalid bytes replaced by U+FFFD, cut to MaxTextBytes). It returns
// the names (from SideFields) of the fields it changed, nil when none.
func (r *Reaction) Repair() []string {
	var fixed []string
	fix := func(name string) { fixed = append(fixed, name) }
	if r.ParentID != "" && (!validRef(r.ParentID) || r.ParentID == r.ID) {
		r.ParentID, r.Relation = "", ""
		fix("parent_id")
	}
	if r.Relation != "" && (r.ParentID == "" || r.Relation != RelationReply && r.Relation != RelationQuote) {
		r.Relation = ""
		fix("relation")
	}
	if r.RootID != "" && !validRef(r.RootID) {
		r.RootID = ""
		fix("root_id")
	}
	if r.URL != "" && !validURL(r.URL) {
		r.URL = ""
		fix("url")
	}
	if !r.FirstSeen.IsZero() && (r.FirstSeen.Before(minFirstSeen) || !r.FirstSeen.Before(maxFirstSeen)) {
		r.FirstSeen = time.Time{}
		fix("first_seen")
	}
	if !utf8.ValidString(r.Author) {
		r.Author = ""
		fix("author")
	}
	if s, ok := keepText(r.ContentWarning); !ok {
		r.ContentWarning = s
		fix("content_warning")
	}
	if s, ok := keepText(r.Text); !ok {
		r.Text = s
		fix("text")
	}
	if r.Lang != "" && !validLang(r.Lang) {
		r.Lang = ""
		fix("lang")
	}
	if r.Replies < 0 {
		r.Replies = 0
		fix("replies")
	}
	if r.Stance != "" && !r.Stance.Valid() {
		r.Stance = ""
		fix("stance")
	}
	return fixed
}

// Check is the one check every component applies to a reaction it is
// handed (the crawler's Emit, the aggregator's ingest): it rejects the
// reaction when an identifying field is bad (Validate's error), and
// otherwise repairs its side fields, returning the names of those it
// changed (Repair).
func (r *Reaction) Check() (repaired []string, err error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r.Repair(), nil
}

// validRef reports whether s can be a reaction id: platform-prefixed UTF-8.
func validRef(s string) bool {
	p, rest, ok := strings.Cut(s, ":")
	return ok && p != "" && rest != "" && utf8.ValidString(s)
}

// validURL reports whether s is an absolute http(s) URL.
func validURL(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// validLang reports whether s has the form of a language tag (BCP 47:
// letters, then subtags of letters and digits separated by "-", at most 35
// bytes). Platforms send codes ("en", "pt-BR", "zh-Hant"); web pages also
// names ("English"), which pass.
func validLang(s string) bool {
	if len(s) > 35 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) == 0 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			c := sub[j]
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !letter && !(i > 0 && c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// keepText returns s as stored: invalid UTF-8 replaced by U+FFFD, cut at a
// character boundary to MaxTextBytes; ok is true when s needed neither.
func keepText(s string) (string, bool) {
	ok := true
	if !utf8.ValidString(s) {
		s, ok = strings.ToValidUTF8(s, "\uFFFD"), false
	}
	if len(s) > MaxTextBytes {
		cut := MaxTextBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, ok = s[:cut], false
	}
	return s, ok
}

// Normalize puts times in UTC at second precision (what ClickHouse stores on
// every supported version), fills RootID for roots and Relation for
// replies (RelationReply when a parent is set and no relation is).
func (r *Reaction) Normalize() {
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Second)
	r.FirstSeen = r.FirstSeen.UTC().Truncate(time.Second)
	if r.RootID == "" && r.ParentID == "" {
		r.RootID = r.ID
	}
	if r.Relation == "" && r.ParentID != "" {
		r.Relation = RelationReply
	}
}

// ImpliedRelation is the relation a reaction has when nothing else is
// known: RelationReply with a parent, "" without. Digests hash Relation
// only when it is set and differs from this, so that digests of reactions
// stored before the field existed still match.
func (r *Reaction) ImpliedRelation() string {
	if r.ParentID != "" {
		return RelationReply
	}
	return ""
}
