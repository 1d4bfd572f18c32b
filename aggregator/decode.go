package aggregator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
	Story     string          `json:"story"`
	Platform  string          `json:"platform"`
	ID        string          `json:"id"`
	ParentID  string          `json:"parent_id"`
	RootID    string          `json:"root_id"`
	Relation  string          `json:"relation"`
	URL       string          `json:"url"`
	CreatedAt json.RawMessage `json:"created_at"`
	FirstSeen json.RawMessage `json:"first_seen"`
	Author    string          `json:"author"`
	// ContentWarning and IsRoot come from crawlers that know them; an
	// older sender's reactions get "" and false.
	ContentWarning string `json:"content_warning"`
	Text           string `json:"text"`
	Lang           string `json:"lang"`
	Likes          int64  `json:"likes"`
	Replies        int64  `json:"replies"`
	Deleted        bool   `json:"deleted"`
	IsRoot         bool   `json:"is_root"`
}

// wireRaw holds the members of a line undecoded, to tell which of them
// encoding/json could not decode into wire (it reports only the first).
type wireRaw struct {
	Story          json.RawMessage `json:"story"`
	Platform       json.RawMessage `json:"platform"`
	ID             json.RawMessage `json:"id"`
	ParentID       json.RawMessage `json:"parent_id"`
	RootID         json.RawMessage `json:"root_id"`
	Relation       json.RawMessage `json:"relation"`
	URL            json.RawMessage `json:"url"`
	Author         json.RawMessage `json:"author"`
	ContentWarning json.RawMessage `json:"content_warning"`
	Text           json.RawMessage `json:"text"`
	Lang           json.RawMessage `json:"lang"`
	Likes          json.RawMessage `json:"likes"`
	Replies        json.RawMessage `json:"replies"`
	Deleted        json.RawMessage `json:"deleted"`
	IsRoot         json.RawMessage `json:"is_root"`
}

// members pairs each member of raw with its name, its destination in w,
// and whether it identifies the reaction (then a bad value rejects it).
func (raw *wireRaw) members(w *wire) []wireMember {
	return []wireMember{
		{"story", raw.Story, &w.Story, true}, {"platform", raw.Platform, &w.Platform, true}, {"id", raw.ID, &w.ID, true},
		{"parent_id", raw.ParentID, &w.ParentID, false}, {"root_id", raw.RootID, &w.RootID, false},
		{"relation", raw.Relation, &w.Relation, false}, {"url", raw.URL, &w.URL, false}, {"author", raw.Author, &w.Author, false},
		{"content_warning", raw.ContentWarning, &w.ContentWarning, false}, {"text", raw.Text, &w.Text, false},
		{"lang", raw.Lang, &w.Lang, false}, {"likes", raw.Likes, &w.Likes, false}, {"replies", raw.Replies, &w.Replies, false},
		{"deleted", raw.Deleted, &w.Deleted, false}, {"is_root", raw.IsRoot, &w.IsRoot, false},
	}
}

type wireMember struct {
	name     string
	raw      json.RawMessage
	dst      any
	identity bool
}

// reaction converts w into r, parsing its times: a bad created_at rejects
// the reaction, a bad first_seen is left empty and named in repaired.
func (w *wire) reaction(r *reaction.Reaction, repaired []string) ([]string, *lineError) {
	created, err := parseTime(w.CreatedAt)
	if err != nil {
		return nil, rejectf(reasonTime, "created_at: %v", err)
	}
	seen, err := parseTime(w.FirstSeen)
	if err != nil {
		seen, repaired = time.Time{}, append(repaired, "first_seen")
	}
	w.set(r, created, seen)
	return repaired, nil
}

// set fills r from w and the parsed times.
func (w *wire) set(r *reaction.Reaction, created, seen time.Time) {
	*r = reaction.Reaction{
		Story: w.Story, Platform: reaction.Platform(w.Platform), ID: w.ID, ParentID: w.ParentID, RootID: w.RootID,
		Relation: w.Relation, IsRoot: w.IsRoot, URL: w.URL, CreatedAt: created, FirstSeen: seen, Author: w.Author,
		ContentWarning: w.ContentWarning, Text: w.Text, Lang: w.Lang, Likes: w.Likes, Replies: w.Replies, Deleted: w.Deleted,
	}
}

