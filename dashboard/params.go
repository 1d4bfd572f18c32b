package dashboard

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// apiError is an error answer: {"error": "...", "param": "..."}.
type apiError struct {
	Status int    `json:"-"`
	Param  string `json:"param,omitempty"`
	Msg    string `json:"error"`
}

func (e *apiError) Error() string { return e.Msg }

// badParam is a 400 naming the parameter.
func badParam(name, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Param: name, Msg: name + ": " + fmt.Sprintf(format, args...)}
}

// params reads and validates query parameters. Every parameter may appear
// once; parameters an endpoint does not know are refused, so that a typo is
// an error rather than a silently ignored filter.
type params struct {
	q url.Values
}

// maxParamBytes bounds any one parameter value.
const maxParamBytes = 512

func newParams(r *http.Request, allowed ...string) (*params, *apiError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Msg: "query string: " + err.Error()}
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for k, vs := range q {
		if !ok[k] {
			name := k
			if len(name) > 40 || !utf8.ValidString(name) {
				name = strconv.QuoteToASCII(truncate(name, 40))
			}
			return nil, badParam(name, "unknown parameter (this endpoint takes %s)", strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, badParam(k, "given %d times; give it once", len(vs))
		}
		if len(vs[0]) > maxParamBytes {
			return nil, badParam(k, "longer than %d bytes", maxParamBytes)
		}
		if !utf8.ValidString(vs[0]) {
			return nil, badParam(k, "not valid UTF-8")
		}
	}
	return &params{q: q}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (p *params) get(name string) string { return p.q.Get(name) }

// story returns the required story id.
func (p *params) story() (string, *apiError) {
	s := p.get("story")
	switch {
	case s == "":
		return "", badParam("story", "missing (a story id, see /api/v1/stories)")
	case !reaction.ValidStoryID(s):
		return "", badParam("story", "%s is not a story id (lowercase letters, digits and '-', at most 64)", strconv.QuoteToASCII(truncate(s, 80)))
	}
	return s, nil
}

// Oldest and newest times a range may name (ClickHouse DateTime holds
// 1970–2105; reactions are validated to 1990–2200).
var (
	minTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// time returns an optional RFC 3339 time (zero when absent).
func (p *params) time(name string) (time.Time, *apiError) {
	s := p.get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badParam(name, "%s is not an RFC 3339 time like 2020-10-01T00:00:00Z", strconv.QuoteToASCII(truncate(s, 80)))
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, badParam(name, "%s is outside 1990..2100", s)
	}
	return t.UTC(), nil
}

// rangeParams returns from and to (either may be zero), checking to > from.
func (p *params) rangeParams() (from, to time.Time, e *apiError) {
	if from, e = p.time("from"); e != nil {
		return
	}
	if to, e = p.time("to"); e != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		e = badParam("to", "%s is not after from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return
}

// tz returns the display timezone (default UTC).
func (p *params) tz() (*time.Location, *apiError) {
	s := p.get("tz")
	if s == "" || s == "UTC" {
		return time.UTC, nil
	}
	if s == "Local" || len(s) > 64 || strings.ContainsAny(s, "\\\x00") || strings.Contains(s, "..") {
		return nil, badParam("tz", "%s is not an IANA timezone name like Europe/Berlin", strconv.QuoteToASCII(truncate(s, 80)))
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, badParam("tz", "%s is not an IANA timezone name like Europe/Berlin", strconv.QuoteToASCII(truncate(s, 80)))
	}
	return loc, nil
}

// interval returns the interval, or the zero Interval for auto/absent.
func (p *params) interval() (series.Interval, *apiError) {
	s := p.get("interval")
	if s == "" || s == "auto" {
		return series.Interval{}, nil
	}
	iv, err := series.ParseInterval(s)
	if err != nil {
		return series.Interval{}, badParam("interval", "%s", err)
	}
	return iv, nil
}

// platform returns one optional platform.
func (p *params) platform() (reaction.Platform, *apiError) {
	s := p.get("platform")
	if s == "" {
		return "", nil
	}
	if !reaction.Platform(s).Valid() {
		return "", badParam("platform", "%s is not one of %s", strconv.QuoteToASCII(truncate(s, 80)), platformNames())
	}
	return reaction.Platform(s), nil
}

// platforms returns an optional comma-separated list of platforms.
func (p *params) platforms() ([]reaction.Platform, *apiError) {
	var out []reaction.Platform
	for _, s := range splitList(p.get("platform")) {
		if !reaction.Platform(s).Valid() {
			return nil, badParam("platform", "%s is not one of %s", strconv.QuoteToASCII(truncate(s, 80)), platformNames())
		}
		out = append(out, reaction.Platform(s))
	}
	return out, nil
}

// thread returns an optional thread: its root id (platform-prefixed).
func (p *params) thread() (string, *apiError) {
	s := p.get("thread")
	if s == "" {
		return "", nil
	}
	plat, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" || !reaction.Platform(plat).Valid() {
		return "", badParam("thread", "%s is not a thread's root id like reddit:t3_abc", strconv.QuoteToASCII(truncate(s, 80)))
	}
	return s, nil
}

// stances returns an optional comma-separated list of stances.
func (p *params) stances() ([]reaction.Stance, *apiError) {
	var out []reaction.Stance
	for _, s := range splitList(p.get("stance")) {
		if !reaction.Stance(s).Valid() {
			return nil, badParam("stance", "%s is not one of support, criticism, neutral", strconv.QuoteToASCII(truncate(s, 80)))
		}
		out = append(out, reaction.Stance(s))
	}
	return out, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, x := range strings.Split(s, ",") {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func platformNames() string {
	var ns []string
	for _, p := range reaction.Platforms {
		ns = append(ns, string(p))
	}
	return strings.Join(ns, ", ")
}

// boolean returns an optional true/false flag (also 1/0).
func (p *params) boolean(name string) (bool, *apiError) {
	switch p.get(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, badParam(name, "%s is not true or false", strconv.QuoteToASCII(truncate(p.get(name), 80)))
}

// oneOf returns an optional value from a fixed list (def when absent).
func (p *params) oneOf(name, def string, allowed ...string) (string, *apiError) {
	s := p.get(name)
	if s == "" {
		return def, nil
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", badParam(name, "%s is not one of %s", strconv.QuoteToASCII(truncate(s, 80)), strings.Join(allowed, ", "))
}

// maxMinBucket bounds min_bucket.
const maxMinBucket = 1_000_000

// minBucket returns the small-bucket threshold (default
// coding.DefaultMinBucket).
func (p *params) minBucket() (int, *apiError) {
	s := p.get("min_bucket")
	if s == "" {
		return coding.DefaultMinBucket, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxMinBucket {
		return 0, badParam("min_bucket", "%s is not a whole number from 1 to %d", strconv.QuoteToASCII(truncate(s, 80)), maxMinBucket)
	}
	return n, nil
}

// Default and largest page of /api/v1/reactions.
const (
	defaultLimit = 50
	maxLimit     = store.MaxPage
)

func (p *params) limit() (int, *apiError) {
	s := p.get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badParam("limit", "%s is not a whole number from 1 to %d", strconv.QuoteToASCII(truncate(s, 80)), maxLimit)
	}
	return n, nil
}

// Cursors are opaque to clients: base64url of "unix seconds:reaction id".
func encodeCursor(k store.ReactionKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.CreatedAt.Unix(), 10) + ":" + k.ID))
}

func (p *params) cursor() (*store.ReactionKey, *apiError) {
	s := p.get("cursor")
	if s == "" {
		return nil, nil
	}
	bad := badParam("cursor", "not a cursor from a previous answer's next_cursor")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	ts, id, ok := strings.Cut(string(b), ":")
	if !ok || id == "" || !utf8.ValidString(id) {
		return nil, bad
	}
	u, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || u < 0 || u > maxTime.Unix() {
		return nil, bad
	}
	return &store.ReactionKey{CreatedAt: time.Unix(u, 0).UTC(), ID: id}, nil
}

// networkFormat returns the format of a network export (default graphml).
func (p *params) networkFormat() (export.Format, *apiError) {
	s := p.get("format")
	if s == "" {
		return export.GraphML, nil
	}
	f, err := export.ParseNetworkFormat(s)
	if err != nil {
		return "", badParam("format", "%s", err)
	}
	return f, nil
}

// format returns the export format.
func (p *params) format() (export.Format, *apiError) {
	s := p.get("format")
	if s == "" {
		return export.CSV, nil
	}
	f, err := export.ParseFormat(s)
	if err != nil {
		return "", badParam("format", "%s", err)
	}
	return f, nil
}
