// Package httpstatus records the status code a handler answers with, for
// the request metrics of the servers (dashboard, replica, demo).
package httpstatus

import "net/http"

// Recorder is an http.ResponseWriter that remembers the first status
// code written (200 when the handler writes a body without one). It
// passes Flush through, for streaming answers, and gives
// http.ResponseController the writer below it.
type Recorder struct {
	http.ResponseWriter
	// Status is the code written so far: 200 until the handler writes
	// another.
	Status int
	wrote  bool
}

// NewRecorder wraps w.
func NewRecorder(w http.ResponseWriter) *Recorder {
	return &Recorder{ResponseWriter: w, Status: http.StatusOK}
}

// WriteHeader records the first code and passes it on.
func (r *Recorder) WriteHeader(code int) {
	if !r.wrote {
		r.Status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write passes b on; a body without a header first is a 200.
func (r *Recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the recorder.
func (r *Recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
