package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest/chcluster"
	"github.com/reactions-research/reactions/store/localch"
)

// BenchmarkClusterVsServer10M writes 10 million reactions (16 stories over
// 7 days) through the writer's path (store.Write: exact dedup look-ups,
// then an INSERT, 25,000 reactions a call), once
// into one ClickHouse server and once into the local cluster of 2 shards ×
// 2 replicas, on the same machine in the same run, and then times the
// chart's series query of one story (7 days at 1 hour, and at 1 minute).
// It reports ingest rows/s and series p50/p95 in ms. The 5 servers and
// ZooKeeper share the machine's cores with the writer: on 2 cores the
// cluster shows its overhead (replication, Distributed fan-out, ZooKeeper),
// not the scale it gives with a core set per server (docs/scaling.md).
//
//	go test ./store -run '^$' -bench ClusterVsServer10M -benchtime 1x -timeout 60m
//
// REACTIONS_BENCH_ROWS sets another number of reactions.
func BenchmarkClusterVsServer10M(b *testing.B) {
	rows := 10_000_000
	if v := os.Getenv("REACTIONS_BENCH_ROWS"); v != "" {
		var err error
		if rows, err = strconv.Atoi(v); err != nil || rows <= 0 {
			b.Fatalf("REACTIONS_BENCH_ROWS=%q", v)
		}
	}
	ctx := context.Background()
	for _, target := range []string{"server", "cluster"} {
		// Servers of the benchmark's own, whose CPU time it counts.
		var dsn string
		var pids []int
		if target == "server" {
			dir := b.TempDir()
			srv, err := localch.Ensure(ctx, dir, localch.Options{Timeout: 80 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { localch.Stop(dir) })
			dsn, pids = srv.DSN("bench"), []int{srv.PID}
		} else {
			c, err := chcluster.Start(ctx, chcluster.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Stop)
			dsn, pids = c.DSN("bench"), c.PIDs()
		}
		s, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		b.Run("ingest/"+target, func(b *testing.B) {
			goCPU, chCPU := selfCPU(), serversCPU(pids)
			start := time.Now()
			benchWrite(b, s, rows)
			secs := time.Since(start).Seconds()
			goCPU, chCPU = selfCPU()-goCPU, serversCPU(pids)-chCPU
			b.ReportMetric(float64(rows)/secs, "rows/s")
			b.ReportMetric(float64(rows)/goCPU, "rows/writer-cpu-s")
			b.ReportMetric(float64(rows)/chCPU, "rows/server-cpu-s")
			b.ReportMetric(0, "ns/op")
		})
		t0 := benchT0
		for _, q := range []struct {
			name string
			step int64
		}{{"1h-7days", 3600}, {"1m-7days", 60}} {
			b.Run("series-"+q.name+"/"+target, func(b *testing.B) {
				var ds []time.Duration
				var total int64
				for range 30 {
					start := time.Now()
					cs, err := s.SeriesCounts(ctx, store.SeriesQuery{Story: benchStoryID(0), From: t0, To: t0.Add(7 * 24 * time.Hour), Step: q.step})
					if err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(start))
					total = 0
					for _, c := range cs {
						total += c.Support + c.Criticism + c.Neutral
					}
				}
				if want := int64(rowsOfStory(rows, 0)); total != want {
					b.Fatalf("the series counts %d reactions of the story, want %d", total, want)
				}
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds())/1000, "p95-ms")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// selfCPU returns the CPU seconds this process used.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// serversCPU returns the CPU seconds the processes used (Linux /proc).
func serversCPU(pids []int) float64 {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
		st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
		ticks += ut + st
	}
	return float64(ticks) / 100 // USER_HZ
}

const benchStories = 16

var benchT0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func benchStoryID(i int) string { return fmt.Sprintf("bench-story-%02d", i) }

// rowsOfStory is how many of rows reactions story i gets (reaction k goes
// to story k mod benchStories).
func rowsOfStory(rows, i int) int {
	n := rows / benchStories
	if i < rows%benchStories {
		n++
	}
	return n
}

// benchWrite writes rows new reactions in batches of 25,000 as the
// aggregator's writer does.
func benchWrite(b *testing.B, s *store.Store, rows int) {
	const batch = 25_000
	stances := []reaction.Stance{reaction.Support, reaction.Support, reaction.Criticism, reaction.Neutral}
	span := int64(7 * 24 * 3600)
	rs := make([]reaction.Reaction, batch)
	for next := 0; next < rows; next += batch {
		n := min(batch, rows-next)
		for i := range rs[:n] {
			k := next + i
			p := reaction.Platforms[k%len(reaction.Platforms)]
			rs[i] = reaction.Reaction{
				Story: benchStoryID(k % benchStories), Platform: p, ID: reaction.MakeID(p, strconv.Itoa(k)),
				CreatedAt: benchT0.Add(time.Duration(int64(k)*7919%span) * time.Second), FirstSeen: benchT0,
				Text: "a reaction of moderate length, as most are: about a hundred bytes of text here", Lang: "en",
				Likes: int64(k % 50), Stance: stances[k%len(stances)], StanceScore: 0.8, Classifier: "bench-1",
			}
		}
		if _, err := s.Write(context.Background(), rs[:n]); err != nil {
			b.Fatal(err)
		}
	}
}
