#!/usr/bin/env bash
# Installs everything glci's development and tests need on a fresh Debian 12 machine, then builds
# the workspace. Idempotent: each step is skipped when its result is already there.
#   - system packages: Docker engine, CNCF distribution, skopeo, busybox (test images), git,
#     rsync (the bench's stand-in for gitlab-ci-local's helper image), the OpenSSH client and
#     openssl (ssh:// Docker hosts; the remote-host tests' keys and certificates), Podman with
#     netavark and aardvark-dns (the Podman tests start `podman system service` themselves;
#     nothing of Podman runs otherwise), ruby (GitLab's YAML parser, Psych, the oracle of
#     @glci/pipeline's YAML differential test)
#   - pnpm (corepack does not work on these machines), the workspace's npm dependencies
#   - Go-built peers (S3 server), cached under ~/.cache/glci-peers
#   - services: dockerd (scripts/services.sh) and the locally built test images
#   - the mock server's image (glci-mock:local) that `glci run` starts, built from this checkout
#   - a first ~/.glci/config.toml pointing at the locally built runner images, when there is none
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

APT_PACKAGES=(docker.io docker-registry skopeo busybox-static git ca-certificates curl jq rsync
  openssh-client openssl podman netavark aardvark-dns ruby)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1 || ! pnpm --version | grep -q '^10\.'; then
  log "npm install -g pnpm@10"
  npm install -g pnpm@10 >/dev/null 2>&1
fi

bash scripts/peers.sh

log "pnpm install"
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=silent
log "pnpm build"
pnpm exec turbo run build --output-logs=errors-only

bash scripts/services.sh

log "glci-mock:local"
GLCI_MOCK_SKIP_BUILD=1 GLCI_MOCK_IF_CHANGED=1 bash apps/mock/scripts/build-image.sh glci-mock:local >/dev/null
bash scripts/first-config.sh
log "ready"
