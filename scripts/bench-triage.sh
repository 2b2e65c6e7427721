#!/usr/bin/env bash
# Benchmark `zisk-logs triage` over a day of 5 s scrapes and its logs (issue 23): a generated
# 16-worker cluster of about 25 hours (ZisK rank format), its coordinator_* series derived by
# `zisk-logs metrics -o openmetrics`, backfilled with promtool and served by Debian's prometheus
# on a loopback port; then triage over the last 24 hours with the guide's five rules, once on
# Prometheus (query_range split under the 11,000-point limit, for: applied) and once on the
# logs alone. Prints the medians (hyperfine). Not a test: run it by hand.
#
# Environment (optional): BENCH_DIR (default ${TMPDIR:-/tmp}/zisk-logs-bench-triage),
# BENCH_TRIAGE_SIZE (default 400M), BENCH_RUNS (default 5), ZL (a zisk-logs binary to time instead
# of building this checkout's), BENCH_BASE (another build, timed on the same queries beside it).
# Needs: hyperfine, prometheus, promtool, curl (Debian packages of those names).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/zisk-logs-bench-triage}
SIZE=${BENCH_TRIAGE_SIZE:-400M}
RUNS=${BENCH_RUNS:-5}
ZL=${ZL:-}
BASE=${BENCH_BASE:-}
FG=$ROOT/tools/fixture-gen/target/release/fixture-gen

for tool in hyperfine prometheus promtool curl; do
    command -v "$tool" >/dev/null || {
        echo "bench-triage: $tool is missing (apt-get install hyperfine prometheus curl)" >&2
        exit 2
    }
done

echo "== building (release)" >&2
if [[ -z $ZL ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    ZL=$ROOT/target/release/zisk-logs
fi
cargo build --release --quiet --manifest-path "$ROOT/tools/fixture-gen/Cargo.toml"

mkdir -p "$DIR"
CL=$DIR/cluster
if [[ ! -s $DIR/cluster.meta ]] || [[ $(cat "$DIR/cluster.size") != "$SIZE" ]]; then
    echo "== generating a $SIZE cluster of 16 workers" >&2
    rm -rf "$CL"
    "$FG" corpus --cluster --workers 16 --format zisk --bytes "$SIZE" --out "$CL" >"$DIR/cluster.meta"
    echo "$SIZE" >"$DIR/cluster.size"
fi
SOURCES=(--coordinator "$CL/coordinator.log")
for w in "$CL"/worker-*.log; do SOURCES+=(--worker "$w"); done

# The day: the last 24 hours of the coordinator's log.
last=$(tail -n 1 "$CL/coordinator.log" | cut -c1-19)
UNTIL=$(date -u -d "$last" +%Y-%m-%dT%H:%M:%SZ)
SINCE=$(date -u -d "$last 24 hours ago" +%Y-%m-%dT%H:%M:%SZ)

echo "== deriving and backfilling the coordinator_* series" >&2
/usr/bin/time -f "metrics -o openmetrics: %e s, %M KiB" \
    "$ZL" "${SOURCES[@]}" metrics -o openmetrics --since "$SINCE" --until "$UNTIL" >"$DIR/history.om"
rm -rf "$DIR/data"
promtool tsdb create-blocks-from openmetrics "$DIR/history.om" "$DIR/data" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global: {scrape_interval: 5s}\n' >"$DIR/prometheus.yml"
prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$PORT" >"$DIR/prometheus.log" 2>&1 &
PROM_PID=$!
trap 'kill $PROM_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1 && break
    sleep 0.2
done

samples=$(grep -vc '^#' "$DIR/history.om" || true)
lines=$(cat "$CL"/*.log | wc -l)
echo "== $SINCE → $UNTIL: $lines log lines in $(ls "$CL" | wc -l) files, $samples samples" >&2
queries=()
for build in ${BASE:+base} this; do
    bin=$ZL
    [[ $build == base ]] && bin=$BASE
    queries+=(-n "$build: triage --prometheus (24 h, 5 rules)"
        "$bin ${SOURCES[*]} triage --prometheus http://127.0.0.1:$PORT --since $SINCE --until $UNTIL -o json >/dev/null"
        -n "$build: triage on the logs (24 h, 5 rules)"
        "$bin ${SOURCES[*]} triage --since $SINCE --until $UNTIL -o json >/dev/null")
done
hyperfine --ignore-failure --runs "$RUNS" --warmup 1 --export-markdown "$DIR/triage.md" "${queries[@]}"
cat "$DIR/triage.md"
