#!/usr/bin/env bash
# Two builds of zisk-logs side by side on scripts/bench.sh's zisk-logs queries: for a change that
# must not slow anything down (a restructuring, a new stage), "before" and "after" measured in one
# run, taking turns, so that the machine's drift falls on both alike.
#
#   scripts/bench-ab.sh BEFORE_BINARY AFTER_BINARY
#
# Corpora are scripts/bench.sh's (BENCH_DIR, default ${TMPDIR:-/tmp}/zisk-logs-bench): run it once
# first, or set BENCH_SIZE/BENCH_CLUSTER_SIZE smaller and let this script generate them the same
# way. BENCH_RUNS rounds (default 5), each running every command once after one warm-up round.
# Prints one Markdown row per query: both medians and after ÷ before (> 1: after is slower).
# Needs: hyperfine, jq (Debian packages of those names).
set -euo pipefail

[[ $# -eq 2 ]] || {
    echo "usage: $0 BEFORE_BINARY AFTER_BINARY" >&2
    exit 2
}
A=$(realpath "$1")
B=$(realpath "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/zisk-logs-bench}
SIZE=${BENCH_SIZE:-1G}
CLUSTER_SIZE=${BENCH_CLUSTER_SIZE:-2G}
RUNS=${BENCH_RUNS:-5}
FG=$ROOT/tools/fixture-gen/target/release/fixture-gen
OUT=$DIR/ab
for tool in hyperfine jq; do
    command -v "$tool" >/dev/null || {
        echo "bench-ab: $tool is missing (apt-get install hyperfine jq)" >&2
        exit 2
    }
done

mkdir -p "$DIR" "$OUT"
rm -f "$OUT"/*.json
if [[ ! -x $FG ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/tools/fixture-gen/Cargo.toml"
fi
for fmt in json zisk full; do
    F=$DIR/$fmt.log
    if [[ ! -s $F || ! -s $F.meta ]]; then
        echo "== generating $SIZE of $fmt into $F" >&2
        "$FG" corpus --format "$fmt" --bytes "$SIZE" --out "$F" | jq -c --arg s "$SIZE" '. + {size: $s}' >"$F.meta"
    fi
done
CL=$DIR/cluster
if [[ ! -s $CL.meta ]]; then
    echo "== generating a $CLUSTER_SIZE cluster into $CL" >&2
    "$FG" corpus --cluster --workers 64 --bytes "$CLUSTER_SIZE" --out "$CL" |
        jq -c --arg s "$CLUSTER_SIZE" '. + {size: $s}' >"$CL.meta"
fi

# One query: its name, how the table shows it, and the arguments after the binary.
ab() {
    local name=$1 shown=$2
    shift 2
    local args="$*"
    echo "== $name" >&2
    for ((round = 1; round <= RUNS; round++)); do
        hyperfine -N -i --output=pipe --warmup "$((round == 1 ? 1 : 0))" --runs 1 --style none \
            --export-json "$OUT/$name.$round.json" -n before "$A $args" -n after "$B $args" >/dev/null
    done
    jq -rs --arg name "$name" --arg q "$shown" '
        [map(.results) | transpose[] | (map(.times) | add | sort) as $t
            | ($t | length) as $n
            | if $n % 2 == 1 then $t[($n / 2) | floor] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end]
        | "| \($name) | `\($q)` | \(.[0] * 1000 | round) ms | \(.[1] * 1000 | round) ms | \((.[1] / .[0] * 100 | round) / 100)× |"' \
        "$OUT/$name".*.json
}

echo "| query | arguments | before | after | after ÷ before |"
echo "|---|---|---|---|---|"
for fmt in json zisk full; do
    F=$DIR/$fmt.log
    JOB=$(jq -r .job_id "$F.meta")
    for out in raw json; do
        ab "$fmt.job.$out" "tail --job <uuid> -o $out" tail --job "$JOB" -o "$out" "$F"
        ab "$fmt.phase.$out" "tail --phase Prove -o $out" tail --phase Prove -o "$out" "$F"
        ab "$fmt.level.$out" "tail --level warn -o $out" tail --level warn -o "$out" "$F"
    done
done
CJOB=$(jq -r .job_id "$CL.meta")
ab cluster.tail "tail --job <uuid> -o raw <65 files>" tail --job "$CJOB" -o raw "$CL"
# shellcheck disable=SC2046 # one --worker per file
ab cluster.job "job <uuid> -o raw" --coordinator "$CL/coordinator.log" $(printf -- '--worker %s ' "$CL"/worker-*.log) job "$CJOB" -o raw
