#!/usr/bin/env bash
# Runs one of examples/ as a project of its own: copies it into a fresh git repository under
# $TMPDIR (its `origin` names the GitLab project it stands for, examples/<name>), commits it on
# `main`, and runs `glci run` there with the remaining arguments.
#   scripts/run-example.sh NAME [glci run options…]      (pnpm example NAME -- …)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: run-example.sh NAME [glci run options]}"
shift
[[ "${1:-}" == "--" ]] && shift
source="$here/examples/$name"
if [[ ! -f "$source/.gitlab-ci.yml" ]]; then
  echo "no example named $name (examples/: $(ls "$here/examples" | grep -v README | tr '\n' ' '))" >&2
  exit 2
fi
project="${GLCI_EXAMPLE_DIR:-${TMPDIR:-/tmp}/glci-example-$name}"
rm -rf "$project"
mkdir -p "$project"
cp -a "$source/." "$project/"
git -C "$project" init -q -b main
git -C "$project" remote add origin "https://gitlab.example.com/examples/$name.git"
git -C "$project" add -A
git -C "$project" -c user.name=glci -c user.email=glci@localhost commit -q -m "The $name example"
cd "$project"
exec "$here/node_modules/.bin/tsx" --conditions=source "$here/apps/glci/src/bin.ts" run "$@"
