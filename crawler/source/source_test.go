package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestErrorKind(t *testing.T) {
	var syntax *json.SyntaxError
	if err := json.Unmarshal([]byte("{x"), &struct{}{}); !errors.As(err, &syntax) {
		t.Fatalf("no syntax error from bad JSON: %v", err)
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`{"n":"x"}`), &struct{ N int }{}); !errors.As(err, &typeErr) {
		t.Fatalf("no type error: %v", err)
	}
	tests := []struct {
		err  error
		want string
	}{
		{&HTTPError{Status: 404}, "not_found"},
		{fmt.Errorf("topic 7: %w", &HTTPError{Status: 410}), "not_found"},
		{fmt.Errorf("page: %w", ErrRobots), "robots"},
		{fmt.Errorf("page: %w", ErrTooLarge), "too_large"},
		{fmt.Errorf("thread: %w", ErrParse), "parse"},
		{&ParseError{URL: "u", Err: errors.New("no did")}, "parse"},
		{fmt.Errorf("u: %w", syntax), "parse"},
		{typeErr, "parse"},
		{&HTTPError{Status: 429}, "rate_limited"},
		{&HTTPError{Status: 503}, "http_5xx"},
		{&HTTPError{Status: 400}, "http_4xx"},
		{&HTTPError{Status: 403}, "http_4xx"}, // a block: Report sends it to Blocked
		{errors.New("connection refused"), "network"},
		{context.DeadlineExceeded, "network"},
	}
	for _, tt := range tests {
		if got := ErrorKind(tt.err); got != tt.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// stats records Report's calls.
type stats struct{ calls []string }

func (s *stats) Error(kind string, err error)   { s.calls = append(s.calls, "error "+kind) }
func (s *stats) Blocked(what string, err error) { s.calls = append(s.calls, "blocked "+what) }
func (s *stats) Page()                          {}

func TestReport(t *testing.T) {
	s := &stats{}
	if !Report(s, "topic 5600", fmt.Errorf("discourse: %w", &HTTPError{Status: 403})) {
		t.Error("a 403 was not reported as blocked")
	}
	if Report(s, "topic 1", &HTTPError{Status: 404}) {
		t.Error("a 404 was reported as blocked")
	}
	want := []string{"blocked topic 5600", "error not_found"}
	if fmt.Sprint(s.calls) != fmt.Sprint(want) {
		t.Errorf("calls = %v, want %v", s.calls, want)
	}
}

func TestParseError(t *testing.T) {
	inner := errors.New("unexpected end of JSON input")
	err := fmt.Errorf("lemmy: post 1: %w", &ParseError{URL: "https://x/api/v3/post", Err: inner})
	if !errors.Is(err, ErrParse) || !errors.Is(err, inner) {
		t.Errorf("%v: errors.Is ErrParse %v, inner %v", err, errors.Is(err, ErrParse), errors.Is(err, inner))
	}
	if got, want := err.Error(), "lemmy: post 1: parse https://x/api/v3/post: unexpected end of JSON input"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
