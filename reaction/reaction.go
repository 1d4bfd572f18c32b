// Package reaction defines the one record that every component of reactions
// shares: a public reaction (comment, reply, post) to a news story.
//
// The JSON field names of Reaction are also the column names of every export
// and of the ClickHouse table; they are part of the project's stable interface
// (see the data dictionary in README.md). Do not rename them.
package reaction

import (
	"errors"
	"fmt"
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
	// Text is plain text, HTML removed and entities decoded exactly once.
	Text string `json:"text"`
	// Lang is the platform's language hint (BCP 47 code) or "" when unknown.
	Lang string `json:"lang"`
	// Likes is the platform's like/score/favourite count at collection time.
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
	"story", "platform", "id", "parent_id", "root_id", "url", "created_at", "first_seen",
	"author", "text", "lang", "likes", "replies", "deleted", "stance", "stance_score", "classifier",
}

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

// MaxTextBytes bounds the text of one reaction (longer text is an error, not
// silently cut, so that nobody analyses a truncated message unknowingly).
const MaxTextBytes = 64 << 10

// Validate checks the fields the crawler must fill and returns an error that
// names the first bad field, e.g. "created_at: missing". It does not check the
// stance fields, which the aggregator fills.
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
	case r.ParentID != "" && !strings.Contains(r.ParentID, ":"):
		return bad("parent_id", "%q is not a platform-prefixed id", r.ParentID)
	case r.CreatedAt.IsZero():
		return bad("created_at", "missing")
	case r.CreatedAt.UTC().Year() < 1990 || r.CreatedAt.UTC().Year() > 2200:
		// In UTC, as stored: 1990-01-01T00:00:00+14:00 is 1989.
		return bad("created_at", "%s is out of range (1990 to 2200)", r.CreatedAt.UTC().Format(time.RFC3339))
	case len(r.Text) > MaxTextBytes:
		return bad("text", "%d bytes is more than %d", len(r.Text), MaxTextBytes)
	case r.Likes < 0:
		return bad("likes", "negative")
	case r.Replies < 0:
		return bad("replies", "negative")
	}
	for _, f := range []struct{ name, v string }{
		{"id", r.ID}, {"parent_id", r.ParentID}, {"root_id", r.RootID}, {"url", r.URL},
		{"author", r.Author}, {"text", r.Text}, {"lang", r.Lang},
	} {
		if !utf8.ValidString(f.v) {
			return bad(f.name, "not valid UTF-8")
		}
	}
	if r.Stance != "" && !r.Stance.Valid() {
		return bad("stance", "%q is not one of %v", r.Stance, Stances)
	}
	return nil
}

// Normalize puts times in UTC at second precision (what ClickHouse stores on
// every supported version) and fills RootID for roots.
func (r *Reaction) Normalize() {
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Second)
	r.FirstSeen = r.FirstSeen.UTC().Truncate(time.Second)
	if r.RootID == "" && r.ParentID == "" {
		r.RootID = r.ID
	}
}
