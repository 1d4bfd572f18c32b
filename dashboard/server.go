// Package dashboard serves the reactions dashboard: a web app embedded in
// the binary (uPlot charts of support, criticism and neutral over time, a
// drill-down into each bucket, crawl completeness, exports and figures),
// its JSON API (/api/v1/…, documented in docs/api.md), /metrics and
// /healthz. Crawled text is hostile input: the app renders every datum
// with DOM text APIs, never as HTML, links are http(s) only, and every
// answer carries a strict Content-Security-Policy, so that no reaction can
// run script or load anything.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/internal/httpguard"
	"github.com/reactions-research/reactions/internal/httpstatus"
	"github.com/reactions-research/reactions/store"
)

//go:embed web/index.html web/static web/vendor
var embedded embed.FS

// uPlotFile is the vendored chart library (built by web/build.sh).
const uPlotFile = "vendor/uPlot.iife.min.js"

// ContentSecurityPolicy is sent with every answer.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Options configure a Server. Store is required.
type Options struct {
	// Store is where the data is read. Required.
	Store *store.Store
	// Registerer registers the HTTP metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Gatherer is what /metrics serves; default the Registerer when it is
	// a *prometheus.Registry, else prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Logger logs errors (default slog.Default()).
	Logger *slog.Logger
	// Version is the tool version, shown in the app and export metadata.
	Version string
	// BuiltinClassifier is the version of the built-in stance model, so
	// that the app can say a story is labelled by it. Default "": the app
	// names no model as built in.
	BuiltinClassifier string
	// Refresh is how often the app polls while a crawl runs. Default 5s.
	Refresh time.Duration
	// Assets, when set, replaces the embedded web directory (development:
	// os.DirFS("dashboard/web")).
	Assets fs.FS
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Server is the dashboard. Build it with New; it is an http.Handler.
type Server struct {
	opt     Options
	st      *store.Store
	log     *slog.Logger
	assets  fs.FS
	mux     *http.ServeMux
	handler http.Handler // mux, not waiting for request bodies (the dashboard reads none)
	metrics *httpMetrics
	exp     *export.Exporter
	reports *study.Cache // each story's coding report, for the coding API and corrected series
	built   bool         // the vendored assets exist
}

// New returns a dashboard server.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, errors.New("dashboard: a store is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Refresh <= 0 {
		opt.Refresh = 5 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Version == "" {
		opt.Version = "dev"
	}
	assets := opt.Assets
	if assets == nil {
		sub, err := fs.Sub(embedded, "web")
		if err != nil {
			return nil, err
		}
		assets = sub
	}
	reports := study.NewCache(study.Options{BuiltinClassifier: opt.BuiltinClassifier})
	s := &Server{opt: opt, st: opt.Store, log: opt.Logger, assets: assets, mux: http.NewServeMux(),
		exp:     &export.Exporter{Store: opt.Store, Version: opt.Version, Now: opt.Now, Reports: reports},
		reports: reports}
	if _, err := fs.Stat(assets, uPlotFile); err == nil {
		s.built = true
	}
	m, err := newHTTPMetrics(opt.Registerer)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	gather := opt.Gatherer
	if gather == nil {
		if reg, ok := opt.Registerer.(*prometheus.Registry); ok {
			gather = reg
		} else {
			gather = prometheus.DefaultGatherer
		}
	}
	s.route("GET /{$}", "/", http.HandlerFunc(s.index))
	files := http.FileServerFS(assets)
	static := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			s.notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	s.route("GET /static/", "/static/", static)
	s.route("GET /vendor/", "/vendor/", http.HandlerFunc(s.vendor(static)))
	s.route("GET /api/v1/stories", "/api/v1/stories", s.api(s.stories))
	s.route("GET /api/v1/series", "/api/v1/series", s.api(s.series))
	s.route("GET /api/v1/reactions", "/api/v1/reactions", s.api(s.reactions))
	s.route("GET /api/v1/crawls", "/api/v1/crawls", s.api(s.crawls))
	s.route("GET /api/v1/codebook", "/api/v1/codebook", s.api(s.codebook))
	s.route("GET /api/v1/samples", "/api/v1/samples", s.api(s.samples))
	s.route("GET /api/v1/coding/sample", "/api/v1/coding/sample", s.api(s.codingSample))
	s.route("GET /api/v1/disputes", "/api/v1/disputes", s.api(s.disputes))
	s.route("GET /api/v1/coding/report", "/api/v1/coding/report", s.api(s.codingReport))
	s.route("POST /api/v1/codings", "/api/v1/codings", s.api(s.postCodings))
	s.route("GET /api/v1/threads", "/api/v1/threads", s.api(s.threads))
	s.route("GET /api/v1/compare", "/api/v1/compare", s.api(s.compare))
	s.route("GET /api/v1/export", "/api/v1/export", http.HandlerFunc(s.export))
	s.route("GET /api/v1/figure.svg", "/api/v1/figure", http.HandlerFunc(s.figure))
	s.route("GET /api/v1/figure.png", "/api/v1/figure", http.HandlerFunc(s.figure))
	s.route("GET /healthz", "/healthz", http.HandlerFunc(s.healthz))
	s.route("GET /metrics", "/metrics", promhttp.HandlerFor(gather, promhttp.HandlerOpts{}))
	s.route("/", "other", http.HandlerFunc(s.notFound))
	s.handler = httpguard.DropUnreadBody(s.mux)
	return s, nil
}

