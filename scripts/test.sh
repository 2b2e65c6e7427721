#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs the real tools the tests drive
# (journalctl + systemd-journal-remote, sshd, busybox-static for Docker images, docker-compose,
# prometheus + promtool and prometheus-alertmanager, tmux + less for the terminal tests, zsh +
# fish for the completion tests, man-db for the man page) when missing, then runs `cargo test`.
# Packages installed here are not started, and the services they would enable at boot (ssh,
# prometheus, alertmanager) are disabled again: the tests start their own daemons. The Docker
# Engine and kubectl are expected to be present already (this machine kind starts the engine;
# kubectl ships with the image).
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
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v less >/dev/null 2>&1 || missing+=(less)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
command -v man >/dev/null 2>&1 || missing+=(man-db)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing test dependencies: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # (Nothing to compare where systemctl is missing or cannot list: then nothing is disabled.)
  enabled_units() { { systemctl list-unit-files --state=enabled --no-legend 2>/dev/null || true; } | awk '{print $1}' | sort; }
  before=$(enabled_units)
  # No service is started by the install (policy-rc.d 101: "action forbidden").
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
  fi
  trap '[ -z "$policy" ] || $sudo rm -f "$policy"' EXIT
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}"
  # ...and none stays enabled at boot because of it.
  for unit in $(comm -13 <(echo "$before") <(enabled_units)); do
    echo "disabling $unit (enabled by its package's install)"
    $sudo systemctl disable --quiet "$unit" 2>/dev/null || true
  done
fi

cargo fmt --all -- --check
cargo test --locked "$@"
