package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecorder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter)
		want    int
	}{
		{"body only", func(w http.ResponseWriter) { w.Write([]byte("x")) }, 200},
		{"nothing", func(w http.ResponseWriter) {}, 200},
		{"404", func(w http.ResponseWriter) { w.WriteHeader(404) }, 404},
		{"first code wins", func(w http.ResponseWriter) { w.WriteHeader(503); w.WriteHeader(200) }, 503},
		{"code after a body", func(w http.ResponseWriter) { w.Write([]byte("x")); w.WriteHeader(500) }, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := NewRecorder(w)
			tc.handler(r)
			r.Flush()
			if r.Status != tc.want {
				t.Errorf("Status %d, want %d", r.Status, tc.want)
			}
			if !w.Flushed {
				t.Error("Flush did not reach the writer below")
			}
			if r.Unwrap() != w {
				t.Error("Unwrap does not return the writer below")
			}
		})
	}
}
