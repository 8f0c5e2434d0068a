#!/usr/bin/env bash
# Builds, without pulling anything, the two images gitlab-ci-local's Docker executor needs besides
# the jobs' own, for the bench's pipeline rows (nothing can be pulled on these machines):
#
#   glci-bench/gitlab-ci-local-util:local  stands in for docker.io/firecow/gitlab-ci-local-util
#                                          (--helper-image): bash, rsync and busybox, which its
#                                          volume set-up and artifact and cache copies run
#   glci-bench/wait-for-it:local           stands in for docker.io/sumina46/wait-for-it
#                                          (--wait-image): `HOST:PORT -t SECONDS`, one TCP connect
#                                          a second until the service answers, as wait-for-it.sh
#
# Both from this host's own binaries (rsync comes from Debian's `rsync` package). Each image
# carries dev.glci.bench-build=<hash of this script and its inputs>; an image with the current
# hash is kept, any other is rebuilt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

UTIL_IMAGE="glci-bench/gitlab-ci-local-util:local"
WAIT_IMAGE="glci-bench/wait-for-it:local"

if ! command -v rsync >/dev/null 2>&1; then
  echo "the gitlab-ci-local stand-in images need rsync on this host: apt-get install rsync" >&2
  exit 2
fi

BUILD_HASH="$({
  cat "$here/build-gitlab-ci-local-images.sh" "$repo/scripts/lib/rootfs.sh"
  sha256sum "$(command -v rsync)" "$(command -v bash)" /bin/busybox
} | sha256sum | cut -c1-16)"

current() {
  [[ "$(docker image inspect --format '{{index .Config.Labels "dev.glci.bench-build"}}' "$1" 2>/dev/null)" == "$BUILD_HASH" ]]
}

work="$(mktemp -d "${TMPDIR:-/tmp}/glci-bench-images.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck source=../../../scripts/lib/rootfs.sh
source "$repo/scripts/lib/rootfs.sh"

APPLETS=(sh ls cat echo env sleep mkdir rm cp mv ln grep sed head tail tr wc date id true false test
  printf touch find xargs chmod chown stat basename dirname mktemp tee cut tar gzip)

import_rootfs() {
  local image="$1"
  shift
  import_labelled_rootfs "dev.glci.bench-build=\"$BUILD_HASH\" dev.glci.bench-image=\"$image\"" "$image" "$@"
  echo "built $image"
}

build_util() {
  rootfs="$work/util"
  mkdir -p "$rootfs"
  copy_with_libs "$(command -v bash)" "$(command -v rsync)"
  add_busybox /usr/local/bin "${APPLETS[@]}"
  link_merged_usr
  add_minimal_etc
  import_rootfs "$UTIL_IMAGE" 'ENV PATH=/usr/local/bin:/usr/bin:/bin' 'CMD ["bash"]'
}

build_wait() {
  rootfs="$work/wait"
  mkdir -p "$rootfs/usr/local/bin"
  copy_with_libs "$(command -v bash)"
  add_busybox /usr/local/bin sleep date echo
  cat >"$rootfs/usr/local/bin/wait-for-it" <<'SCRIPT'
#!/bin/bash
# wait-for-it HOST:PORT [-t SECONDS]: exits 0 once HOST:PORT accepts a TCP connection, trying once
# a second (as wait-for-it.sh does), 1 after SECONDS (default 15).
target="$1"
shift
timeout=15
while [[ $# -gt 0 ]]; do
  case "$1" in
    -t) timeout="$2"; shift 2 ;;
    *) shift ;;
  esac
done
host="${target%:*}"
port="${target##*:}"
deadline=$(($(date +%s) + timeout))
until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
  if [[ $(date +%s) -ge $deadline ]]; then
    echo "wait-for-it: timeout after ${timeout}s waiting for $host:$port" >&2
    exit 1
  fi
  sleep 1
done
echo "wait-for-it: $host:$port is available"
SCRIPT
  chmod 755 "$rootfs/usr/local/bin/wait-for-it"
  link_merged_usr
  add_minimal_etc
  import_rootfs "$WAIT_IMAGE" 'ENV PATH=/usr/local/bin:/usr/bin:/bin' 'ENTRYPOINT ["/usr/local/bin/wait-for-it"]'
}

current "$UTIL_IMAGE" || build_util
current "$WAIT_IMAGE" || build_wait
