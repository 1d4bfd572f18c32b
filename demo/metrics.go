package demo

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/internal/httpstatus"
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
		rec := httpstatus.NewRecorder(w)
		h.ServeHTTP(rec, r)
		platform := "other"
		if first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); reaction.Platform(first).Valid() {
			platform = first
		}
		m.requests.WithLabelValues(platform, strconv.Itoa(rec.Status/100)+"xx").Inc()
	})
}
