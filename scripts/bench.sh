#!/usr/bin/env bash
# Benchmark zisk-logs against rg, GNU grep, jq (and hl when installed) on generated corpora
# (issue 6). One command: `scripts/bench.sh`. Prints a Markdown table of medians and ratios.
#
# Environment (all optional):
#   BENCH_DIR           scratch folder for corpora and results (default ${TMPDIR:-/tmp}/zisk-logs-bench);
#                       corpora are reused when present
#   BENCH_SIZE          size of each single-file corpus (default 1G)
#   BENCH_CLUSTER_SIZE  size of the 65-file cluster (default 2G)
#   BENCH_RUNS          timed runs per command after one warm-up (default 5), taken in turns
#                       with the other commands of the query; BENCH_SLOW_RUNS
#                       for jq (default 1, no warm-up: one run takes a minute on 1 GiB)
#   BENCH_MEM_COPIES    how many copies of the JSON corpus the large pipe test reads (default 4)
#   BENCH_MEM_ALL       set to also measure peak RSS of an unfiltered `tail -o raw` (slow)
# Needs: hyperfine, rg, grep, jq, /usr/bin/time (Debian: apt-get install hyperfine ripgrep jq time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/zisk-logs-bench}
SIZE=${BENCH_SIZE:-1G}
CLUSTER_SIZE=${BENCH_CLUSTER_SIZE:-2G}
RUNS=${BENCH_RUNS:-5}
SLOW_RUNS=${BENCH_SLOW_RUNS:-1}
COPIES=${BENCH_MEM_COPIES:-4}
RESULTS=$DIR/results
ZL=$ROOT/target/release/zisk-logs
FG=$ROOT/tools/fixture-gen/target/release/fixture-gen

for tool in hyperfine rg grep jq /usr/bin/time python3; do
    command -v "$tool" >/dev/null || {
        echo "bench: $tool is missing (apt-get install hyperfine ripgrep jq time python3)" >&2
        exit 2
    }
done
# hl (pamburus/hl, a fast structured log viewer) is not packaged in Debian: compared when
# given as HL=/path/to/hl, else when on PATH. Another crate is also called hl: only one that
# knows --level and --query counts.
HL=${HL:-$(command -v hl || true)}
# The help is read whole first: `grep -q` leaving a pipe early fails it under pipefail.
HL_HELP=$([[ -n $HL ]] && "$HL" --help 2>&1 || true)
if [[ -n $HL ]] && ! { grep -q -- '--level' <<<"$HL_HELP" && grep -q -- '--query' <<<"$HL_HELP"; }; then
    echo "bench: $HL is not pamburus/hl (no --level/--query): its column says n/a" >&2
    HL=
fi
if [[ -n $HL ]]; then echo "== hl: $HL ($("$HL" --version 2>&1 | head -n 1))" >&2; fi

echo "== building (release)" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
cargo build --release --quiet --manifest-path "$ROOT/tools/fixture-gen/Cargo.toml"

