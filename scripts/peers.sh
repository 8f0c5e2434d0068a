#!/usr/bin/env bash
# Builds the Go-built peers that tests run against, pinned, from the Go module proxy. Binaries are
# cached under ~/.cache/glci-peers/<name>-<version>/ and linked into .peers/bin of the checkout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${GLCI_PEERS_CACHE:-$HOME/.cache/glci-peers}"
mkdir -p .peers/bin "$CACHE"
export PATH="/usr/local/go/bin:$PATH"

# name|module@version|binary
PEERS=(
  "versitygw|github.com/versity/versitygw/cmd/versitygw@v1.8.0|versitygw"
  "crane|github.com/google/go-containerregistry/cmd/crane@v0.22.1|crane"
)

for entry in "${PEERS[@]}"; do
  IFS='|' read -r name module binary <<<"$entry"
  version="${module##*@}"
  dir="$CACHE/$name-$version"
  if [ ! -x "$dir/$binary" ]; then
    printf '\033[1m[peers]\033[0m go install %s\n' "$module"
    mkdir -p "$dir"
    GOBIN="$dir" GOFLAGS=-buildvcs=false go install "$module"
  fi
  ln -sf "$dir/$binary" ".peers/bin/$binary"
done
