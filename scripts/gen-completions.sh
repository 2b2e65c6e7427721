#!/usr/bin/env bash
# Regenerates the shell completion scripts under completions/ and the man page doc/zisk-logs.1
# from the CLI definition.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/zisk-logs
$bin completions bash > completions/zisk-logs.bash
$bin completions zsh > completions/_zisk-logs
$bin completions fish > completions/zisk-logs.fish
$bin completions elvish > completions/zisk-logs.elv
$bin completions powershell > completions/_zisk-logs.ps1
mkdir -p doc
$bin man > doc/zisk-logs.1
