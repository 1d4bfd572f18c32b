package aggregator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

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
	Relation  string         `json:"relation"`
	URL       string         `json:"url"`
	CreatedAt jsontext.Value `json:"created_at"`
	FirstSeen jsontext.Value `json:"first_seen"`
	Author    string         `json:"author"`
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
	Story          jsontext.Value `json:"story"`
	Platform       jsontext.Value `json:"platform"`
	ID             jsontext.Value `json:"id"`
	ParentID       jsontext.Value `json:"parent_id"`
	RootID         jsontext.Value `json:"root_id"`
	Relation       jsontext.Value `json:"relation"`
	URL            jsontext.Value `json:"url"`
	Author         jsontext.Value `json:"author"`
	ContentWarning jsontext.Value `json:"content_warning"`
	Text           jsontext.Value `json:"text"`
	Lang           jsontext.Value `json:"lang"`
	Likes          jsontext.Value `json:"likes"`
	Replies        jsontext.Value `json:"replies"`
	Deleted        jsontext.Value `json:"deleted"`
	IsRoot         jsontext.Value `json:"is_root"`
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
	raw      jsontext.Value
	dst      any
	identity bool
}

// lineDecoder decodes the NDJSON lines of one request into reactions. Its
// fast path walks a line's tokens with jsontext (the tokenizer of
// go-json-experiment/json, the coming encoding/json v2, which checks syntax
// and UTF-8 as it goes) and takes the members of a reaction that have the
// plain, common form: names in ASCII without escapes, strings or null for
// string members, integer literals, booleans, and strings for the times.
// Every string of a line ends up in one allocation. Anything else (a
// number with a fraction or an exponent, a name with escapes, a null
// time, a syntax error, ...) is decoded again by decodeLineV1, which either
// accepts the line after all or explains why not in encoding/json's terms,
// which the API documents; so the rules are always encoding/json's, and
// the fast path only decides how fast they are applied. This costs about a
// third of decoding into a struct with reflection. A lineDecoder is not
// safe for concurrent use.
type lineDecoder struct {
	dec jsontext.Decoder
	in  bytes.Buffer
	str []byte // the unquoted strings of the current line
}

// lineOptions: a repeated member takes the last value, as with
// encoding/json (and the tokenizer need not track names).
var lineOptions = jsontext.AllowDuplicateNames(true)

// Members of a reaction as sent, in the order of lineFields.
const (
	fStory = iota
	fPlatform
	fID
	fParentID
	fRootID
	fRelation
	fURL
	fAuthor
	fContentWarning
	fText
	fLang
	nStrings   // the members above are strings
	fCreatedAt = iota - 1
	fFirstSeen
	fLikes
	fReplies
	fDeleted
	fIsRoot
	nFields
)

// lineFields are the member names, as in wire's tags.
var lineFields = [nFields]string{"story", "platform", "id", "parent_id", "root_id", "relation", "url", "author", "content_warning", "text", "lang",
	"created_at", "first_seen", "likes", "replies", "deleted", "is_root"}

// decode decodes one line into r. A side member that cannot be decoded
// (a string for likes, a first_seen that is not a time) is left empty and
// its name returned in repaired; only the line's form (one JSON object) and
// the members that identify a reaction can reject it.
func (d *lineDecoder) decode(line []byte, r *reaction.Reaction) (repaired []string, e *lineError) {
	var w wire
	var times [2]string
	if !d.fast(line, &w, &times) {
		return decodeLineV1(line, r)
	}
	created, err := parseTimeString(times[0])
	if err != nil {
		return nil, rejectf(reasonTime, "created_at: %v", err)
	}
	seen, err := parseTimeString(times[1])
	if err != nil {
		seen, repaired = time.Time{}, []string{"first_seen"}
	}
	w.set(r, created, seen)
	return repaired, nil
}

