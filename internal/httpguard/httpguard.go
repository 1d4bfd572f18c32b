// Package httpguard keeps slow and stalled HTTP clients from holding a
// server's resources.
package httpguard

import (
	"io"
	"net/http"
	"time"
)

// DropUnreadBody wraps h so that a request body h did not read to its end
// is not waited for once h has answered: the connection is closed rather
// than drained. net/http otherwise reads up to 256 KiB of what is left,
// with no deadline, so a client that sends a body slowly, or stops, would
// hold the connection and its goroutine for ever.
func DropUnreadBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		body := &eofBody{ReadCloser: r.Body}
		r.Body = body
		h.ServeHTTP(w, r)
		if !body.eof {
			// Only then: once a body was read to its end, net/http reads
			// the connection in the background, and a deadline would
			// cancel the next request's context.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		}
	})
}

// eofBody records whether its reader reached the end.
type eofBody struct {
	io.ReadCloser
	eof bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}
