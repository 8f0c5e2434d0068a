#!/usr/bin/env bash
# Starts what the tests talk to, if it is not running yet, and waits until it answers:
#   - dockerd, configured with scripts/dockerd.json: the unix socket plus tcp://127.0.0.1:2375 (loopback
#     only, for the orchestrator tests over TCP), and a registry mirror on 127.0.0.1:39749 that
#     the pull-through tests bring up; loopback registries are insecure by default)
#   - the locally built test images (no image can be pulled on these machines)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[services]\033[0m %s\n' "$*"; }
DAEMON_CONFIG="$PWD/scripts/dockerd.json"
MIRROR="http://127.0.0.1:39749/"

start_dockerd() {
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd --config-file "$DAEMON_CONFIG" >/var/log/glci-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "dockerd did not come up; last log lines:"
  tail -20 /var/log/glci-dockerd.log >&2
  exit 1
}

if ! docker info >/dev/null 2>&1; then
  start_dockerd
elif ! docker info --format '{{json .RegistryConfig.Mirrors}}' | grep -q "$MIRROR" || ! docker -H tcp://127.0.0.1:2375 version >/dev/null 2>&1; then
  # A daemon without the test mirror: restart it with glci's configuration.
  log "restarting dockerd with $DAEMON_CONFIG"
  pkill -x dockerd || true
  for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
  start_dockerd
fi

bash scripts/build-test-images.sh