// AssetsBuilt reports whether the vendored chart library is present.
func (s *Server) AssetsBuilt() bool { return s.built }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	s.handler.ServeHTTP(w, r)
}

// route registers h under pattern, measured under the bounded label.
func (s *Server) route(pattern, label string, h http.Handler) {
	s.mux.Handle(pattern, s.metrics.wrap(label, h))
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if !s.built {
		http.Error(w, "dashboard assets not built: run `make build` (or sh dashboard/web/build.sh) and rebuild; the JSON API under /api/v1/ works meanwhile", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, s.assets, "index.html")
}

// vendor serves the built third-party files (404 with a reason if not built).
func (s *Server) vendor(static http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.built {
			http.Error(w, "dashboard assets not built: run `make build`", http.StatusNotFound)
			return
		}
		static.ServeHTTP(w, r)
	}
}

// notFound answers what no route takes: 405 with Allow for another method
// on a page that exists (every page answers GET and HEAD, and
// /api/v1/codings POST only), else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		other := r.Clone(r.Context())
		other.Method = m
		if _, pattern := s.mux.Handler(other); pattern != "/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, &apiError{Msg: fmt.Sprintf("method %s is not allowed here: this page answers %s only",
			truncate(r.Method, 20), strings.Join(allow, " and "))})
		return
	}
	writeJSON(w, http.StatusNotFound, &apiError{Msg: "no such page: see docs/api.md for the API"})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		s.log.Warn("healthz: ClickHouse does not answer", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "clickhouse": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "clickhouse": s.st.ServerVersion(), "version": s.opt.Version})
}

// api adapts a JSON handler: it answers its value with 200, or its error.
func (s *Server) api(h func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// fail answers an error: an apiError as itself, a context cancellation as
// 503, anything else as a logged 500 without internals.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeJSON(w, ae.Status, ae)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusServiceUnavailable, &apiError{Msg: "the query was cancelled or took too long"})
	default:
		s.log.Error("dashboard request failed", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, &apiError{Msg: "internal error: the query failed (see the server log)"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error: cannot encode the answer"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// httpMetrics count and time requests by route (bounded labels).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reactions_dashboard_http_requests_total",
			Help: "HTTP requests answered by the dashboard, by route and status code.",
		}, []string{"handler", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reactions_dashboard_http_request_duration_seconds",
			Help:    "Time to answer dashboard HTTP requests, by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120},
		}, []string{"handler"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *httpMetrics) wrap(label string, h http.Handler) http.Handler {
	dur := m.duration.WithLabelValues(label)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := httpstatus.NewRecorder(w)
		h.ServeHTTP(sw, r)
		dur.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(label, strconv.Itoa(sw.Status)).Inc()
	})
}
