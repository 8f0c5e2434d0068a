#!/usr/bin/env bash
# Builds, without pulling anything, the image of the "remote Docker hosts" that @glci/testkit's
# startTlsDockerHost and startSshDockerHost run (privileged containers on this machine):
#
#   glci-test/remote-host:20.10-local  glci-test/dind:20.10-local (Debian's dockerd and docker CLI)
#                                      plus OpenSSH's sshd from Debian's openssh-server package;
#                                      scripts/images/ssh-dind-entrypoint.sh starts sshd, then
#                                      dockerd on its unix socket only (the TLS host runs the
#                                      base image's dockerd-entrypoint.sh instead); and
#                                      scripts/images/runc-bounded (with bash and jq, which it
#                                      runs) at /usr/local/libexec/glci/runc-bounded, which the
#                                      fixtures make that dockerd's default runtime on machines
#                                      that withhold capabilities, as scripts/services.sh does for
#                                      this machine's dockerd: without it no privileged container
#                                      (a job's Docker-in-Docker service) starts on the "remote"
#
# sshd comes from the package file (`apt-get download`, unpacked with dpkg-deb), never installed
# on this machine: an installed openssh-server would start an sshd listening on every interface.
# Its libraries are this machine's (copy_with_libs), plus libwrap0's, unpacked the same way.
# The image carries dev.glci.build=<hash of this script, the entrypoint and the base image>; an
# image with the current hash is kept.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

BASE_IMAGE="glci-test/dind:20.10-local"
IMAGE="glci-test/remote-host:20.10-local"
log() { printf '\033[1m[images]\033[0m %s\n' "$*"; }

# One build at a time on this machine: test files that start remote hosts may run side by side.
exec 9>"${TMPDIR:-/tmp}/glci-remote-host-image.lock"
flock 9
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || bash "$here/build-runner-images.sh"
BUILD_HASH="$({
  cat "$here/build-remote-host-images.sh" "$here/lib/rootfs.sh" "$here/images/ssh-dind-entrypoint.sh" \
    "$here/images/runc-bounded"
  docker image inspect --format '{{.Id}}' "$BASE_IMAGE"
} | sha256sum | cut -c1-16)"
if [[ "$(docker image inspect --format '{{index .Config.Labels "dev.glci.build"}}' "$IMAGE" 2>/dev/null)" == "$BUILD_HASH" ]]; then
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/glci-ssh-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib/rootfs.sh
source "$here/lib/rootfs.sh"

# The packages' files, unpacked (not installed). apt-get download writes to the current directory.
mkdir -p "$work/debs" "$work/unpacked"
(cd "$work/debs" && apt-get download openssh-server libwrap0 >/dev/null 2>&1) || {
  apt-get update -qq && (cd "$work/debs" && apt-get download openssh-server libwrap0 >/dev/null)
}
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/unpacked"; done

rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/sbin" "$rootfs/usr/bin" "$rootfs/usr/lib/x86_64-linux-gnu" "$rootfs/usr/local/bin" "$rootfs/ssh" "$rootfs/run/sshd"
cp "$work/unpacked/usr/sbin/sshd" "$rootfs/usr/sbin/sshd"
cp -L "$work/unpacked/usr/lib/x86_64-linux-gnu/libwrap.so.0" "$rootfs/usr/lib/x86_64-linux-gnu/libwrap.so.0"
# The rest of sshd's libraries are this machine's, at the same paths.
LD_LIBRARY_PATH="$work/unpacked/usr/lib/x86_64-linux-gnu" ldd "$rootfs/usr/sbin/sshd" |
  awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | grep -v "^$work" | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp "$here/images/ssh-dind-entrypoint.sh" "$rootfs/usr/local/bin/ssh-dind-entrypoint.sh"
# The runc wrapper and what it runs: bash, jq (this machine's, with their libraries) and env
# (busybox's, which the base image has under /usr/local/bin only).
mkdir -p "$rootfs/usr/local/libexec/glci"
cp "$here/images/runc-bounded" "$rootfs/usr/local/libexec/glci/runc-bounded"
chmod 0755 "$rootfs/usr/local/libexec/glci/runc-bounded"
copy_with_libs "$(readlink -f "$(command -v bash)")" "$(readlink -f "$(command -v jq)")"
ln -sf /usr/local/bin/busybox "$rootfs/usr/bin/env"
# sshd's privilege separation user, next to the base image's root (whose shell runs the commands).
mkdir -p "$rootfs/etc"
printf 'root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

cat >"$work/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
COPY rootfs/ /
LABEL dev.glci.build="$BUILD_HASH" dev.glci.test-image="$IMAGE"
EXPOSE 22
ENTRYPOINT ["/usr/local/bin/ssh-dind-entrypoint.sh"]
CMD []
DOCKERFILE
previous="$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
# The legacy builder's deprecation notice goes to stderr: shown only when the build fails.
if ! docker build -q -t "$IMAGE" "$work" >/dev/null 2>"$work/build.err"; then
  cat "$work/build.err" >&2
  exit 1
fi
if [[ -n "$previous" && "$previous" != "$(docker image inspect --format '{{.Id}}' "$IMAGE")" ]]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
log "built $IMAGE"
