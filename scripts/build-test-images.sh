#!/usr/bin/env bash
# Builds the test images locally from Debian's static busybox (nothing can be pulled here):
#   glci-test/busybox:1     one layer: busybox and its applet links
#   glci-test/multilayer:1  four layers on top of that, for push/pull, mount and dedup tests
set -euo pipefail

if docker image inspect glci-test/busybox:1 >/dev/null 2>&1 && docker image inspect glci-test/multilayer:1 >/dev/null 2>&1; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/etc"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh ash ls cat echo env sleep wget mkdir rm cp mv grep sed head tail tr wc sha256sum date id \
  true false test printf kill trap touch find xargs nc hostname ps awk sort uniq dd gzip tar chmod; do
  ln -sf busybox "$work/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
tar -C "$work/rootfs" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - glci-test/busybox:1 >/dev/null

mkdir -p "$work/multi"
head -c 1048576 /dev/urandom >"$work/multi/one.bin"
head -c 2097152 /dev/urandom >"$work/multi/two.bin"
cat >"$work/multi/Dockerfile" <<'DOCKERFILE'
FROM glci-test/busybox:1
COPY one.bin /data/one.bin
COPY two.bin /data/two.bin
RUN echo "built for glci tests" > /data/readme.txt
LABEL dev.glci.test="multilayer"
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t glci-test/multilayer:1 "$work/multi" >/dev/null
echo "test images: glci-test/busybox:1 glci-test/multilayer:1"
