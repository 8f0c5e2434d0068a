#!/usr/bin/env bash
# Builds, without pulling anything, the images the real-runner tests and the examples need, from
# this host's own binaries (nothing can be pulled on these machines). Every tag says "local": they
# stand in for the published images a user's machine pulls.
#
#   glci-test/gitlab-runner:v17.9.0-local                 the official runner binary (built by
#                                                          scripts/peers.sh), CA certificates, a
#                                                          shell; `gitlab-runner run`, config in
#                                                          /etc/gitlab-runner (a volume)
#   glci-test/gitlab-runner-helper:x86_64-v17.9.0-local   the helper binary, gitlab-runner-build as
#                                                          CMD, bash, busybox coreutils, git with
#                                                          git-remote-http, CA certificates, /tmp
#   glci-test/dind:20.10-local                            Debian's dockerd, containerd, runc, the
#                                                          docker CLI, iptables, openssl (TLS certs)
#   glci-test/docker-cli:20.10-local                      busybox, curl and Debian's docker CLI (a
#                                                          job image)
#   glci-test/http-service:1                              busybox httpd on :80 serving /www (a
#                                                          service container)
#
# Each image carries the label dev.glci.build=<hash of this script and its inputs>; an image with
# the current hash is kept, any other is rebuilt. Without the runner binaries (no
# ../shared/gitlab-runner on this machine) the two runner images are skipped with a message.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

RUNNER_VERSION=17.9.0
RUNNER_BIN="${GLCI_RUNNER_BIN_DIR:-${GLCI_PEERS_CACHE:-$HOME/.cache/glci-peers}/gitlab-runner-$RUNNER_VERSION}"
RUNNER_IMAGE="glci-test/gitlab-runner:v$RUNNER_VERSION-local"
HELPER_IMAGE="glci-test/gitlab-runner-helper:x86_64-v$RUNNER_VERSION-local"
DIND_IMAGE="glci-test/dind:20.10-local"
DOCKER_CLI_IMAGE="glci-test/docker-cli:20.10-local"
HTTP_SERVICE_IMAGE="glci-test/http-service:1"

log() { printf '\033[1m[images]\033[0m %s\n' "$*"; }

inputs_hash() {
  {
    cat "$here/build-runner-images.sh" "$here/lib/rootfs.sh" "$here/images/dind-entrypoint.sh" \
      "$here/images/gitlab-runner-build"
    dockerd --version 2>/dev/null || true
    if [[ -x "$RUNNER_BIN/gitlab-runner" ]]; then sha256sum "$RUNNER_BIN/gitlab-runner" "$RUNNER_BIN/gitlab-runner-helper"; fi
  } | sha256sum | cut -c1-16
}
BUILD_HASH="$(inputs_hash)"

current() {
  [[ "$(docker image inspect --format '{{index .Config.Labels "dev.glci.build"}}' "$1" 2>/dev/null)" == "$BUILD_HASH" ]]
}

work="$(mktemp -d "${TMPDIR:-/tmp}/glci-images.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib/rootfs.sh
source "$here/lib/rootfs.sh"

BUSYBOX_APPLETS=(sh ash ls cat echo env sleep mkdir rm cp mv ln grep sed head tail tr wc sha256sum md5sum
  date id true false test printf kill touch find xargs nc hostname ps awk sort uniq dd gzip gunzip tar chmod
  chown stat basename dirname readlink realpath du df mktemp tee cut expr seq which uname whoami yes diff
  unzip zcat base64 od hexdump install printenv pwd nslookup ip ifconfig mount umount httpd wget)

# import_rootfs IMAGE CHANGE...: the root filesystem as the image's single layer.
import_rootfs() {
  local image="$1"
  shift
  import_labelled_rootfs "dev.glci.build=\"$BUILD_HASH\" dev.glci.test-image=\"$image\"" "$image" "$@"
  log "built $image"
}

new_rootfs() {
  rootfs="$work/$1"
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
}

build_runner() {
  new_rootfs runner
  copy_with_libs "$RUNNER_BIN/gitlab-runner"
  mkdir -p "$rootfs/usr/bin" "$rootfs/etc/gitlab-runner" "$rootfs/home/gitlab-runner"
  mv "$rootfs$RUNNER_BIN/gitlab-runner" "$rootfs/usr/bin/gitlab-runner"
  rm -rf "${rootfs:?}${RUNNER_BIN%%/gitlab-runner-*}"
  add_busybox /bin "${BUSYBOX_APPLETS[@]}"
  link_merged_usr
  add_minimal_etc
  import_rootfs "$RUNNER_IMAGE" \
    'ENV PATH=/usr/bin:/bin HOME=/home/gitlab-runner' \
    'VOLUME /etc/gitlab-runner' \
    'ENTRYPOINT ["/usr/bin/gitlab-runner"]' \
    'CMD ["run", "--working-directory=/home/gitlab-runner", "--config=/etc/gitlab-runner/config.toml"]'
}

