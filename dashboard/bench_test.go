package dashboard_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/dashboard"
	"github.com/reactions-research/reactions/dashboard/export"
	"github.com/reactions-research/reactions/dashboard/series"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/store/localch"
)

// The 10-million-reaction data set of the benchmarks: 7 days from
// benchStart, loaded once per test process into a fresh database on the
// test server and dropped by TestMain.
const (
	benchStory = "bench-10m"
	benchBatch = 250_000
)

// benchRows is 10 million; REACTIONS_BENCH_ROWS sets another size for a
// quick look (the figures in the report are from 10 million).
var benchRows = func() int {
	if n, err := strconv.Atoi(os.Getenv("REACTIONS_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}()

var (
	benchStart = time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	benchOnce  sync.Once
	benchStore *store.Store
	benchDB    string
	benchErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		benchStore.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+benchDB)
		cancel()
		benchStore.Close()
	}
	os.Exit(code)
}

// bench10M returns the store holding the 10M data set, loading it on first
// use (rows go straight into reactions with sign 1, version 1, column by
// column in large batches; the materialized views fill the other tables).
func bench10M(b *testing.B) *store.Store {
	b.Helper()
	benchOnce.Do(func() { benchStore, benchErr = loadBench(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func loadBench(b *testing.B) (*store.Store, error) {
	ctx := context.Background()
	dsn := os.Getenv(chtest.Env)
	if dsn == "" {
		srv, err := localch.Ensure(ctx, chtest.Dir(), localch.Options{Timeout: 80 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("benchmarks need a real ClickHouse: %w", err)
		}
		dsn = srv.DSN("default")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	r := make([]byte, 4)
	rand.Read(r)
	benchDB = "bench_10m_" + hex.EncodeToString(r)
	u.Path = "/" + benchDB
	st, err := store.Open(ctx, u.String(), store.Options{})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	span := int64(7 * 24 * 3600)
	stances := []string{"support", "support", "criticism", "neutral", "support", "criticism", "neutral"}
	for off := 0; off < benchRows; off += benchBatch {
		n := min(benchBatch, benchRows-off)
		batch, err := st.Conn().PrepareBatch(ctx, `INSERT INTO reactions (story, platform, id, parent_id, root_id, is_root, url,
created_at, first_seen, author, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign)`)
		if err != nil {
			return nil, err
		}
		cols := struct {
			story, platform, id, parent, root, url, author, text, lang, stance, classifier []string
			created, seen                                                                  []time.Time
			likes, replies                                                                 []int64
			isRoot, deleted                                                                []uint8
			score                                                                          []float64
			digest, version                                                                []uint64
			sign                                                                           []int8
		}{}
		for i := off; i < off+n; i++ {
			p := reaction.Platforms[i%len(reaction.Platforms)]
			id := string(p) + ":" + strconv.Itoa(i)
			at := benchStart.Add(time.Duration(int64(i)*span/int64(benchRows)) * time.Second)
			cols.story = append(cols.story, benchStory)
			cols.platform = append(cols.platform, string(p))
			cols.id = append(cols.id, id)
			cols.parent = append(cols.parent, "")
			cols.root = append(cols.root, id)
			cols.url = append(cols.url, "https://example.org/"+id)
			cols.created = append(cols.created, at)
			cols.seen = append(cols.seen, at.Add(time.Minute))
			cols.author = append(cols.author, "a_"+strconv.FormatUint(uint64(i%9973)*0x9e3779b97f4a7c15, 16))
			cols.text = append(cols.text, "Reaction number "+strconv.Itoa(i)+": so sorry for their loss, thinking of Chrissy and John today.")
			cols.lang = append(cols.lang, "en")
			cols.likes = append(cols.likes, int64(i%37))
			cols.replies = append(cols.replies, int64(i%5))
			cols.isRoot = append(cols.isRoot, 0)
			cols.deleted = append(cols.deleted, 0)
			cols.stance = append(cols.stance, stances[(i*7919)%len(stances)])
			cols.score = append(cols.score, 0.5+float64(i%50)/100)
			cols.classifier = append(cols.classifier, "stance-bench-1")
			cols.digest = append(cols.digest, uint64(i))
			cols.version = append(cols.version, 1)
			cols.sign = append(cols.sign, 1)
		}
		for i, c := range []any{cols.story, cols.platform, cols.id, cols.parent, cols.root, cols.isRoot, cols.url, cols.created, cols.seen,
			cols.author, cols.text, cols.lang, cols.likes, cols.replies, cols.deleted, cols.stance, cols.score, cols.classifier,
			cols.digest, cols.version, cols.sign} {
			if err := batch.Column(i).Append(c); err != nil {
				return nil, fmt.Errorf("column %d: %w", i, err)
			}
		}
		if err := batch.Send(); err != nil {
			return nil, err
		}
	}
	b.Logf("loaded %d reactions over 7 days in %s (ClickHouse %s)", benchRows, time.Since(start).Round(time.Second), st.ServerVersion())
	// Let the background merges of the load finish, so that the figures
	// are of a settled table, as a story's data is most of the time.
	start = time.Now()
	for time.Since(start) < 3*time.Minute {
		var merges uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM system.merges WHERE database = ?", benchDB).Scan(&merges); err != nil {
			return nil, err
		}
		if merges == 0 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	var parts uint64
	st.Conn().QueryRow(ctx, "SELECT count() FROM system.parts WHERE database = ? AND table = 'reaction_minutes' AND active", benchDB).Scan(&parts)
	b.Logf("merges settled after %s; reaction_minutes has %d active parts", time.Since(start).Round(time.Second), parts)
	return st, nil
}

// latencies runs f b.N times (at least 20) and reports p50 and p95 in ms.
func latencies(b *testing.B, f func() error) {
	b.Helper()
	n := max(b.N, 20)
	ds := make([]time.Duration, 0, n)
	b.ResetTimer()
	for range n {
		t := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[(len(ds)*95+99)/100-1]), "p95-ms")
	b.ReportMetric(0, "ns/op") // the percentiles are the figures
}

// BenchmarkSeries10M measures the series query (store query + folding into
// buckets) on 10 million reactions over 7 days, the same through the HTTP
// API (with JSON), and a hand-written single SQL query doing the same
// aggregation as a reference. Run it with
//
//	go test ./dashboard -run '^$' -bench Series10M -benchtime 30x
func BenchmarkSeries10M(b *testing.B) {
	st := bench10M(b)
	ctx := context.Background()
	week := benchStart.Add(7 * 24 * time.Hour)
	day := benchStart.Add(3 * 24 * time.Hour)
	cases := []struct {
		name     string
		iv       string
		from, to time.Time
		tz       string
	}{
		{"1m-1day", "1m", day, day.Add(24 * time.Hour), "UTC"},
		{"1m-7days", "1m", benchStart, week, "UTC"},
		{"15m-7days", "15m", benchStart, week, "UTC"},
		{"1h-7days", "1h", benchStart, week, "UTC"},
		{"1h-7days-Kolkata", "1h", benchStart, week, "Asia/Kolkata"},
		{"1d-7days-Berlin", "1d", benchStart, week, "Europe/Berlin"},
	}
	for _, c := range cases {
		iv, _ := series.ParseInterval(c.iv)
		loc, _ := time.LoadLocation(c.tz)
		req := series.Request{Story: benchStory, From: c.from, To: c.to, Interval: iv, Loc: loc}
		b.Run("store/"+c.name, func(b *testing.B) {
			var total int64
			latencies(b, func() error {
				s, err := series.Compute(ctx, st, req)
				if err == nil {
					total = s.Total().Total
				}
				return err
			})
			if c.name == "1m-7days" && total != int64(benchRows) {
				b.Fatalf("the series counts %d reactions, want %d", total, benchRows)
			}
		})
	}
	d, err := dashboard.New(dashboard.Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	for _, c := range cases[:4] {
		q := url.Values{"story": {benchStory}, "from": {c.from.Format(time.RFC3339)}, "to": {c.to.Format(time.RFC3339)}, "interval": {c.iv}}
		b.Run("api/"+c.name, func(b *testing.B) {
			latencies(b, func() error {
				res, err := http.Get(srv.URL + "/api/v1/series?" + q.Encode())
				if err != nil {
					return err
				}
				defer res.Body.Close()
				if _, err := io.Copy(io.Discard, res.Body); err != nil {
					return err
				}
				if res.StatusCode != 200 {
					return fmt.Errorf("HTTP %d", res.StatusCode)
				}
				return nil
			})
		})
	}
	for _, c := range cases[:4] {
		step := int64(60)
		switch c.iv {
		case "15m":
			step = 900
		case "1h":
			step = 3600
		}
		b.Run("raw-sql/"+c.name, func(b *testing.B) {
			latencies(b, func() error {
				rows, err := st.Conn().Query(ctx, `SELECT intDiv(toUInt32(minute), ?) * ? AS t,
    sumIf(n, stance = 'support'), sumIf(n, stance = 'criticism'), sumIf(n, stance = 'neutral')
FROM reaction_minutes
WHERE story = ? AND minute >= toDateTime(?) AND minute < toDateTime(?) AND is_root = 0
GROUP BY t ORDER BY t`, step, step, benchStory, c.from.Unix(), c.to.Unix())
				if err != nil {
					return err
				}
				defer rows.Close()
				var t uint64
				var s, cr, ne int64
				for rows.Next() {
					if err := rows.Scan(&t, &s, &cr, &ne); err != nil {
						return err
					}
				}
				return rows.Err()
			})
		})
	}
}

// vmHWM reads the process's peak resident set size in bytes.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// Environment of the export child process.
const (
	exportDSNEnv    = "REACTIONS_BENCH_EXPORT_DSN"
	exportFormatEnv = "REACTIONS_BENCH_EXPORT_FORMAT"
)

// BenchmarkExport10M streams the 10 million reactions as CSV and as Parquet
// through the exporter, each in a fresh process (this test binary run as
// TestExportChild) so that the peak RSS is the export's alone, as when a
// researcher runs `reactions export`. It reports rows/s and the peak RSS
// (VmHWM), which must stay under 200 MB:
//
//	go test ./dashboard -run '^$' -bench Export10M -benchtime 1x
func BenchmarkExport10M(b *testing.B) {
	st := bench10M(b)
	u, err := url.Parse(os.Getenv(chtest.Env))
	if os.Getenv(chtest.Env) == "" || err != nil {
		srv, err := localch.Ensure(context.Background(), chtest.Dir(), localch.Options{Timeout: 80 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		u, _ = url.Parse(srv.DSN("default"))
	}
	u.Path = "/" + st.Database()
	for _, f := range []export.Format{export.CSV, export.Parquet} {
		b.Run(string(f), func(b *testing.B) {
			for range b.N {
				cmd := exec.Command(os.Args[0], "-test.run=^TestExportChild$", "-test.v", "-test.count=1")
				cmd.Env = append(os.Environ(), exportDSNEnv+"="+u.String(), exportFormatEnv+"="+string(f))
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("export child: %v\n%s", err, out)
				}
				var rows, bytes, peak int64
				var secs float64
				line := ""
				for _, l := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(l, "EXPORT ") {
						line = l
					}
				}
				if _, err := fmt.Sscanf(line, "EXPORT rows=%d bytes=%d seconds=%g peak_rss=%d", &rows, &bytes, &secs, &peak); err != nil {
					b.Fatalf("export child said %q: %v\n%s", line, err, out)
				}
				if rows != int64(benchRows) {
					b.Fatalf("exported %d rows, want %d", rows, benchRows)
				}
				b.ReportMetric(float64(rows)/secs, "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64(bytes)/(1<<20), "MB-written")
				b.ReportMetric(0, "ns/op")
				b.Logf("%s: %d rows, %.0f MB, in %.1fs, peak RSS %.0f MB", f, rows, float64(bytes)/(1<<20), secs, float64(peak)/(1<<20))
				if peak > 200<<20 {
					b.Errorf("peak RSS %.0f MB is over the 200 MB budget", float64(peak)/(1<<20))
				}
			}
		})
	}
}

// TestExportChild is BenchmarkExport10M's child process: it does nothing
// unless REACTIONS_BENCH_EXPORT_DSN is set.
func TestExportChild(t *testing.T) {
	dsn := os.Getenv(exportDSNEnv)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &export.Exporter{Store: st, Version: "bench"}
	cw := &countWriter{}
	start := time.Now()
	m, err := e.Reactions(ctx, export.Request{Story: benchStory, Format: export.Format(os.Getenv(exportFormatEnv))}, cw)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("EXPORT rows=%d bytes=%d seconds=%g peak_rss=%d\n", m.RowCount, cw.n, time.Since(start).Seconds(), vmHWM())
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
