package aggregator_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// BenchmarkIngest measures, in one run on one ClickHouse server:
//
//   - raw: the same rows inserted with clickhouse-go's PrepareBatch into a
//     plain MergeTree table with the same columns, 10,000 rows per INSERT;
//   - e2e: the same reactions through an aggregator process's HTTP API
//     (gzip NDJSON POSTs of 5,000 lines from 2 concurrent senders: parse,
//     check, classify, dedup lookup, write with its materialized views),
//     until every one is acknowledged and stored;
//
// and reports both rates, their ratio (target ≥ 0.6), the same against a
// raw insert into the reactions table itself (whose two materialized views
// write every row twice more), the aggregator process's peak RSS (VmHWM) and
// its CPU time per row. Each iteration is one round of all three; the
// reported figures are medians over the rounds, and each round's figures,
// with the CPU time per row of the client, the aggregator and ClickHouse,
// are logged. Run three rounds:
//
//	go test -run '^$' -bench BenchmarkIngest -benchtime 3x ./aggregator/
//
// BENCH_ROWS sets the number of reactions (default 200,000).
func BenchmarkIngest(b *testing.B) {
	n := 200000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	const perPost, senders, rawBatch = 5000, 2, 10000
	ctx := context.Background()
	dsn := chtest.DSN(b)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rs := benchReactions(n)

	var rounds []ingestRound
	for i := 0; i < b.N; i++ {
		// The raw inserts must not share the machine with the merges of
		// the round before (or of anything else on the server).
		waitMerges(b, st)
		// Raw clickhouse-go batch inserts into a plain table.
		table := fmt.Sprintf("raw_reactions_%d", i)
		if err := st.Conn().Exec(ctx, "CREATE TABLE "+table+" AS reactions ENGINE = MergeTree ORDER BY (story, id)"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		cpu0 := sampleCPU(os.Getpid())
		raw := rawInsert(b, st, table, rs, fmt.Sprintf("raw-%d", i), rawBatch)
		rawCPU := sampleCPU(os.Getpid()).since(cpu0)
		b.StopTimer()
		waitMerges(b, st)
		// For context: the same into the reactions table, whose two
		// materialized views write every row twice more.
		cpu0 = sampleCPU(os.Getpid())
		rawSchema := rawInsert(b, st, "reactions", rs, fmt.Sprintf("raw-%d", i), rawBatch)
		rawSchemaCPU := sampleCPU(os.Getpid()).since(cpu0)
		waitMerges(b, st)

		// End to end through an aggregator process.
		storyID := fmt.Sprintf("bench-%d", i)
		bodies := make(chan []byte, n/perPost+1)
		for off := 0; off < n; off += perPost {
			part := append([]reaction.Reaction(nil), rs[off:min(off+perPost, n)]...)
			for k := range part {
				part[k].Story = storyID
			}
			bodies <- gzipNDJSON(b, part)
		}
		close(bodies)
		var env []string
		if v := os.Getenv("BENCH_BATCH_SIZE"); v != "" {
			env = append(env, "HELPER_BATCH_SIZE="+v)
		}
		if prof := os.Getenv("BENCH_CPUPROFILE"); prof != "" {
			env = append(env, "HELPER_CPUPROFILE="+prof)
		}
		p := startHelper(b, dsn, b.TempDir(), env...)
		s := testStory(b)
		s.ID = storyID
		if code, body := doHTTP(b, p.url, "", http.MethodPut, "/api/v1/stories/"+storyID, "application/json", "", mustJSON(b, s)); code != http.StatusOK {
			b.Fatalf("PUT story: %d %s", code, body)
		}
		b.StartTimer()
		cpu0 = sampleCPU(p.cmd.Process.Pid)
		t0 := time.Now()
		var wg sync.WaitGroup
		for s := 0; s < senders; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range bodies {
					if code, ans := doHTTP(b, p.url, "", http.MethodPost, "/api/v1/reactions", "application/x-ndjson", "gzip", body); code != http.StatusOK {
						b.Errorf("POST: %d %s", code, ans)
						return
					}
				}
			}()
		}
		wg.Wait()
		acked := time.Since(t0)
		// Acknowledged is not yet stored when it went through the spool.
		for healthOf(b, p.url).SpoolRecords > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		e2e := float64(n) / time.Since(t0).Seconds()
		e2eCPU := sampleCPU(p.cmd.Process.Pid).since(cpu0)
		b.StopTimer()
		peak := vmHWM(b, p.cmd.Process.Pid)
		var stored uint64
		if err := st.Conn().QueryRow(ctx, `SELECT count() FROM (SELECT id FROM reactions WHERE story = ?
GROUP BY id HAVING sum(sign) > 0)`, storyID).Scan(&stored); err != nil || stored != uint64(n) {
			b.Fatalf("stored %d of %d (%v)", stored, n, err)
		}
		var writes uint64
		var writeSecs float64
		for _, s := range scrape(b, p.url+"/metrics", "reactions_aggregator_flush_duration_seconds") {
			writes, writeSecs = s.count, s.value
		}
		p.stop()
		perRow := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
		rounds = append(rounds, ingestRound{raw: raw, rawSchema: rawSchema, e2e: e2e, peakMiB: float64(peak) / (1 << 20),
			aggCPU: perRow(e2eCPU.proc)})
		b.Logf("round %d, %d rows: raw clickhouse-go %.0f rows/s, into the reactions table %.0f rows/s, end-to-end %.0f rows/s "+
			"(ratios %.2f and %.2f), aggregator peak RSS %.0f MiB", i+1, n, raw, rawSchema, e2e, e2e/raw, e2e/rawSchema, float64(peak)/(1<<20))
		b.Logf("  CPU per row (%d cores): raw: client %.1f µs, ClickHouse %.1f µs; raw into the reactions table: client %.1f µs, "+
			"ClickHouse %.1f µs; end-to-end: aggregator %.1f µs, ClickHouse %.1f µs", runtime.NumCPU(),
			perRow(rawCPU.proc), perRow(rawCPU.server), perRow(rawSchemaCPU.proc), perRow(rawSchemaCPU.server),
			perRow(e2eCPU.proc), perRow(e2eCPU.server))
		if writes > 0 {
			b.Logf("  aggregator: %d writes of %.0f reactions on average, %.0f ms each; the last answer after %.2f s, the last write done after %.2f s",
				writes, float64(n)/float64(writes), 1000*writeSecs/float64(writes), acked.Seconds(), float64(n)/e2e)
		}
		b.StartTimer()
	}
	b.StopTimer()
	// Medians over the rounds: one round swings with the machine's other
	// load and ClickHouse's background merges.
	med := func(f func(r ingestRound) float64) float64 {
		v := make([]float64, len(rounds))
		for k, r := range rounds {
			v[k] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	raw, rawSchema, e2e := med(func(r ingestRound) float64 { return r.raw }), med(func(r ingestRound) float64 { return r.rawSchema }),
		med(func(r ingestRound) float64 { return r.e2e })
	ratio := med(func(r ingestRound) float64 { return r.e2e / r.raw })
	ratioSchema := med(func(r ingestRound) float64 { return r.e2e / r.rawSchema })
	peak := med(func(r ingestRound) float64 { return r.peakMiB })
	b.ReportMetric(raw, "raw_rows/s")
	b.ReportMetric(e2e, "e2e_rows/s")
	b.ReportMetric(ratio, "e2e/raw")
	b.ReportMetric(rawSchema, "raw_schema_rows/s")
	b.ReportMetric(ratioSchema, "e2e/raw_schema")
	b.ReportMetric(peak, "peak_rss_MiB")
	b.ReportMetric(med(func(r ingestRound) float64 { return r.aggCPU }), "aggregator_cpu_µs/row")
	b.Logf("median of %d rounds: raw clickhouse-go %.0f rows/s, end-to-end %.0f rows/s, ratio %.2f (target ≥ 0.60); "+
		"raw into the reactions table %.0f rows/s, ratio %.2f; aggregator peak RSS %.0f MiB",
		len(rounds), raw, e2e, ratio, rawSchema, ratioSchema, peak)
}

// ingestRound is what one round of BenchmarkIngest measured.
type ingestRound struct {
	raw, rawSchema, e2e float64 // rows/s
	peakMiB             float64
	aggCPU              float64 // aggregator CPU µs per row
}

// rawInsert inserts rs with PrepareBatch, batch rows per INSERT, under the
// story id, and returns rows/s.
func rawInsert(b *testing.B, st *store.Store, table string, rs []reaction.Reaction, storyID string, batch int) float64 {
	ctx := context.Background()
	t0 := time.Now()
	for off := 0; off < len(rs); off += batch {
		bt, err := st.Conn().PrepareBatch(ctx, "INSERT INTO "+table+" (story, platform, id, parent_id, root_id, url, "+
			"created_at, first_seen, author, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign)")
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs[off:min(off+batch, len(rs))] {
			if err := bt.Append(storyID, string(r.Platform), r.ID, r.ParentID, r.RootID, r.URL, r.CreatedAt, r.FirstSeen,
				r.Author, r.Text, r.Lang, r.Likes, r.Replies, uint8(0), "neutral", 0.5, "raw", uint64(1), uint64(1), int8(1)); err != nil {
				b.Fatal(err)
			}
		}
		if err := bt.Send(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(rs)) / time.Since(t0).Seconds()
}

// waitMerges waits (up to 60 s) until the server has no merge running, so
// that the background work of one phase does not slow the next one.
func waitMerges(t testing.TB, st *store.Store) {
	idle := 0 // consecutive polls without a merge: the next may start a moment later
	for i := 0; i < 600 && idle < 3; i++ {
		var n uint64
		if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM system.merges").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			idle++
		} else {
			idle = 0
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// benchReactions returns n reactions with texts of realistic length (one
// to three sentences).
func benchReactions(n int) []reaction.Reaction {
	rs := makeReactions(n)
	for i := range rs {
		rs[i].Text = fmt.Sprintf("%s. %s #%d", texts[i%len(texts)], texts[(i/len(texts))%len(texts)], i)
	}
	return rs
}

// cpuSample is the CPU time used so far by a process and by the local
// ClickHouse server.
type cpuSample struct{ proc, server time.Duration }

func (c cpuSample) since(c0 cpuSample) cpuSample {
	return cpuSample{c.proc - c0.proc, c.server - c0.server}
}

// sampleCPU reads the CPU time of pid and of every local clickhouse-server
// process (zero when the server is not on this machine).
func sampleCPU(pid int) cpuSample {
	c := cpuSample{proc: procCPU(pid)}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		other, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + d.Name() + "/comm"); err == nil && strings.HasPrefix(string(comm), "clickhouse") {
			c.server += procCPU(other)
		}
	}
	return c
}

// procCPU returns the user and system CPU time of a process (its threads
// included), from /proc/pid/stat, assuming the usual 100 clock ticks per
// second.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// vmHWM returns a process's peak resident set size in bytes.
func vmHWM(t testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/pid/status")
	return 0
}