build_helper() {
  new_rootfs helper
  mkdir -p "$rootfs/usr/bin"
  cp "$RUNNER_BIN/gitlab-runner-helper" "$rootfs/usr/bin/gitlab-runner-helper"
  cp "$here/images/gitlab-runner-build" "$rootfs/usr/bin/gitlab-runner-build"
  add_busybox /usr/local/bin "${BUSYBOX_APPLETS[@]}"
  copy_with_libs /bin/bash "$(readlink -f "$(command -v git)")"
  local git_core
  git_core="$(git --exec-path)"
  mkdir -p "$rootfs$git_core"
  cp -a "$git_core/." "$rootfs$git_core/"
  copy_with_libs "$git_core/git-remote-http"
  [[ -e "$rootfs/usr/bin/git" ]] || ln -s "$(readlink -f "$(command -v git)")" "$rootfs/usr/bin/git"
  mkdir -p "$rootfs/bin"
  ln -sf /usr/local/bin/busybox "$rootfs/bin/sh"
  link_merged_usr
  add_minimal_etc
  import_rootfs "$HELPER_IMAGE" \
    'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    'CMD ["gitlab-runner-build"]'
}

build_dind() {
  new_rootfs dind
  local binaries=(/usr/sbin/dockerd /usr/sbin/docker-proxy /usr/bin/docker /usr/bin/docker-init /usr/bin/containerd
    /usr/bin/containerd-shim-runc-v2 /usr/sbin/runc /usr/bin/openssl /usr/sbin/xtables-nft-multi)
  copy_with_libs "${binaries[@]}"
  local tool
  for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sf xtables-nft-multi "$rootfs/usr/sbin/$tool"
  done
  mkdir -p "$rootfs/usr/lib/x86_64-linux-gnu"
  cp -a /usr/lib/x86_64-linux-gnu/xtables "$rootfs/usr/lib/x86_64-linux-gnu/"
  local lib
  for lib in "$rootfs"/usr/lib/x86_64-linux-gnu/xtables/*.so; do copy_with_libs "${lib#"$rootfs"}"; done
  add_busybox /usr/local/bin "${BUSYBOX_APPLETS[@]}" modprobe
  mkdir -p "$rootfs/usr/lib/ssl"
  cp -L /usr/lib/ssl/openssl.cnf "$rootfs/usr/lib/ssl/openssl.cnf"
  cp "$here/images/dind-entrypoint.sh" "$rootfs/usr/local/bin/dockerd-entrypoint.sh"
  mkdir -p "$rootfs/bin" "$rootfs/var/lib/docker" "$rootfs/etc/docker" "$rootfs/certs" "$rootfs/run"
  ln -sf /usr/local/bin/busybox "$rootfs/bin/sh"
  link_merged_usr
  add_minimal_etc
  import_rootfs "$DIND_IMAGE" \
    'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DOCKER_TLS_CERTDIR=/certs' \
    'VOLUME /var/lib/docker' \
    'EXPOSE 2375 2376' \
    'ENTRYPOINT ["/usr/local/bin/dockerd-entrypoint.sh"]' \
    'CMD []'
}

build_docker_cli() {
  new_rootfs docker-cli
  copy_with_libs /usr/bin/docker /usr/bin/curl
  add_busybox /bin "${BUSYBOX_APPLETS[@]}"
  link_merged_usr
  add_minimal_etc
  import_rootfs "$DOCKER_CLI_IMAGE" 'ENV PATH=/usr/bin:/bin' 'CMD ["/bin/sh"]'
}

build_http_service() {
  new_rootfs http-service
  add_busybox /bin "${BUSYBOX_APPLETS[@]}"
  add_minimal_etc
  mkdir -p "$rootfs/www"
  echo 'hello from the glci http service' >"$rootfs/www/index.html"
  import_rootfs "$HTTP_SERVICE_IMAGE" 'ENV PATH=/bin' 'EXPOSE 80' 'CMD ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]'
}

if [[ -x "$RUNNER_BIN/gitlab-runner" && -x "$RUNNER_BIN/gitlab-runner-helper" ]]; then
  current "$RUNNER_IMAGE" || build_runner
  current "$HELPER_IMAGE" || build_helper
else
  log "no gitlab-runner binaries in $RUNNER_BIN (scripts/peers.sh builds them): runner images skipped"
fi
current "$DIND_IMAGE" || build_dind
current "$DOCKER_CLI_IMAGE" || build_docker_cli
current "$HTTP_SERVICE_IMAGE" || build_http_service
