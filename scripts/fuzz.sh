#!/usr/bin/env bash
# Runs one fuzz target (src/fuzz.rs) for SECONDS on seeded mutations of fuzz/corpus/TARGET and
# prints executions and crashes; a crashing input is saved under fuzz/crashes/TARGET/.
# Usage: scripts/fuzz.sh TARGET SECONDS [SEED]    (TARGET "all": every target in turn)
# Runs at the lowest priority: the machine is shared. Exit 1 when anything crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS [SEED]}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS [SEED]}
seed=${3:-1}
# The crate at opt-level 2 (about 5x the executions of a debug build); the dependencies stay as
# the debug build has them, so only zisk-logs itself is compiled again.
cargo build --quiet --example fuzz --features fuzz-targets \
    --config 'profile.dev.package.zisk-logs.opt-level=2'
bin=target/debug/examples/fuzz
if [ "$target" = all ]; then
    targets=$(ls fuzz/corpus)
else
    targets=$target
fi
status=0
for t in $targets; do
    nice -n 19 "$bin" "$t" "$seconds" "$seed" || status=1
done
exit $status
