package sourcetest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/reactions-research/reactions/crawler/source"
)

func TestFetcher(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy": // 429 twice, then fine
			if calls.Add(1) <= 2 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Write([]byte("ok"))
		case "/down":
			w.WriteHeader(http.StatusBadGateway)
		case "/private":
			w.WriteHeader(http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &Fetcher{}
	ctx := context.Background()
	tests := []struct {
		path   string
		body   string
		target error
		status int
	}{
		{"/busy", "ok", nil, 0},
		{"/down", "", nil, http.StatusBadGateway},
		{"/private", "", source.ErrBlocked, http.StatusForbidden},
		{"/gone", "", source.ErrNotFound, http.StatusNotFound},
	}
	for _, tt := range tests {
		resp, err := f.Get(ctx, srv.URL+tt.path, nil)
		if tt.status == 0 {
			if err != nil || string(resp.Body) != tt.body {
				t.Errorf("%s: %v, %v", tt.path, resp, err)
			}
			continue
		}
		var he *source.HTTPError
		if !errors.As(err, &he) || he.Status != tt.status || tt.target != nil && !errors.Is(err, tt.target) {
			t.Errorf("%s: err %v, want HTTP %d (%v)", tt.path, err, tt.status, tt.target)
		}
	}
	want := []string{"GET " + srv.URL + "/busy", "GET " + srv.URL + "/down", "GET " + srv.URL + "/private", "GET " + srv.URL + "/gone"}
	if got := f.URLs(); !slices.Equal(got, want) {
		t.Errorf("URLs = %v, want one per call: %v", got, want)
	}
	if f.ResetURLs(); len(f.URLs()) != 0 {
		t.Error("ResetURLs kept calls")
	}
}

func TestStats(t *testing.T) {
	s := &Stats{}
	s.Error("parse", errors.New("bad json"))
	s.Error("parse", errors.New("worse json"))
	s.Error("not_found", errors.New("gone"))
	s.Blocked("topic 5600", &source.HTTPError{URL: "u", Status: 403})
	s.Page()
	if got := s.Kinds(); got["parse"] != 2 || got["not_found"] != 1 || len(got) != 2 {
		t.Errorf("Kinds = %v", got)
	}
	if got := s.Errors(); len(got) != 3 || got[0] != "parse: bad json" {
		t.Errorf("Errors = %v", got)
	}
	if got := s.Blocks(); len(got) != 1 || got[0] != "topic 5600: GET u: HTTP 403" {
		t.Errorf("Blocks = %v", got)
	}
	if s.Pages() != 1 {
		t.Errorf("Pages = %d", s.Pages())
	}
	defer func() {
		if recover() == nil {
			t.Error("Blocked with a non-ErrBlocked error did not panic")
		}
	}()
	s.Blocked("x", errors.New("not a block"))
}

func TestState(t *testing.T) {
	var s State
	if s.Get("k") != "" {
		t.Error("zero State has a value")
	}
	s.Set("k", "v")
	if s.Get("k") != "v" {
		t.Errorf("Get = %q", s.Get("k"))
	}
}
