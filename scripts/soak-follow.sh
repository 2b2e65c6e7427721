#!/usr/bin/env bash
# Follow-mode soak test (issue 20): a writer numbers its lines and rotates its file
# SOAK_ROTATIONS times (default 100) in each of four ways while `zisk-logs tail -f` follows it
# (rename + create with a second of late writes to the old file, copytruncate with a pause,
# delete + recreate, truncate + refill past the old size within one poll), then checks that
# every line came out exactly once; and copytruncate under continuous writes (inherently
# lossy: every truncation must be noticed). Prints the figures per kind. Not run in CI, which
# runs the same tests with 5 rotations of each kind.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_ROTATIONS="${SOAK_ROTATIONS:-100}"
cargo test --locked --test integration -- follow_rotation --nocapture --test-threads=1
