package demo

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/reaction"
)

// metrics are the demo's own: what the replicas answered and how much of
// the data set --follow has replayed. Labels are bounded: the platform and
// the status class.
type metrics struct {
	requests *prometheus.CounterVec
	replayed prometheus.Counter
}

// newMetrics registers the metrics on reg (none when reg is nil).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "reactions", Subsystem: "demo", Name: "replica_requests_total",
			Help: "Requests the demo's replicas answered, by platform and status class (2xx, 4xx, 5xx).",
		}, []string{"platform", "status"}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "reactions", Subsystem: "demo", Name: "items_served",
			Help: "Items of the demo data set the replicas serve (grows during --follow's replay).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.replayed)
	}
	return m
}

// instrument counts the replicas' answers.
func (m *metrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		platform := "other"
		if first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); reaction.Platform(first).Valid() {
			platform = first
		}
		m.requests.WithLabelValues(platform, strconv.Itoa(rec.status/100)+"xx").Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives websocket upgrades (the replica's Jetstream) the
// underlying writer's Hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets streaming handlers flush through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
