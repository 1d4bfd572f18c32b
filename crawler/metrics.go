package crawler

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/reaction"
)

// Request outcomes: the bounded values of the outcome label.
const (
	outcomeOK          = "ok"           // 2xx
	outcomeNotFound    = "not_found"    // 404, 410
	outcomeBlocked     = "blocked"      // 401, 403
	outcomeRateLimited = "rate_limited" // 429
	outcomeServerError = "server_error" // 5xx
	outcomeClientError = "client_error" // other 4xx, 3xx
	outcomeNetwork     = "network_error"
	outcomeTimeout     = "timeout"
	outcomeCanceled    = "canceled"
	outcomeTooLarge    = "too_large"
)

// Run statuses as numbers for the last-run status gauge.
var statusCode = map[string]float64{
	reaction.RunOK: 0, reaction.RunRunning: 1, reaction.RunWarning: 2,
	reaction.RunBlocked: 3, reaction.RunFailed: 4, reaction.RunStopped: 5,
	reaction.RunLoop: 6, reaction.RunTruncated: 7, reaction.RunThrottled: 8,
}

// metrics are the crawler's Prometheus metrics. story and source labels come
// from the story files (bounded by configuration), never from crawled data.
type metrics struct {
	requests  *prometheus.CounterVec   // platform, outcome
	duration  *prometheus.HistogramVec // platform
	reactions *prometheus.CounterVec   // platform
	retries   *prometheus.CounterVec   // platform
	robots    *prometheus.CounterVec   // platform
	repaired  *prometheus.CounterVec   // platform, field
	inFlight  prometheus.Gauge
	// streamEvents counts live stream events by platform and outcome
	// (source.Stream…); streamLag is how far behind the platform's clock
	// a live source's last event was when handled, by story, source and
	// platform.
	streamEvents *prometheus.CounterVec
	streamLag    *prometheus.GaugeVec
	lastItems    *prometheus.GaugeVec // story, source, platform
	lastErrs     *prometheus.GaugeVec
	lastBlock    *prometheus.GaugeVec
	lastState    *prometheus.GaugeVec
	lastTime     *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_crawler_requests_total",
			Help: "HTTP requests (every attempt, robots.txt included) by platform and outcome.",
		}, []string{"platform", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reactions_crawler_request_duration_seconds",
			Help:    "Time from sending a request to its response headers, by platform.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"platform"}),
		reactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_crawler_reactions_total",
			Help: "Reactions collected and acknowledged by the sink (new or changed), by platform.",
		}, []string{"platform"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_crawler_retries_total",
			Help: "Requests retried after 429, 5xx, timeouts or network errors, by platform.",
		}, []string{"platform"}),
		robots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_crawler_robots_blocked_total",
			Help: "URLs not fetched because robots.txt disallows them, by platform.",
		}, []string{"platform"}),
		repaired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_crawler_repaired_total",
			Help: "Side fields of collected reactions that were cleared or fixed (reaction.Repair), by platform and field; the reactions were kept.",
		}, []string{"platform", "field"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reactions_crawler_in_flight",
			Help: "HTTP requests in flight.",
		}),
		streamEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_crawler_stream_events_total",
			Help: "Events read from live streams (Bluesky's Jetstream in --follow mode), by platform and outcome: kept, unrelated, duplicate (already collected: a replayed overlap), deleted, identity, malformed, other.",
		}, []string{"platform", "outcome"}),
		streamLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "reactions_crawler_stream_lag_seconds",
			Help: "How far behind the platform's clock a live source is: now minus the time stamped on the last event it handled.",
		}, []string{"story", "source", "platform"}),
		lastItems: lastGauge("reactions_crawler_last_run_items", "Reactions seen by the last finished run of a source."),
		lastErrs:  lastGauge("reactions_crawler_last_run_errors", "Errors of the last finished run of a source."),
		lastBlock: lastGauge("reactions_crawler_last_run_blocked", "Blocked endpoints in the last finished run of a source."),
		lastState: lastGauge("reactions_crawler_last_run_status", "Status of the last run of a source: 0 ok, 1 running, 2 warning, 3 blocked, 4 failed, 5 stopped, 6 loop, 7 truncated, 8 throttled."),
		lastTime:  lastGauge("reactions_crawler_last_run_finished_timestamp_seconds", "When the last run of a source finished (Unix time)."),
	}
	m.requests = register(reg, m.requests)
	m.duration = register(reg, m.duration)
	m.reactions = register(reg, m.reactions)
	m.retries = register(reg, m.retries)
	m.robots = register(reg, m.robots)
	m.repaired = register(reg, m.repaired)
	m.inFlight = register(reg, m.inFlight)
	m.streamEvents = register(reg, m.streamEvents)
	m.streamLag = register(reg, m.streamLag)
	m.lastItems = register(reg, m.lastItems)
	m.lastErrs = register(reg, m.lastErrs)
	m.lastBlock = register(reg, m.lastBlock)
	m.lastState = register(reg, m.lastState)
	m.lastTime = register(reg, m.lastTime)
	return m
}

func lastGauge(name, help string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"story", "source", "platform"})
}

// register registers c, or returns the collector already registered under
// the same name (a second Run on the same registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// observeRun sets the last-run gauges of a run.
func (m *metrics) observeRun(r reaction.CrawlRun) {
	l := prometheus.Labels{"story": r.Story, "source": r.Source, "platform": string(r.Platform)}
	m.lastState.With(l).Set(statusCode[r.Status])
	if r.Status == reaction.RunRunning {
		return
	}
	m.lastItems.With(l).Set(float64(r.Items))
	m.lastErrs.With(l).Set(float64(r.Errors))
	m.lastBlock.With(l).Set(float64(r.Blocked))
	m.lastTime.With(l).Set(float64(r.Finished.Unix()))
}
