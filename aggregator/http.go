package aggregator

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/reactions-research/reactions/internal/httpguard"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// maxListedRejections bounds the rejected lines listed in one answer; the
// last entry then says how many more there were.
const maxListedRejections = 1000

// Handler returns the HTTP API:
//
//	POST /api/v1/reactions        NDJSON reactions (optionally gzip) → reaction.IngestResult
//	PUT  /api/v1/stories/{id}     a story definition, YAML or JSON
//	PUT  /api/v1/crawls           a reaction.CrawlRun as JSON
//	POST /api/v1/stories/{id}/reclassify  relabel a story's stored reactions
//	GET  /healthz                 ClickHouse reachability, spool and queue size (503 while ingest is stalled)
//	GET  /metrics                 Prometheus metrics
//
// With Config.Token set, /api/v1 requests need "Authorization: Bearer <token>".
func (a *Aggregator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /api/v1/reactions", a.auth(http.HandlerFunc(a.handleReactions)))
	mux.Handle("PUT /api/v1/stories/{id}", a.auth(http.HandlerFunc(a.handlePutStory)))
	mux.Handle("POST /api/v1/stories/{id}/reclassify", a.auth(http.HandlerFunc(a.handleReclassify)))
	mux.Handle("PUT /api/v1/crawls", a.auth(http.HandlerFunc(a.handlePutCrawl)))
	mux.HandleFunc("GET /healthz", a.handleHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.cfg.Gatherer, promhttp.HandlerOpts{}))
	return httpguard.DropUnreadBody(mux)
}

