#!/usr/bin/env bash
# Starts what the tests talk to, if it is not running yet, and waits until it answers:
#   - dockerd, started from the daemon.json glci generates (@glci/docker's dindDaemonConfig) for a
#     glci registry on 127.0.0.1:39749 — its registry mirror and insecure registry, which the
#     pull-through tests bring up — merged with this host's settings from scripts/dockerd.json: the
#     unix socket plus tcp://127.0.0.1:2375 (loopback only, for the orchestrator tests over TCP)
#   - the locally built test images (no image can be pulled on these machines)
# A running dockerd that lacks those settings is restarted (which stops its containers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[services]\033[0m %s\n' "$*"; }
MIRROR_HOST=127.0.0.1:39749
HOST_SETTINGS="$PWD/scripts/dockerd.json"
# Generated, so outside the repository.
DAEMON_CONFIG=/etc/glci/dockerd.json

write_daemon_config() {
  if [ ! -x node_modules/.bin/tsx ]; then
    log "node_modules/.bin/tsx is missing: run pnpm install (scripts/install.sh) first"
    exit 1
  fi
  mkdir -p "$(dirname "$DAEMON_CONFIG")"
  node_modules/.bin/tsx --conditions=source packages/docker/src/bin/daemon-json.ts \
    "$MIRROR_HOST" "$HOST_SETTINGS" >"$DAEMON_CONFIG.tmp"
  mv "$DAEMON_CONFIG.tmp" "$DAEMON_CONFIG"
}

# Whether the running dockerd serves tcp://127.0.0.1:2375 and has exactly the generated registry
# mirrors (dockerd lists them with a trailing slash) and insecure registries.
running_daemon_matches() {
  docker -H tcp://127.0.0.1:2375 version >/dev/null 2>&1 || return 1
  docker info --format '{{json .RegistryConfig}}' 2>/dev/null | jq -e --slurpfile want "$DAEMON_CONFIG" '
    $want[0] as $w
    | . as $running
    | ($running.Mirrors == [$w["registry-mirrors"][] | sub("/*$"; "/")])
      and all($w["insecure-registries"][]; $running.IndexConfigs[.].Secure == false)
  ' >/dev/null
}

start_dockerd() {
  log "starting dockerd with $DAEMON_CONFIG"
  mkdir -p /var/log
  # setsid: its own session, so the daemon outlives the shell (and process group) that started it.
  setsid nohup dockerd --config-file "$DAEMON_CONFIG" >/var/log/glci-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "dockerd did not come up; last log lines:"
  tail -20 /var/log/glci-dockerd.log >&2
  exit 1
}

write_daemon_config
if ! docker info >/dev/null 2>&1; then
  start_dockerd
elif ! running_daemon_matches; then
  # A daemon without glci's registry settings or the TCP socket: restart it with glci's configuration.
  log "restarting dockerd: it lacks the settings in $DAEMON_CONFIG"
  pkill -x dockerd || true
  for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
  start_dockerd
fi

bash scripts/build-test-images.sh