// decodeLine decodes one NDJSON line into r with encoding/json and names
// what is wrong with it, in encoding/json's terms, which the API
// documents. A member of the wrong type, or with bytes that are not UTF-8
// (encoding/json reads them as U+FFFD), rejects the line when it
// identifies the reaction (story, platform, id) and is otherwise left
// empty, or kept with U+FFFD, and named in repaired; so is a first_seen
// that is not a time. Only the line's form (one JSON object), the
// identifying members and created_at can reject it.
func decodeLine(line []byte, r *reaction.Reaction) (repaired []string, e *lineError) {
	var w wire
	err := json.Unmarshal(line, &w)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case err == nil && utf8.Valid(line):
		return w.reaction(r, nil)
	case errors.As(err, &te) && te.Field == "":
		return nil, rejectf(reasonJSON, "not a JSON object (got a JSON %s)", te.Value)
	case errors.As(err, &se):
		return nil, rejectf(reasonJSON, "not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
	case err != nil && te == nil:
		return nil, rejectf(reasonJSON, "not valid JSON: %v", err)
	}
	// Some members are of the wrong type, or not UTF-8: encoding/json
	// decoded the others. Find them all.
	var raw wireRaw
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, rejectf(reasonJSON, "not valid JSON: %v", err)
	}
	for _, m := range raw.members(&w) {
		if len(m.raw) == 0 || string(m.raw) == "null" {
			continue
		}
		if !utf8.Valid(m.raw) {
			if m.identity {
				return nil, rejectf(reasonUTF8, "%s: not valid UTF-8", m.name)
			}
			repaired = append(repaired, m.name)
			continue
		}
		var mte *json.UnmarshalTypeError
		if err := json.Unmarshal(m.raw, m.dst); errors.As(err, &mte) {
			if m.identity {
				return nil, rejectf(reasonJSON, "%s: got a JSON %s, want %s", m.name, mte.Value, jsonKind(mte.Type.Kind().String()))
			}
			repaired = append(repaired, m.name)
		}
	}
	if !utf8.Valid(w.CreatedAt) {
		return nil, rejectf(reasonUTF8, "created_at: not valid UTF-8")
	}
	return w.reaction(r, repaired)
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
	return parseTimeString(s)
}

// parseTimeString reads an RFC 3339 time; "" gives the zero time.
func parseTimeString(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errNotRFC3339
	}
	if t.IsZero() {
		// 0001-01-01T00:00:00Z was sent: a time out of range, which
		// must not read as a missing one.
		return time.Time{}, errOutOfRange(s)
	}
	return t, nil
}

// errOutOfRange is a time that was sent but lies outside every range the
// record accepts.
type errOutOfRange string

func (e errOutOfRange) Error() string { return string(e) + " is out of range" }

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

// check applies the record's rules (reaction.Check), the storage's range
// of created_at, the author policy and the registered stories to a
// decoded reaction. Only what identifies the reaction rejects it: a raw
// author handle (without --keep-authors) is cleared, like any other bad
// side field, and named in repaired with the others.
func (a *Aggregator) check(r *reaction.Reaction, repaired []string) ([]string, *lineError) {
	fixed, err := r.Check()
	if err != nil {
		return nil, &lineError{reason: reasonInvalid, msg: strings.TrimPrefix(err.Error(), reaction.ErrInvalid.Error()+": ")}
	}
	repaired = append(repaired, fixed...)
	if !r.CreatedAt.Before(maxTime) {
		return nil, rejectf(reasonTime, "created_at: %s is out of range (ClickHouse stores times before 2106)", r.CreatedAt.Format(time.RFC3339))
	}
	if r.Author != "" && !a.cfg.KeepAuthors && !isPseudonym(r.Author) {
		// Never stored, logged or repeated: it may be a raw handle.
		r.Author = ""
		repaired = append(repaired, "author")
	}
	if !a.cfg.Shard.Owns(r.Story) {
		return repaired, nil // the request is answered 421 (misdirected) as a whole
	}
	if !a.hasStory(r.Story) {
		return nil, rejectf(reasonUnknownStory, "story %q is not registered: PUT /api/v1/stories/%s first", r.Story, r.Story)
	}
	return repaired, nil
}