// fast decodes line into w if it has the plain form (see lineDecoder),
// and reports whether it did. The times are left in times, unquoted, in
// place of w's raw ones.
func (d *lineDecoder) fast(line []byte, w *wire, times *[2]string) bool {
	d.in.Reset()
	d.in.Write(line)
	d.dec.Reset(&d.in, lineOptions)
	d.str = d.str[:0]
	if tok, err := d.dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	var span [fFirstSeen + 1][2]int // each string member's bytes in d.str
	var seen [fFirstSeen + 1]bool
	var ints [2]int64
	for {
		if d.dec.PeekKind() == '}' {
			if _, err := d.dec.ReadToken(); err != nil {
				return false
			}
			break
		}
		name, err := d.dec.ReadValue()
		if err != nil {
			return false
		}
		f, ok := memberOf(name)
		if !ok {
			return false
		}
		if f < 0 {
			if err := d.dec.SkipValue(); err != nil {
				return false
			}
			continue
		}
		kind := d.dec.PeekKind()
		switch {
		case kind == 'n' && f != fCreatedAt && f != fFirstSeen:
			// null leaves the member as it is, as with encoding/json.
			if _, err := d.dec.ReadToken(); err != nil {
				return false
			}
		case f < nStrings || f == fCreatedAt || f == fFirstSeen:
			v, err := d.dec.ReadValue()
			if err != nil || kind != '"' {
				return false
			}
			start := len(d.str)
			if bytes.IndexByte(v, '\\') < 0 {
				d.str = append(d.str, v[1:len(v)-1]...)
			} else if d.str, err = jsontext.AppendUnquote(d.str, v); err != nil {
				return false
			}
			span[f] = [2]int{start, len(d.str)}
			seen[f] = true
		case f == fLikes || f == fReplies:
			v, err := d.dec.ReadValue()
			if err != nil || kind != '0' {
				return false
			}
			n, ok := parseInteger(v)
			if !ok {
				return false
			}
			ints[f-fLikes] = n
		case f == fDeleted || f == fIsRoot:
			tok, err := d.dec.ReadToken()
			if err != nil || kind != 't' && kind != 'f' {
				return false
			}
			if f == fDeleted {
				w.Deleted = tok.Bool()
			} else {
				w.IsRoot = tok.Bool()
			}
		}
	}
	// Nothing but white space may follow the object.
	if _, err := d.dec.ReadToken(); err != io.EOF {
		return false
	}
	all := string(d.str)
	at := func(f int) string { return all[span[f][0]:span[f][1]] }
	w.Story, w.Platform, w.ID, w.ParentID, w.RootID = at(fStory), at(fPlatform), at(fID), at(fParentID), at(fRootID)
	w.Relation = at(fRelation)
	w.URL, w.Author, w.ContentWarning, w.Text, w.Lang = at(fURL), at(fAuthor), at(fContentWarning), at(fText), at(fLang)
	w.Likes, w.Replies = ints[0], ints[1]
	for k, f := range [2]int{fCreatedAt, fFirstSeen} {
		if seen[f] {
			times[k] = at(f)
		}
	}
	return true
}

// memberOf returns the reaction member a raw JSON object name stands for,
// matched as encoding/json matches names (exactly, else without regard to
// ASCII case), or -1 for another member; ok is false for a name the fast
// path leaves to encoding/json (escapes or non-ASCII bytes, which
// encoding/json may fold into a member's name).
func memberOf(raw []byte) (f int, ok bool) {
	if len(raw) < 2 {
		return 0, false
	}
	name := raw[1 : len(raw)-1]
	for _, c := range name {
		if c == '\\' || c >= utf8.RuneSelf {
			return 0, false
		}
	}
	f = -1
	switch len(name) {
	case 2:
		f = fID
	case 3:
		f = fURL
	case 4:
		if name[0]|0x20 == 't' {
			f = fText
		} else {
			f = fLang
		}
	case 5:
		switch name[0] | 0x20 {
		case 's':
			f = fStory
		case 'l':
			f = fLikes
		}
	case 6:
		f = fAuthor
	case 7:
		switch {
		case name[0]|0x20 == 'd':
			f = fDeleted
		case name[0]|0x20 == 'i':
			f = fIsRoot
		case name[1]|0x20 == 'o':
			f = fRootID
		default:
			f = fReplies
		}
	case 8:
		if name[0]|0x20 == 'r' {
			f = fRelation
		} else {
			f = fPlatform
		}
	case 9:
		f = fParentID
	case 10:
		switch name[0] | 0x20 {
		case 'c':
			f = fCreatedAt
		case 'f':
			f = fFirstSeen
		}
	case 15:
		f = fContentWarning
	}
	if f >= 0 && asciiEqualFold(name, lineFields[f]) {
		return f, true
	}
	return -1, true
}

// asciiEqualFold reports whether b equals s without regard to ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	for i := range b {
		c, m := b[i], s[i]
		if c != m && c|0x20 != m { // s is lower case
			return false
		}
	}
	return true
}

// parseInteger parses a JSON number literal that is a plain integer (no
// fraction, no exponent) in the range of int64, as encoding/json does for
// an int64 member; ok is false for anything else.
func parseInteger(v []byte) (int64, bool) {
	for i, c := range v {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
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

// decodeLineV1 decodes one line with encoding/json and names what is wrong
// with it. A member of the wrong type, or with bytes that are not UTF-8
// (encoding/json reads them as U+FFFD), rejects the line when it
// identifies the reaction (story, platform, id) and is otherwise left
// empty, or kept with U+FFFD, and named in repaired.
func decodeLineV1(line []byte, r *reaction.Reaction) (repaired []string, e *lineError) {
	var w wire // jsontext.Value decodes like json.RawMessage
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
	if !a.hasStory(r.Story) {
		return nil, rejectf(reasonUnknownStory, "story %q is not registered: PUT /api/v1/stories/%s first", r.Story, r.Story)
	}
	return repaired, nil
}
