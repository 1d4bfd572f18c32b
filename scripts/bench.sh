#!/usr/bin/env bash
# make bench: runs the project's benchmarks (each with its reference in the
# same run) and prints one table. Raw output is kept in bench.out.
# It takes about 10–15 minutes on 2 cores (the 10M-reaction data sets
# dominate); BENCH_QUICK=1 skips the 10M ones.
set -uo pipefail
cd "$(dirname "$0")/.."
out=bench.out
: > "$out"
run() { echo "bench: $*" >&2; go test -run '^$' "$@" 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok|FAIL|---)' >&2; }

run -bench 'BenchmarkClassify$' -cpu 1 -benchtime 2s ./aggregator/stance
run -bench 'BenchmarkCrawlVsPlain$' -benchtime 10x ./crawler/source/web
run -bench 'BenchmarkCrawlMemory100k/crawler' -benchtime 1x ./crawler/source/web
run -bench 'BenchmarkIngest$' -benchtime 3x -timeout 30m ./aggregator
if [ -z "${BENCH_QUICK:-}" ]; then
  # One process: the 10M-reaction data set is loaded once for all. The
  # hand-coding ones come last: they add a coded sample to the story.
  run -bench 'BenchmarkSeries10M|BenchmarkExport10M|BenchmarkCodeSample10M|BenchmarkCodeReport10M|BenchmarkSeriesCorrected10M' -benchtime 1x -timeout 90m ./dashboard
  # One server against the local 2x2 cluster, 10M reactions each (docs/scaling.md).
  run -bench 'BenchmarkClusterVsServer10M' -benchtime 1x -timeout 90m ./store
fi
go run ./scripts/stopch "${TMPDIR:-/tmp}/reactions-test-clickhouse-$(id -u)" >/dev/null 2>&1 || true
echo
go run ./scripts/benchtable < "$out"