mkdir -p "$DIR" "$RESULTS"
# BENCH_RESUME=1 keeps the results of queries already measured (a run cut short).
[[ -n ${BENCH_RESUME:-} ]] || rm -f "$RESULTS"/*.json "$RESULTS"/rounds/*.json "$RESULTS"/*.txt "$RESULTS"/*.kb "$RESULTS"/*.ms

# Corpora (reused when present and of the asked size).
# shellcheck source=scripts/bench-corpora.sh
source "$ROOT/scripts/bench-corpora.sh"
make_corpora
CL=$DIR/cluster

# One query: name, then "label=command" pairs (commands are split like a shell would, without
# one: quote regexes). Output goes through a pipe (--output=pipe): rg and grep stop at the
# first match when writing to /dev/null itself. The commands take turns: each round runs
# every command once (the first round after a warm-up of each), so that the machine's drift
# (page cache paged out and read back, other guests) falls on all of them alike; each
# command's median is over its rounds.
bench() {
    local name=$1 runs=$2
    shift 2
    if [[ -n ${BENCH_RESUME:-} && -s $RESULTS/$name.json ]]; then
        echo "== $name (kept)" >&2
        return
    fi
    local args=()
    for pair in "$@"; do
        args+=(-n "${pair%%=*}" "${pair#*=}")
    done
    echo "== $name" >&2
    # Slow tools (a run of a minute) are not warmed up: the corpus is in the page cache.
    local warmup=1
    [[ $name == *.slow ]] && warmup=0
    mkdir -p "$RESULTS/rounds"
    rm -f "$RESULTS/rounds/$name".*.json
    local round
    for ((round = 1; round <= runs; round++)); do
        hyperfine -N -i --output=pipe --warmup "$((round == 1 ? warmup : 0))" --runs 1 \
            --style basic --export-json "$RESULTS/rounds/$name.$round.json" "${args[@]}" >&2
    done
    jq -s '{results: [map(.results) | transpose[] | {command: .[0].command,
            times: (map(.times) | add | sort)}
        | .median = (.times | if length % 2 == 1 then .[length / 2 | floor]
            else (.[length / 2 - 1] + .[length / 2]) / 2 end)]}' \
        "$RESULTS/rounds/$name".*.json >"$RESULTS/$name.json"
}

# Time-consuming tools (jq) get fewer runs, in their own file merged by the table script.
for fmt in json zisk full; do
    F=$DIR/$fmt.log
    JOB=$(jq -r .job_id "$F.meta")
    P8=${JOB:0:8}
    case $fmt in
    json)
        LEVEL_RE='"level":"(WARN|ERROR)"'
        PHASE_RE='Prove'
        ;;
    zisk)
        LEVEL_RE='^\S+ (\[rank=\S+\] )?(\S+ )?(WARN|ERROR):'
        PHASE_RE='\[Phase2|Prove|proof'
        ;;
    full)
        LEVEL_RE='^\S+ +(WARN|ERROR) '
        PHASE_RE='\[Phase2|[Pp][Rr][Oo][Vv][Ee]|proof'
        ;;
    esac
    bench "$fmt.job" "$RUNS" \
        "zl-raw=$ZL tail --job $JOB -o raw $F" "zl-json=$ZL tail --job $JOB -o json $F" \
        "rg=rg -F $P8 $F" "grep=grep -F $P8 $F"
    bench "$fmt.phase" "$RUNS" \
        "zl-raw=$ZL tail --phase Prove -o raw $F" "zl-json=$ZL tail --phase Prove -o json $F" \
        "rg=rg '$PHASE_RE' $F" "grep=grep -E '$PHASE_RE' $F"
    bench "$fmt.level" "$RUNS" \
        "zl-raw=$ZL tail --level warn -o raw $F" "zl-json=$ZL tail --level warn -o json $F" \
        "rg=rg '$LEVEL_RE' $F" "grep=grep -E '$LEVEL_RE' $F"
    if [[ $fmt == json ]]; then
        bench json.job.slow "$SLOW_RUNS" "jq=jq -c 'select(.fields.job_id == \"$JOB\" or .span.job_id == \"$JOB\")' $F"
        bench json.phase.slow "$SLOW_RUNS" "jq=jq -c 'select(.fields.phase == \"Prove\")' $F"
        bench json.level.slow "$SLOW_RUNS" "jq=jq -c 'select(.level == \"WARN\" or .level == \"ERROR\")' $F"
        if [[ -n $HL ]]; then
            # The same questions where hl can ask them: the job and phase as the structured
            # fields and the innermost span carry them (hl does not read them from messages,
            # nor from outer spans: fewer lines, a cheaper question). `hl` prints the lines as
            # read (against -o raw), `hl-fmt` its formatted output, without colour (against
            # -o json, what scripts read).
            HL_JOB="fields.job_id = $JOB or span.job_id = $JOB"
            HL_PHASE='fields.phase = Prove or span.phase = Prove'
            bench json.job.hl "$RUNS" "hl=$HL -P --raw -q '$HL_JOB' $F" \
                "hl-fmt=$HL -P --color never -q '$HL_JOB' $F"
            bench json.phase.hl "$RUNS" "hl=$HL -P --raw -q '$HL_PHASE' $F" \
                "hl-fmt=$HL -P --color never -q '$HL_PHASE' $F"
            bench json.level.hl "$RUNS" "hl=$HL -P --raw -l warn $F" \
                "hl-fmt=$HL -P --color never -l warn $F"
        fi
    fi
done

CJOB=$(jq -r .job_id "$CL.meta")
# `job` (the whole trail, with context) when this build has it, warmed up like the rest.
: >"$DIR/empty.log"
JOB_CMD=()
if ! "$ZL" --coordinator "$DIR/empty.log" job 00000000 2>&1 | grep -q "not available in this build"; then
    JOB_CMD=("zl-job=$ZL --coordinator $CL/coordinator.log --worker $CL/worker-*.log job $CJOB -o raw")
fi
bench cluster.job "$RUNS" "${JOB_CMD[@]}" \
    "zl-raw=$ZL tail --job $CJOB -o raw $CL" "zl-json=$ZL tail --job $CJOB -o json $CL" \
    "rg=rg -F ${CJOB:0:8} $CL" "grep=grep -rF ${CJOB:0:8} $CL"

# Startup.
bench startup 30 "zl-raw=$ZL --help"

# Peak memory reading from a pipe: 1 copy and COPIES copies of the JSON corpus.
echo "== peak RSS" >&2
mem() { # label copies args...
    local label=$1 copies=$2
    shift 2
    local files=()
    for _ in $(seq "$copies"); do files+=("$DIR/json.log"); done
    cat "${files[@]}" | /usr/bin/time -v "$ZL" "$@" 2>"$RESULTS/mem.$label.txt" >/dev/null || true
    awk -F': ' '/Maximum resident/ {print $2}' "$RESULTS/mem.$label.txt" >"$RESULTS/mem.$label.kb"
}
mem phase.1 1 tail --phase Prove -o raw
mem phase.n "$COPIES" tail --phase Prove -o raw
if [[ -n ${BENCH_MEM_ALL:-} ]]; then
    mem all.1 1 tail -o raw
    mem all.n "$COPIES" tail -o raw
fi

# -f latency: append a line, time until it is printed.
echo "== follow latency" >&2
FOLLOW=$DIR/follow.log
OUT=$DIR/follow.out
head -n 1000 "$DIR/zisk.log" >"$FOLLOW"
: >"$OUT"
"$ZL" tail -f -n 1 -o raw "$FOLLOW" >"$OUT" 2>/dev/null &
FPID=$!
for _ in $(seq 500); do [[ -s $OUT ]] && break; sleep 0.01; done
: >"$RESULTS/follow.ms"
for i in $(seq 20); do
    marker="bench-marker-$i-$RANDOM"
    t0=$(date +%s%N)
    printf '2026-11-21T12:00:00.%06dZ INFO: %s\n' "$i" "$marker" >>"$FOLLOW"
    until grep -q "$marker" "$OUT"; do
        sleep 0.001
        (($(date +%s%N) - t0 > 5000000000)) && break
    done
    echo $((($(date +%s%N) - t0) / 1000000)) >>"$RESULTS/follow.ms"
    sleep 0.05
done
kill "$FPID" 2>/dev/null || true
wait "$FPID" 2>/dev/null || true

python3 "$ROOT/scripts/bench_table.py" "$RESULTS" "$DIR" "$SIZE" "$CLUSTER_SIZE" "$COPIES"
