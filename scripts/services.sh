#!/usr/bin/env bash
# Starts what the tests talk to, if it is not running yet, and waits until it answers:
#   - dockerd, started from the daemon.json glci generates (@glci/docker's dindDaemonConfig) for a
#     glci registry on 127.0.0.1:39749 — its registry mirror and insecure registry, which the
#     pull-through tests bring up — merged with this host's settings from scripts/dockerd.json: the
#     unix socket plus tcp://127.0.0.1:2375 (loopback only, for the orchestrator tests over TCP)
#   - on machines whose kernel withholds capabilities from every process (these CI VMs lack
#     CAP_SYS_RESOURCE), scripts/images/runc-bounded as dockerd's default runtime, so that
#     `--privileged` containers (the runner's Docker-in-Docker services) can start at all
#   - the locally built test images (no image can be pulled on these machines)
# A running dockerd that lacks those settings is restarted (which stops its containers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[services]\033[0m %s\n' "$*"; }
MIRROR_HOST=127.0.0.1:39749
HOST_SETTINGS="$PWD/scripts/dockerd.json"
# Generated, so outside the repository.
DAEMON_CONFIG=/etc/glci/dockerd.json
BOUNDED_RUNC=/usr/local/libexec/glci/runc-bounded

# Whether this machine's bounding set lacks a capability that Docker grants privileged containers
# (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE, bits 0-40).
capabilities_withheld() {
  local mask
  mask=$((16#$(awk '/^CapBnd:/{print $2}' /proc/self/status)))
  (((mask & 0x1ffffffffff) != 0x1ffffffffff))
}

# The host settings for dockerd: scripts/dockerd.json, plus the runc wrapper where it is needed.
host_settings() {
  if capabilities_withheld; then
    mkdir -p "$(dirname "$BOUNDED_RUNC")"
    install -m 0755 scripts/images/runc-bounded "$BOUNDED_RUNC"
    jq --arg path "$BOUNDED_RUNC" '. + {runtimes: {"runc-bounded": {path: $path}}, "default-runtime": "runc-bounded"}' \
      "$HOST_SETTINGS"
  else
    cat "$HOST_SETTINGS"
  fi
}

write_daemon_config() {
  if [ ! -x node_modules/.bin/tsx ]; then
    log "node_modules/.bin/tsx is missing: run pnpm install (scripts/install.sh) first"
    exit 1
  fi
  mkdir -p "$(dirname "$DAEMON_CONFIG")"
  host_settings >"$DAEMON_CONFIG.host"
  node_modules/.bin/tsx --conditions=source packages/docker/src/bin/daemon-json.ts \
    "$MIRROR_HOST" "$DAEMON_CONFIG.host" >"$DAEMON_CONFIG.tmp"
  mv "$DAEMON_CONFIG.tmp" "$DAEMON_CONFIG"
}

# Whether the running dockerd serves tcp://127.0.0.1:2375, runs the configured default runtime and
# has exactly the generated registry mirrors (dockerd lists them with a trailing slash) and
# insecure registries.
running_daemon_matches() {
  docker -H tcp://127.0.0.1:2375 version >/dev/null 2>&1 || return 1
  [ "$(docker info --format '{{.DefaultRuntime}}' 2>/dev/null)" = "$(jq -r '."default-runtime" // "runc"' "$DAEMON_CONFIG")" ] || return 1
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
bash scripts/build-runner-images.sh
