// Command benchtable reads `go test -bench` output on standard input and
// prints the project's benchmark table: each figure beside its reference,
// measured in the same run, with the ratio and peak memory.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// results maps a benchmark name (without the -N CPU suffix) to its metrics.
type results map[string]map[string]float64

var cpuSuffix = regexp.MustCompile(`-\d+$`)

func parse(sc *bufio.Scanner) results {
	res := results{}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := cpuSuffix.ReplaceAllString(f[0], "")
		m := res[name]
		if m == nil {
			m = map[string]float64{}
			res[name] = m
		}
		// f[1] is the iteration count; then value/unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			m[f[i+1]] = v
		}
	}
	return res
}

// row is one line of the table.
type row struct {
	what, unit     string
	ours, ref      func(results) (float64, bool)
	refName        string
	higherIsBetter bool
	peak           func(results) (float64, bool)
	target         string
}

func metric(bench, unit string) func(results) (float64, bool) {
	return func(r results) (float64, bool) {
		m, ok := r[bench]
		if !ok {
			return 0, false
		}
		v, ok := m[unit]
		return v, ok
	}
}

func fmtNum(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func main() {
	flag.Parse()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	r := parse(sc)

	rows := []row{
		{what: "crawl the web replica (crawler vs plain net/http+goquery)", unit: "pages/s",
			ours: metric("BenchmarkCrawlVsPlain", "crawl-pages/s"), ref: metric("BenchmarkCrawlVsPlain", "plain-pages/s"),
			refName: "net/http+goquery", higherIsBetter: true, peak: metric("BenchmarkCrawlMemory100k/crawler", "peak-RSS-MiB"), target: "≥ 0.85"},
		{what: "ingest: HTTP NDJSON → classify → dedup → ClickHouse (vs raw clickhouse-go batch insert), median of 3 rounds", unit: "rows/s",
			ours: metric("BenchmarkIngest", "e2e_rows/s"), ref: metric("BenchmarkIngest", "raw_rows/s"),
			refName: "raw PrepareBatch", higherIsBetter: true, peak: metric("BenchmarkIngest", "peak_rss_MiB"), target: "≥ 0.60"},
		{what: "ingest, the same run, vs raw insert into the same schema (reactions + its two views)", unit: "rows/s",
			ours: metric("BenchmarkIngest", "e2e_rows/s"), ref: metric("BenchmarkIngest", "raw_schema_rows/s"),
			refName: "raw PrepareBatch into reactions", higherIsBetter: true},
		{what: "series query, 10M reactions, 1m buckets over 7 days, p50 (vs hand-written SQL)", unit: "ms",
			ours: metric("BenchmarkSeries10M/store/1m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1m-7days", "p50-ms"),
			refName: "raw SQL", target: "p50 ≤ 100 ms"},
		{what: "series query, 10M reactions, 1m buckets over 7 days, p95", unit: "ms",
			ours: metric("BenchmarkSeries10M/store/1m-7days", "p95-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1m-7days", "p95-ms"),
			refName: "raw SQL"},
		{what: "series query, 15m buckets over 7 days, p50", unit: "ms",
			ours: metric("BenchmarkSeries10M/store/15m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/15m-7days", "p50-ms"),
			refName: "raw SQL"},
		{what: "series query, 1h buckets over 7 days, p50", unit: "ms",
			ours: metric("BenchmarkSeries10M/store/1h-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1h-7days", "p50-ms"),
			refName: "raw SQL"},
		{what: "series API over HTTP (JSON), 1m buckets over 7 days, p50", unit: "ms",
			ours: metric("BenchmarkSeries10M/api/1m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1m-7days", "p50-ms"),
			refName: "raw SQL"},
		{what: "series with correction, 10M reactions, 15m buckets over 7 days, p50, memoised (vs hand-written SQL, uncorrected)", unit: "ms",
			ours: metric("BenchmarkSeriesCorrected10M/warm/15m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/15m-7days", "p50-ms"),
			refName: "raw SQL", target: "p50 ≤ 100 ms"},
		{what: "series with correction, 15m buckets over 7 days, p50, every bucket corrected afresh", unit: "ms",
			ours: metric("BenchmarkSeriesCorrected10M/cold/15m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/15m-7days", "p50-ms"),
			refName: "raw SQL"},
		{what: "series with correction, 1m buckets over 7 days, p50, memoised", unit: "ms",
			ours: metric("BenchmarkSeriesCorrected10M/warm/1m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1m-7days", "p50-ms"),
			refName: "raw SQL", target: "p50 ≤ 100 ms"},
		{what: "series with correction, 1m buckets over 7 days, p50, every bucket corrected afresh", unit: "ms",
			ours: metric("BenchmarkSeriesCorrected10M/cold/1m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1m-7days", "p50-ms"),
			refName: "raw SQL"},
		{what: "series API with correction over HTTP (JSON), 1m buckets over 7 days, p50, memoised", unit: "ms",
			ours: metric("BenchmarkSeriesCorrected10M/api/1m-7days", "p50-ms"), ref: metric("BenchmarkSeries10M/raw-sql/1m-7days", "p50-ms"),
			refName: "raw SQL"},
		{what: "code sample: draw and store a stratified sample of 400 from 10M reactions", unit: "s",
			ours: metric("BenchmarkCodeSample10M", "s/sample")},
		{what: "code report on 10M reactions (agreement, validation, corrector, estimate)", unit: "s",
			ours: metric("BenchmarkCodeReport10M", "s/report")},
		{what: "export 10M reactions as CSV (streaming)", unit: "rows/s",
			ours: metric("BenchmarkExport10M/csv", "rows/s"), peak: metric("BenchmarkExport10M/csv", "peak-RSS-MB"), target: "RSS < 200 MB", higherIsBetter: true},
		{what: "export 10M reactions as Parquet (streaming)", unit: "rows/s",
			ours: metric("BenchmarkExport10M/parquet", "rows/s"), peak: metric("BenchmarkExport10M/parquet", "peak-RSS-MB"), target: "RSS < 200 MB", higherIsBetter: true},
		{what: "ingest into the 2×2 cluster (vs 1 server), 10M reactions through the writer, same run, 2 shared cores", unit: "rows/s",
			ours: metric("BenchmarkClusterVsServer10M/ingest/cluster", "rows/s"), ref: metric("BenchmarkClusterVsServer10M/ingest/server", "rows/s"),
			refName: "1 server", higherIsBetter: true},
		{what: "reactions per ClickHouse CPU second, 2×2 cluster (vs 1 server)", unit: "rows/s",
			ours: metric("BenchmarkClusterVsServer10M/ingest/cluster", "rows/server-cpu-s"), ref: metric("BenchmarkClusterVsServer10M/ingest/server", "rows/server-cpu-s"),
			refName: "1 server", higherIsBetter: true},
		{what: "series of one story on the 2×2 cluster (vs 1 server), 1h buckets over 7 days, p50", unit: "ms",
			ours: metric("BenchmarkClusterVsServer10M/series-1h-7days/cluster", "p50-ms"), ref: metric("BenchmarkClusterVsServer10M/series-1h-7days/server", "p50-ms"),
			refName: "1 server"},
		{what: "stance classifier, one core", unit: "texts/s",
			ours: metric("BenchmarkClassify", "texts/s"), higherIsBetter: true, target: "≥ 50,000"},
	}

	host, _ := os.Hostname()
	fmt.Printf("reactions benchmarks, %s, %s/%s, %d cores, %s RAM (%s)\n\n", time.Now().UTC().Format("2006-01-02"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), memTotal(), host)
	fmt.Println("| benchmark | unit | reactions | reference | reference is | ratio | peak RSS (MiB) | target |")
	fmt.Println("|---|---|---:|---:|---|---:|---:|---|")
	for _, rw := range rows {
		o, ook := rw.ours(r)
		var ref float64
		rok := false
		if rw.ref != nil {
			ref, rok = rw.ref(r)
		}
		ratio := "–"
		if ook && rok && ref > 0 && o > 0 {
			if rw.higherIsBetter {
				ratio = fmtNum(o/ref, true)
			} else {
				ratio = fmtNum(ref/o, true) // speed ratio: reference time / our time
			}
		}
		peak := "–"
		if rw.peak != nil {
			if v, ok := rw.peak(r); ok {
				peak = fmtNum(v, true)
			}
		}
		refName := rw.refName
		if refName == "" {
			refName = "–"
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", rw.what, rw.unit, fmtNum(o, ook), fmtNum(ref, rok), refName, ratio, peak, rw.target)
	}
	fmt.Println("\nratio: ours ÷ reference for rates, reference ÷ ours for latencies (1.00 = as fast as the reference).")
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "MemTotal:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return fmt.Sprintf("%.0f GiB", kb/(1<<20))
			}
		}
	}
	return "?"
}