func (a *Aggregator) auth(next http.Handler) http.Handler {
	if a.cfg.Token == "" {
		return next
	}
	want := []byte(a.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 7235 §2.1): "bearer" is
		// as good as "Bearer".
		scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="reactions"`)
			httpError(w, http.StatusUnauthorized, "missing or wrong bearer token: send \"Authorization: Bearer <REACTIONS_INGEST_TOKEN>\"")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// httpError answers {"error": msg}.
func httpError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (a *Aggregator) unavailable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(int((a.cfg.RetryAfter+time.Second-1)/time.Second)))
	httpError(w, http.StatusServiceUnavailable, msg)
}

// errTooLarge reports a body over MaxBodyBytes (compressed or not).
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("request body is larger than %d bytes (%s) after decompression: send smaller batches", e.limit, sizeText(e.limit))
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitReader fails with errTooLarge once more than limit bytes were read.
type limitReader struct {
	r     io.Reader
	n     int64 // bytes left
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge{l.limit}
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge{l.limit}
	}
	return n, err
}

// errBadGzip wraps errors of the gzip stream.
type errBadGzip struct{ err error }

func (e errBadGzip) Error() string {
	return fmt.Sprintf("body is not valid gzip (Content-Encoding: gzip): %v", e.err)
}

// gzipReader turns every error of the gzip stream into errBadGzip, leaving
// errTooLarge from below it as it is.
type gzipReader struct {
	zr *gzip.Reader
}

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		var tl errTooLarge
		if errors.As(err, &tl) {
			return n, err
		}
		return n, errBadGzip{err}
	}
	return n, err
}

func (a *Aggregator) handleReactions(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !(mt == "application/x-ndjson" || mt == "application/json" || mt == "application/jsonl" || mt == "application/x-jsonlines") {
		httpError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not supported: send NDJSON as application/x-ndjson (one reaction per line)", ct))
		return
	}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if enc != "" && enc != "identity" && enc != "gzip" && enc != "x-gzip" {
		httpError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported: send gzip or no encoding", enc))
		return
	}
	limit := a.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		httpError(w, http.StatusRequestEntityTooLarge, errTooLarge{limit}.Error())
		return
	}
	if a.SpoolFull() {
		a.m.backpressure.Inc()
		a.unavailable(w, ErrSpoolFull.Error())
		return
	}
	// The whole body first, then a parse slot: a slow or stalled sender
	// holds no slot (and does not hold up the writer, which waits for the
	// requests on their way).
	raw, err := a.readBody(w, r, limit)
	if err != nil {
		a.bodyError(w, err)
		return
	}
	defer raw.release()
	// Bounded parsing: requests beyond MaxParallelParse wait here.
	if err := a.parse.acquire(r.Context()); err != nil {
		return // the client went away
	}
	released := false
	release := func() {
		if !released {
			released = true
			a.parse.release()
		}
	}
	defer release()

	body := raw.reader()
	if enc == "gzip" || enc == "x-gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			release()
			httpError(w, http.StatusBadRequest, errBadGzip{err}.Error())
			return
		}
		zr.Multistream(true)
		body = &limitReader{r: gzipReader{zr}, n: limit, limit: limit}
	}
	rs, res, err := a.parseBody(body)
	raw.release()
	if err != nil {
		release() // answer without a slot: the client may be slow to read
		var tl errTooLarge
		var bg errBadGzip
		switch {
		case errors.As(err, &tl):
			httpError(w, http.StatusRequestEntityTooLarge, tl.Error())
		case errors.As(err, &bg):
			httpError(w, http.StatusBadRequest, bg.Error())
		default:
			httpError(w, http.StatusBadRequest, fmt.Sprintf("read request body: %v", err))
		}
		return
	}
	for i := range rs {
		if (i == 0 || rs[i].Story != rs[i-1].Story) && a.misdirected(w, rs[i].Story) {
			return
		}
	}
	sr, err := a.submit(r.Context(), rs, release)
	res.Accepted, res.Duplicates, res.Spooled = sr.accepted, sr.duplicates, sr.spooled
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			return // the client went away
		case errors.Is(err, ErrSpoolFull):
			a.unavailable(w, err.Error())
		default:
			a.unavailable(w, fmt.Sprintf("reactions could not be stored, none of this request is acknowledged: %v", err))
		}
		return
	}
	a.countRepaired(&res)
	writeJSON(w, http.StatusOK, res)
}

// parseBody reads NDJSON lines: good lines become reactions, bad ones are
// listed with their 1-based line number. Empty lines are skipped. Only an
// error of the stream itself (a body too large once decompressed, broken
// gzip) fails the whole body; the reactions are labelled only then, so
// that such a body costs no classification.
func (a *Aggregator) parseBody(body io.Reader) ([]reaction.Reaction, reaction.IngestResult, error) {
	res := reaction.IngestResult{Rejected: []reaction.Rejection{}}
	br := bufio.NewReaderSize(body, 64<<10)
	var rs []reaction.Reaction
	var line []byte
	lineNo, notListed, firstNotListed, received := 0, 0, 0, 0
	reasons := map[string]int{} // counted once the whole body was read
	reject := func(e *lineError) {
		reasons[e.reason]++
		if len(res.Rejected) < maxListedRejections {
			res.Rejected = append(res.Rejected, reaction.Rejection{Line: lineNo, Error: e.msg})
			return
		}
		if notListed == 0 {
			firstNotListed = lineNo
		}
		notListed++
	}
	maxLine := a.cfg.MaxLineBytes
	for {
		line = line[:0]
		tooLong := false
		var err error
		for {
			var frag []byte
			frag, err = br.ReadSlice('\n')
			if !tooLong {
				if len(line)+len(frag) > maxLine+2 { // allow the line end itself
					tooLong = true
					line = line[:0]
				} else {
					line = append(line, frag...)
				}
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return nil, res, err
		}
		if len(line) > 0 || tooLong {
			lineNo++
			if tooLong {
				received++
				reject(rejectf(reasonTooLong, "line is longer than %d bytes (%s)", maxLine, sizeText(int64(maxLine))))
			} else if t := trimLine(line); len(t) > 0 {
				received++
				var rc reaction.Reaction
				fixed, e := decodeLine(t, &rc)
				if e == nil {
					fixed, e = a.check(&rc, fixed)
				}
				if e != nil {
					reject(e)
				} else {
					a.repaired(&res, fixed)
					rs = append(rs, rc)
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	label := a.labeller()
	for i := range rs {
		label(&rs[i])
	}
	a.m.received.Add(float64(received))
	for reason, n := range reasons {
		a.m.rejected.WithLabelValues(reason).Add(float64(n))
	}
	if notListed > 0 {
		res.Rejected = append(res.Rejected, reaction.Rejection{Line: firstNotListed,
			Error: fmt.Sprintf("%d more rejected lines from here on are not listed (at most %d are)", notListed, maxListedRejections)})
	}
	return rs, res, nil
}

// utf8BOM is the UTF-8 byte-order mark that some tools write at the start
// of a file: it carries no data, and a body or line may start with one.
var utf8BOM = []byte("\xef\xbb\xbf")

// trimLine returns line without surrounding white space and without a
// byte-order mark at its start.
func trimLine(line []byte) []byte {
	return bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(line), utf8BOM))
}

func (a *Aggregator) handlePutStory(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !reaction.ValidStoryID(id) {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("story id %q in the path is not a story id ([a-z0-9-]+, at most 64 bytes)", id))
		return
	}
	if a.misdirected(w, id) {
		return
	}
	b, err := a.readSmallBody(w, r)
	if err != nil {
		if errors.As(err, new(errTooLarge)) {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("story definition is larger than %s", sizeText(a.cfg.MaxStoryBytes)))
			return
		}
		a.bodyError(w, err)
		return
	}
	s, err := story.Parse(b)
	if err != nil {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("story definition: %v", err))
		return
	}
	if s.ID != id {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("story id in the body (%q) does not match the path (%q)", s.ID, id))
		return
	}
	where, err := a.putStory(r.Context(), s)
	switch {
	case errors.Is(err, ErrStoryLimit):
		httpError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		a.unavailable(w, fmt.Sprintf("story not stored: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": s.ID, "subject": s.SubjectText(), "stored": where})
}

// readSmallBody reads a story or crawl-run body (at most MaxStoryBytes) as
// readBody does, without a byte-order mark at its start.
func (a *Aggregator) readSmallBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	raw, err := a.readBody(w, r, a.cfg.MaxStoryBytes)
	if err != nil {
		return nil, err
	}
	defer raw.release()
	b, err := io.ReadAll(raw.reader())
	return bytes.TrimPrefix(b, utf8BOM), err
}

func (a *Aggregator) handlePutCrawl(w http.ResponseWriter, r *http.Request) {
	var run reaction.CrawlRun
	b, err := a.readSmallBody(w, r)
	if err != nil {
		a.bodyError(w, err)
		return
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&run); err != nil {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("crawl run is not valid JSON: %v", err))
		return
	}
	if a.misdirected(w, run.Story) {
		return
	}
	where, err := a.putCrawlRun(r.Context(), run)
	if err != nil {
		if strings.HasPrefix(err.Error(), "crawl run:") {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		a.unavailable(w, fmt.Sprintf("crawl run not stored: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"story": run.Story, "run_id": run.RunID, "stored": where})
}

func (a *Aggregator) handleReclassify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.misdirected(w, id) {
		return
	}
	read, changed, err := a.Reclassify(r.Context(), id)
	switch {
	case errors.Is(err, ErrUnknownStory):
		httpError(w, http.StatusNotFound, err.Error())
		return
	case err != nil:
		a.unavailable(w, fmt.Sprintf("reclassify: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"story": id, "read": read, "changed": changed, "classifier": a.labeler.Version()})
}

// Health is the /healthz answer.
type Health struct {
	// Status is "ok", or "degraded" while ClickHouse is unreachable (the
	// aggregator still acknowledges into the spool, and /healthz answers
	// 200) or while ingest is stalled (see Ingest; /healthz answers 503).
	Status string `json:"status"`
	// ClickHouse is "ok" or the error reaching it.
	ClickHouse string `json:"clickhouse"`
	// Ingest is "ok", or says that every parse slot has been held for
	// longer than Config.StallAfter with none given back: new requests
	// wait until one is.
	Ingest       string `json:"ingest"`
	ParseSlots   int64  `json:"parse_slots"`
	ParseBusy    int64  `json:"parse_slots_busy"`
	SpoolBytes   int64  `json:"spool_bytes"`
	SpoolRecords int    `json:"spool_records"`
	SpoolFull    bool   `json:"spool_full"`
	// QueueRows counts the reactions the writer has taken and not yet
	// written or spooled.
	QueueRows  int64  `json:"queue_rows"`
	Stories    int    `json:"stories"`
	Classifier string `json:"classifier"`
	Version    string `json:"version"`
}

// Health checks ClickHouse and reports the spool and queue.
func (a *Aggregator) Health(ctx context.Context) Health {
	h := Health{Status: "ok", ClickHouse: "ok", Ingest: "ok", ParseSlots: int64(a.cfg.MaxParallelParse), ParseBusy: a.parse.busy(),
		SpoolBytes: a.spool.Bytes(), SpoolRecords: a.spool.Records(),
		SpoolFull: a.SpoolFull(), QueueRows: a.held.Load(), Stories: len(a.storyIDs()),
		Classifier: a.labeler.Version(), Version: a.cfg.Version}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.st.Ping(ctx); err != nil {
		h.Status, h.ClickHouse = "degraded", err.Error()
	}
	if d := a.parse.stalled(); d > a.cfg.StallAfter {
		h.Status = "degraded"
		h.Ingest = fmt.Sprintf("stalled: all %d parse slots have been held for %s with none given back; new requests wait",
			a.cfg.MaxParallelParse, d.Round(100*time.Millisecond))
	}
	return h
}

// handleHealth answers the Health, with 503 while ingest is stalled (a
// ClickHouse outage alone is 200: the spool still acknowledges).
func (a *Aggregator) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := a.Health(r.Context())
	code := http.StatusOK
	if h.Ingest != "ok" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}
