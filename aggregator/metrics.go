package aggregator

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reactions-research/reactions/reaction"
)

// Rejection reasons: the bounded vocabulary of the reason label of
// reactions_aggregator_rejected_total. Only a line that is not a reaction,
// or a bad identifying field, rejects one; a bad side field is repaired
// and counted in reactions_aggregator_repaired_total instead.
const (
	reasonJSON         = "json"          // not one JSON object, or story, platform or id of the wrong type
	reasonUTF8         = "utf8"          // story, platform, id or created_at not valid UTF-8
	reasonTooLong      = "too_long"      // longer than MaxLineBytes
	reasonTime         = "time"          // created_at not RFC 3339 or out of range
	reasonInvalid      = "invalid"       // fails reaction.Validate
	reasonUnknownStory = "unknown_story" // story not registered
)

var rejectReasons = []string{reasonJSON, reasonUTF8, reasonTooLong, reasonTime, reasonInvalid, reasonUnknownStory}

// ClickHouse error kinds: the label of reactions_aggregator_clickhouse_errors_total.
var errorKinds = []string{"connection", "timeout", "server", "other"}

type metrics struct {
	received     prometheus.Counter
	accepted     prometheus.Counter
	rejected     *prometheus.CounterVec
	repaired     *prometheus.CounterVec
	duplicates   prometheus.Counter
	rowsWritten  prometheus.Counter
	spooled      prometheus.Counter
	flush        prometheus.Histogram
	chErrors     *prometheus.CounterVec
	backpressure prometheus.Counter
	// bodiesRefused counts request bodies refused while they arrived, by
	// reason: "timeout" (408: too slow, or stopped) or "memory" (503: the
	// bodies being received hold MaxBufferedBytes).
	bodiesRefused *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, a *Aggregator) (*metrics, error) {
	const ns, sub = "reactions", "aggregator"
	m := &metrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "received_total",
			Help: "Reactions received (non-empty NDJSON lines and in-process records)."}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "accepted_total",
			Help: "Reactions acknowledged to their sender: written to ClickHouse or spooled."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "rejected_total",
			Help: "Reactions rejected, by reason."}, []string{"reason"}),
		repaired: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "repaired_total",
			Help: "Side fields of accepted reactions that were cleared or fixed (a raw author handle, likes of the wrong type, " +
				"text that is not UTF-8, ...), by field; the reactions were kept."}, []string{"field"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "duplicates_total",
			Help: "Reactions identical to the stored state: nothing was written for them."}),
		rowsWritten: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "rows_written_total",
			Help: "Rows inserted into the reactions table (a changed reaction writes two: a cancel row and its new state)."}),
		spooled: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "spooled_reactions_total",
			Help: "Reactions appended to the spool because ClickHouse could not take them (or the spool was not empty)."}),
		flush: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "flush_duration_seconds",
			Help: "Time to write one batch to ClickHouse, from the lookup of the stored states to the end of its insert, " +
				"successful or not.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		chErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "clickhouse_errors_total",
			Help: "Failed ClickHouse operations, by kind (connection, timeout, server, other)."}, []string{"kind"}),
		backpressure: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "spool_full_total",
			Help: "Requests answered 503 because the spool reached its size limit."}),
		bodiesRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "bodies_refused_total",
			Help: "Request bodies refused while they arrived, by reason: timeout (408, the sender was too slow or stopped) " +
				"or memory (503, the bodies being received held the buffer limit)."}, []string{"reason"}),
	}
	for _, r := range []string{"timeout", "memory"} {
		m.bodiesRefused.WithLabelValues(r)
	}
	for _, r := range rejectReasons {
		m.rejected.WithLabelValues(r)
	}
	for _, k := range errorKinds {
		m.chErrors.WithLabelValues(k)
	}
	for _, f := range reaction.SideFields {
		m.repaired.WithLabelValues(f)
	}
	spoolBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "spool_bytes",
		Help: "Bytes in the spool waiting to be written to ClickHouse."},
		func() float64 { return float64(a.spool.Bytes()) })
	queueRows := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "queue_rows",
		Help: "Reactions the writer has taken and not yet written or spooled."},
		func() float64 { return float64(a.held.Load()) })
	bodyBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "body_buffer_bytes",
		Help: "Bytes held by request bodies being received (each is read whole before it is parsed)."},
		func() float64 { return float64(a.buffered.Load()) })
	for _, c := range []prometheus.Collector{m.received, m.accepted, m.rejected, m.repaired, m.duplicates, m.rowsWritten,
		m.spooled, m.flush, m.chErrors, m.backpressure, m.bodiesRefused, spoolBytes, queueRows, bodyBytes, &countsCollector{a: a}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// errorKind sorts a ClickHouse error into the bounded kinds.
func errorKind(err error) string {
	var ex *clickhouse.Exception
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &ex):
		return "server"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne), strings.Contains(err.Error(), "connection"), strings.Contains(err.Error(), "EOF"):
		return "connection"
	}
	return "other"
}

var reactionsTotalDesc = prometheus.NewDesc("reactions_total",
	"Stored reactions (current state, exact) by story, platform and stance, thread starters left out as on the charts, "+
		"read from ClickHouse at scrape time. "+
		"Cardinality: at most the aggregator's story limit × 7 platforms × 3 stances.",
	[]string{"story", "platform", "stance"}, nil)

// countsCollector exports reactions_total from reaction_minutes, without
// the thread starters (reaction.Reaction.IsRoot), like the charts. The counts
// are cached for at most CountsCacheTTL and only while the aggregator wrote
// nothing, so a scrape always agrees with ClickHouse after a write.
type countsCollector struct {
	a *Aggregator

	mu      sync.Mutex
	at      time.Time
	gen     uint64
	cached  []countRow
	hasData bool
}

type countRow struct {
	story, platform, stance string
	n                       int64
}

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- reactionsTotalDesc }

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	rows := c.rows()
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(reactionsTotalDesc, prometheus.GaugeValue, float64(r.n), r.story, r.platform, r.stance)
	}
}

func (c *countsCollector) rows() []countRow {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.a.writeGen.Load()
	if c.hasData && gen == c.gen && time.Since(c.at) < c.a.cfg.CountsCacheTTL {
		return c.cached
	}
	ids := c.a.storyIDs()
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.a.countRows(ctx, ids)
	if err != nil {
		c.a.m.chErrors.WithLabelValues(errorKind(err)).Inc()
		c.a.log.Warn("reactions_total: read counts from ClickHouse", "err", err)
		return c.cached // the last known counts, rather than none
	}
	c.cached, c.at, c.gen, c.hasData = rows, time.Now(), gen, true
	return rows
}

// countRows reads the current counts of the given stories.
func (a *Aggregator) countRows(ctx context.Context, ids []string) ([]countRow, error) {
	set := make([]any, len(ids))
	for i, id := range ids {
		set[i] = id
	}
	rs, err := a.st.Conn().Query(ctx, `SELECT story, toString(platform), toString(stance), sum(n) FROM reaction_minutes
WHERE story IN ? AND is_root = 0 GROUP BY story, platform, stance HAVING sum(n) != 0 ORDER BY story, platform, stance`,
		clickhouse.GroupSet{Value: set})
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []countRow
	for rs.Next() {
		var r countRow
		if err := rs.Scan(&r.story, &r.platform, &r.stance, &r.n); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}
