#!/usr/bin/env bash
# Builds the Go-built peers that tests run against, pinned, from the Go module proxy. Binaries are
# cached under ~/.cache/glci-peers/<name>-<version>/ and linked into .peers/bin of the checkout.
# The official gitlab-runner is built from the source snapshot in the shared reference folder
# (../shared/gitlab-runner next to the checkout, or GLCI_RUNNER_SOURCE), because the module proxy
# refuses its module; on a user's machine that folder is absent and the step is skipped (users
# run the published gitlab/gitlab-runner image).
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

# The official gitlab-runner and its helper, unmodified (../shared/gitlab-runner/build.sh).
RUNNER_VERSION=17.9.0
runner_dir="$CACHE/gitlab-runner-$RUNNER_VERSION"
runner_source=""
# A linked git worktree finds the folder next to its main checkout.
main_checkout=$(cd "$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo .git)/.." && pwd)
for candidate in "${GLCI_RUNNER_SOURCE:-}" "$PWD/../shared/gitlab-runner" "$main_checkout/../shared/gitlab-runner"; do
  if [ -n "$candidate" ] && [ -x "$candidate/build.sh" ]; then runner_source="$candidate"; break; fi
done
runner_built() {
  [ -x "$runner_dir/gitlab-runner" ] && [ -x "$runner_dir/gitlab-runner-helper" ] &&
    "$runner_dir/gitlab-runner" --version 2>/dev/null | grep -q "Version: *$RUNNER_VERSION"
}
if ! runner_built; then
  if [ -z "$runner_source" ]; then
    printf '\033[1m[peers]\033[0m no gitlab-runner source (../shared/gitlab-runner): skipping the runner build; the real-runner tests need it\n'
  else
    printf '\033[1m[peers]\033[0m building gitlab-runner %s from %s (4-10 min the first time)\n' "$RUNNER_VERSION" "$runner_source"
    # build.sh ends by copying the helper's entry script from a path that v17.9.0 does not have;
    # the two binaries are built by then, and the helper image writes its own entry script.
    bash "$runner_source/build.sh" "$runner_dir" >"$CACHE/gitlab-runner-build.log" 2>&1 || true
    if ! runner_built; then
      tail -20 "$CACHE/gitlab-runner-build.log" >&2
      echo "gitlab-runner $RUNNER_VERSION did not build" >&2
      exit 1
    fi
  fi
fi
if runner_built; then
  ln -sf "$runner_dir/gitlab-runner" .peers/bin/gitlab-runner
  ln -sf "$runner_dir/gitlab-runner-helper" .peers/bin/gitlab-runner-helper
fi
