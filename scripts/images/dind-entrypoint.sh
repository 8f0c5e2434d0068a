#!/bin/sh
# Entry point of glci's locally built Docker-in-Docker test image (the role docker:dind's
# dockerd-entrypoint.sh plays in the published image, written for this image):
#   - with DOCKER_TLS_CERTDIR set (as GitLab's docs configure docker:dind), a CA, a server and a
#     client certificate are made under it and dockerd listens on tcp://0.0.0.0:2376 with TLS;
#     the client half ($DOCKER_TLS_CERTDIR/client) is what job containers mount;
#   - without it, plain tcp://0.0.0.0:2375.
# Extra arguments (the service's `command:`) are passed to dockerd.
set -eu

# Under cgroup v2 dockerd must be able to enable controllers for its children: move every
# process out of the root cgroup first (the kernel forbids controllers with processes in it).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
fi

make_certs() {
  dir="$1"
  mkdir -p "$dir/ca" "$dir/server" "$dir/client"
  if [ ! -s "$dir/ca/key.pem" ]; then
    openssl genrsa -out "$dir/ca/key.pem" 2048 2>/dev/null
    openssl req -new -x509 -days 825 -sha256 -key "$dir/ca/key.pem" -out "$dir/ca/cert.pem" -subj '/CN=glci-dind CA'
  fi
  names="DNS:docker,DNS:localhost,DNS:$(hostname),IP:127.0.0.1"
  for ip in $(hostname -i 2>/dev/null); do names="$names,IP:$ip"; done
  for side in server client; do
    openssl genrsa -out "$dir/$side/key.pem" 2048 2>/dev/null
    openssl req -new -sha256 -key "$dir/$side/key.pem" -subj "/CN=docker:dind $side" -out "$dir/$side/csr.pem"
    if [ "$side" = server ]; then
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$names" >"$dir/$side/ext.cnf"
    else
      printf 'extendedKeyUsage=clientAuth\n' >"$dir/$side/ext.cnf"
    fi
    openssl x509 -req -days 825 -sha256 -in "$dir/$side/csr.pem" -CA "$dir/ca/cert.pem" -CAkey "$dir/ca/key.pem" \
      -CAcreateserial -out "$dir/$side/cert.pem" -extfile "$dir/$side/ext.cnf" 2>/dev/null
    cp "$dir/ca/cert.pem" "$dir/$side/ca.pem"
    rm -f "$dir/$side/csr.pem" "$dir/$side/ext.cnf"
  done
  chmod 0444 "$dir/client/key.pem"
}

if [ -n "${DOCKER_TLS_CERTDIR:-}" ]; then
  make_certs "$DOCKER_TLS_CERTDIR"
  c="$DOCKER_TLS_CERTDIR/server"
  exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2376 \
    --tlsverify --tlscacert "$c/ca.pem" --tlscert "$c/cert.pem" --tlskey "$c/key.pem" "$@"
fi
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 "$@"
