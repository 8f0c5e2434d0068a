#!/usr/bin/env bash
# Builds the glci-mock image locally WITHOUT pulling anything: a root filesystem holding this
# host's node (and the shared libraries ldd lists for it), git with git-http-backend (the Runner
# API serves repositories through it), and the mock deployed with `pnpm deploy --prod`, turned into
# an image with `docker import` (nothing to pull). Equivalent to
# apps/mock/Dockerfile, which CI machines with network access build from node:20-bookworm-slim.
#
#   apps/mock/scripts/build-image.sh [TAG]        (default glci-mock:local)
#
# GLCI_MOCK_SKIP_BUILD=1 skips `pnpm build` of the workspace (dist must be current).
# GLCI_MOCK_IF_CHANGED=1 keeps an existing image built from the same sources: the image carries
# dev.glci.source=<hash of the built code it holds, the lockfile, node and git>.
# Prints the image ID on the last line of stdout.
set -euo pipefail

tag="${1:-glci-mock:local}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
node_bin="$(readlink -f "$(command -v node)")"
git_bin="$(readlink -f "$(command -v git)")"
git_core="$(git --exec-path)"

work="$(mktemp -d "${TMPDIR:-/tmp}/glci-mock-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"

if [[ "${GLCI_MOCK_SKIP_BUILD:-}" != "1" ]]; then
  (cd "$root" && pnpm --filter '@glci/mock...' --reporter=silent build) >&2
fi

# What the image is made of: the built code of the mock and every workspace package it uses.
source_hash() {
  {
    (cd "$root" && find apps/mock/dist packages/config/dist packages/registry/dist packages/proxy/dist \
      packages/runner-api/dist -type f ! -name '*.test.*' ! -name '*.map' -print0 | sort -z | xargs -0 sha256sum)
    sha256sum "$root/pnpm-lock.yaml" "$here/build-image.sh"
    "$node_bin" --version
    "$git_bin" --version
  } | sha256sum | cut -c1-16
}
hash="$(source_hash)"
if [[ "${GLCI_MOCK_IF_CHANGED:-}" == "1" ]] &&
  [[ "$(docker image inspect --format '{{index .Config.Labels "dev.glci.source"}}' "$tag" 2>/dev/null)" == "$hash" ]]; then
  docker image inspect --format '{{.Id}}' "$tag"
  exit 0
fi

# The app and its production dependencies, without the workspace (workspace packages are copied
# as packages, i.e. their dist).
(cd "$root" && pnpm --filter @glci/mock deploy --prod --legacy --reporter=silent "$work/app") >&2
mkdir -p "$rootfs/app"
cp -a "$work/app/." "$rootfs/app/"
rm -rf "$rootfs/app/src" "$rootfs/app/scripts"
find "$rootfs/app/dist" -name '*.test.*' -delete
rm -rf "$rootfs/app/dist/test-support"

# node, git and every shared library they load, at their own paths.
copy_with_libs() {
  local binary="$1"
  mkdir -p "$rootfs$(dirname "$binary")"
  cp -L "$binary" "$rootfs$binary"
  ldd "$binary" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
    [[ -e "$rootfs$lib" ]] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}
mkdir -p "$rootfs/usr/bin"
copy_with_libs "$node_bin"
[[ "$node_bin" == /usr/bin/node ]] || ln -s "$node_bin" "$rootfs/usr/bin/node"
copy_with_libs "$git_bin"
[[ "$git_bin" == /usr/bin/git ]] || ln -s "$git_bin" "$rootfs/usr/bin/git"
mkdir -p "$rootfs$(dirname "$git_core")"
cp -a "$git_core" "$rootfs$git_core"
copy_with_libs "$git_core/git-http-backend"
# Debian's merged /usr: /lib64 and /lib are links into /usr.
for dir in lib lib64; do
  if [[ -L "/$dir" && ! -e "$rootfs/$dir" ]]; then ln -s "$(readlink "/$dir")" "$rootfs/$dir"; fi
done

# A minimal /etc and the mount points the orchestrator uses, owned by the unprivileged user.
mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/data" "$rootfs/registry" "$rootfs/registry-ca" "$rootfs/cache"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nglci:x:10001:10001:glci:/data:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nglci:x:10001:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi

# COPY-free: the root filesystem becomes the image's only layer through `docker import`, with
# the same settings apps/mock/Dockerfile declares.
chown -R 10001:10001 "$rootfs/data" "$rootfs/registry" "$rootfs/registry-ca" "$rootfs/cache" 2>/dev/null || true
changes=(
  --change 'ENV PATH=/usr/bin:/bin NODE_ENV=production HOME=/data GLCI_HOME=/data/.glci GLCI_MOCK_HOST=0.0.0.0 GLCI_MOCK_PORT=39741 GLCI_MOCK_DATA_DIR=/data GLCI_MOCK_STORAGE=/registry GLCI_MOCK_CACHE_DIR=/cache GLCI_MOCK_PUSH_THROUGH_FILE=/registry-ca/push-through.json'
  --change 'LABEL dev.glci.image="glci-mock"'
  # Only this build knows its sources (apps/mock/Dockerfile has no such label).
  --change "LABEL dev.glci.source=\"$hash\""
  --change 'EXPOSE 39741'
  --change 'WORKDIR /app'
  --change 'USER 10001:10001'
  --change 'HEALTHCHECK --interval=5s --timeout=3s --retries=12 CMD ["/usr/bin/node", "/app/dist/bin.js", "healthcheck"]'
  --change 'ENTRYPOINT ["/usr/bin/node", "/app/dist/bin.js"]'
  --change 'CMD ["serve"]'
)
tar --numeric-owner -C "$rootfs" -cf - . | docker import "${changes[@]}" - "$tag"
