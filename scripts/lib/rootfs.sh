# Helpers for building images from this host's own binaries (nothing can be pulled on these
# machines): copy a program and every shared library `ldd` lists for it into a root filesystem,
# at the same paths. Sourced by the image build scripts; expects `$rootfs` to be set.

# copy_with_libs BINARY...: each binary (symlinks resolved) plus its libraries.
copy_with_libs() {
  local binary lib
  for binary in "$@"; do
    mkdir -p "$rootfs$(dirname "$binary")"
    cp -L "$binary" "$rootfs$binary"
    { ldd "$binary" 2>/dev/null || true; } | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
      [[ -e "$rootfs$lib" ]] && continue
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
  done
}

# link_merged_usr: Debian's merged /usr, where /lib, /lib64, /bin and /sbin are links into /usr.
link_merged_usr() {
  local dir
  for dir in lib lib64 bin sbin; do
    if [[ -L "/$dir" && ! -e "$rootfs/$dir" ]]; then ln -s "$(readlink "/$dir")" "$rootfs/$dir"; fi
  done
}

# add_busybox DIR APPLET...: the static busybox at DIR/busybox with the named applet links.
add_busybox() {
  local dir="$1" applet
  shift
  mkdir -p "$rootfs$dir"
  cp /bin/busybox "$rootfs$dir/busybox"
  for applet in "$@"; do
    [[ -e "$rootfs$dir/$applet" ]] || ln -s busybox "$rootfs$dir/$applet"
  done
}

# add_minimal_etc: passwd/group for root, name resolution through files then DNS, CA certificates.
add_minimal_etc() {
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
  chmod 1777 "$rootfs/tmp"
  [[ -e "$rootfs/etc/passwd" ]] || echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  [[ -e "$rootfs/etc/group" ]] || echo 'root:x:0:' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    mkdir -p "$rootfs/etc/ssl/certs"
    cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  fi
  # glibc's resolver loads these at run time (dlopen), so ldd does not list them.
  local lib
  for lib in /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 \
    /lib/x86_64-linux-gnu/libresolv.so.2; do
    if [[ -e "$lib" ]]; then mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; fi
  done
}

# import_labelled_rootfs LABELS IMAGE CHANGE...: $rootfs as IMAGE's single layer, with LABELS
# (`key="value" ...`) and the other Dockerfile CHANGEs; the image it replaces, now untagged, is
# removed (unless a container still uses it).
import_labelled_rootfs() {
  local labels="$1" image="$2"
  shift 2
  local changes=(--change "LABEL $labels")
  local change
  for change in "$@"; do changes+=(--change "$change"); done
  local previous
  previous="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  tar --numeric-owner -C "$rootfs" -cf - . | docker import "${changes[@]}" - "$image" >/dev/null
  if [[ -n "$previous" && "$previous" != "$(docker image inspect --format '{{.Id}}' "$image")" ]]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
}
