#!/bin/sh
# Entry point of glci's "remote Docker host over ssh" test image: sshd on port 22 (public-key
# login as root only) and a dockerd on its unix socket only, so the Docker API is reachable from
# outside solely through `ssh … docker system dial-stdio`, as for a real build host.
#   /ssh/host_ed25519_key      the host key (the test generates it and records it in known_hosts)
#   /ssh/authorized_keys       the keys that may log in as root
# /ssh may be a read-only mount: both are copied where sshd wants them, with the modes it checks.
# Nothing is generated here.
set -eu

mkdir -p /run/sshd /root/.ssh /etc/ssh
chmod 0755 /run/sshd
chmod 0700 /root /root/.ssh
cp /ssh/authorized_keys /root/.ssh/authorized_keys
cp /ssh/host_ed25519_key /etc/ssh/ssh_host_ed25519_key
chmod 0600 /root/.ssh/authorized_keys /etc/ssh/ssh_host_ed25519_key
/usr/sbin/sshd -e -f /dev/null \
  -o Port=22 -o HostKey=/etc/ssh/ssh_host_ed25519_key -o PidFile=/run/sshd.pid \
  -o AuthorizedKeysFile=/root/.ssh/authorized_keys -o PermitRootLogin=prohibit-password \
  -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o UsePAM=no \
  -o 'SetEnv=PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# As dind-entrypoint.sh: under cgroup v2, move every process out of the root cgroup first.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
fi
exec dockerd --host=unix:///var/run/docker.sock "$@"
