#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the real tools the tests drive
# (journalctl + systemd-journal-remote, sshd, busybox-static for Docker images, docker-compose,
# prometheus + promtool and prometheus-alertmanager)
# when missing, then runs `cargo test`. The Docker Engine and kubectl are expected to be
# present already (this machine kind starts the engine; kubectl ships with the image).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /lib/systemd/systemd-journal-remote ] || missing+=(systemd-journal-remote)
command -v journalctl >/dev/null 2>&1 || missing+=(systemd)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test dependencies: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo fmt --all -- --check
cargo test --locked "$@"
