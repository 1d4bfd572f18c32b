package aggregator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/reactions-research/reactions/reaction"
)

// lineError is why one reaction was rejected: a message for the sender and a
// reason from the bounded vocabulary for the metric.
type lineError struct {
	reason string
	msg    string
}

func (e *lineError) Error() string { return e.msg }

func rejectf(reason, format string, args ...any) *lineError {
	return &lineError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// wire is a reaction as sent: times stay raw so that a bad one gets its own
// message, and the stance fields, which the aggregator sets, are not read.
// Unknown fields are ignored (a newer crawler may send more).
type wire struct {
	Story     string         `json:"story"`
	Platform  string         `json:"platform"`
	ID        string         `json:"id"`
	ParentID  string         `json:"parent_id"`
	RootID    string         `json:"root_id"`
	URL       string         `json:"url"`
	CreatedAt jsontext.Value `json:"created_at"`
	FirstSeen jsontext.Value `json:"first_seen"`
	Author    string         `json:"author"`
	Text      string         `json:"text"`
	Lang      string         `json:"lang"`
	Likes     int64          `json:"likes"`
	Replies   int64          `json:"replies"`
	Deleted   bool           `json:"deleted"`
}

// wireOptions make the fast decoder accept what encoding/json accepts:
// member names matched without regard to case (but with their underscores:
// "_id" and "parentId" are other members, as for encoding/json), and a
// repeated member taking the last value.
var wireOptions = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true),
	jsontext.AllowDuplicateNames(true))

// decodeLine decodes one NDJSON line into a reaction.
//
// Lines are decoded with go-json-experiment/json (the coming encoding/json
// v2), which is about 2.5 times faster than encoding/json and, unlike it,
// checks UTF-8 as it goes. A line it refuses is decoded again by
// decodeLineV1, which either accepts it after all (so the rules are
// encoding/json's) or explains why not in encoding/json's terms, which the
// API documents. Bad lines are rare, so the second pass costs nothing.
func decodeLine(line []byte, r *reaction.Reaction) *lineError {
	var w wire
	if err := jsonv2.Unmarshal(line, &w, wireOptions); err != nil {
		return decodeLineV1(line, r)
	}
	return w.reaction(r)
}

// reaction converts w into r, parsing its times.
func (w *wire) reaction(r *reaction.Reaction) *lineError {
	created, err := parseTime(w.CreatedAt)
	if err != nil {
		return rejectf(reasonTime, "created_at: %v", err)
	}
	seen, err := parseTime(w.FirstSeen)
	if err != nil {
		return rejectf(reasonTime, "first_seen: %v", err)
	}
	*r = reaction.Reaction{
		Story: w.Story, Platform: reaction.Platform(w.Platform), ID: w.ID, ParentID: w.ParentID, RootID: w.RootID,
		URL: w.URL, CreatedAt: created, FirstSeen: seen, Author: w.Author, Text: w.Text, Lang: w.Lang,
		Likes: w.Likes, Replies: w.Replies, Deleted: w.Deleted,
	}
	return nil
}

// decodeLineV1 decodes one line with encoding/json and names what is wrong
// with it.
func decodeLineV1(line []byte, r *reaction.Reaction) *lineError {
	if !utf8.Valid(line) {
		return rejectf(reasonUTF8, "not valid UTF-8")
	}
	var w wire // jsontext.Value decodes like json.RawMessage
	if err := json.Unmarshal(line, &w); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field == "":
			return rejectf(reasonJSON, "not a JSON object (got a JSON %s)", te.Value)
		case errors.As(err, &te):
			return rejectf(reasonJSON, "%s: got a JSON %s, want %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		case errors.As(err, &se):
			return rejectf(reasonJSON, "not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
		default:
			return rejectf(reasonJSON, "not valid JSON: %v", err)
		}
	}
	return w.reaction(r)
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "an integer"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "true or false"
	}
	return goKind
}

var errNotRFC3339 = errors.New("not RFC 3339")

// parseTime reads an RFC 3339 time from a JSON value; absent and null give
// the zero time (Validate reports a missing created_at).
func parseTime(raw []byte) (time.Time, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return time.Time{}, nil
	}
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return time.Time{}, errNotRFC3339
	}
	s := string(raw[1 : len(raw)-1])
	if strings.IndexByte(s, '\\') >= 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, errNotRFC3339
		}
	}
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errNotRFC3339
	}
	return t, nil
}

// maxTime is the last second a ClickHouse DateTime holds, rounded down to
// a whole year; later times are rejected rather than stored wrong.
var maxTime = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)

// isPseudonym reports whether s has the form of reaction.Pseudonymizer's
// output: "a_" followed by 16 lowercase hex digits.
func isPseudonym(s string) bool {
	if len(s) != 18 || s[0] != 'a' || s[1] != '_' {
		return false
	}
	for i := 2; i < 18; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// check validates a decoded reaction against the record's rules, the
// storage's ranges, the author policy and the registered stories.
func (a *Aggregator) check(r *reaction.Reaction) *lineError {
	if err := r.Validate(); err != nil {
		return &lineError{reason: reasonInvalid, msg: strings.TrimPrefix(err.Error(), reaction.ErrInvalid.Error()+": ")}
	}
	if !r.CreatedAt.Before(maxTime) {
		return rejectf(reasonTime, "created_at: %s is out of range (ClickHouse stores times before 2106)", r.CreatedAt.Format(time.RFC3339))
	}
	if !r.FirstSeen.IsZero() && (r.FirstSeen.Before(time.Unix(0, 0)) || !r.FirstSeen.Before(maxTime)) {
		return rejectf(reasonTime, "first_seen: %s is out of range (1970 to 2105)", r.FirstSeen.Format(time.RFC3339))
	}
	if r.Author != "" && !a.cfg.KeepAuthors && !isPseudonym(r.Author) {
		// The value is not repeated: it may be a raw handle.
		return rejectf(reasonAuthor, "author: not pseudonymised (want \"a_\" and 16 hex digits, as the crawler's "+
			"pseudonymiser writes; start the aggregator with --keep-authors to store raw handles)")
	}
	if !a.hasStory(r.Story) {
		return rejectf(reasonUnknownStory, "story %q is not registered: PUT /api/v1/stories/%s first", r.Story, r.Story)
	}
	return nil
}
