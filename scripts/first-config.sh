#!/usr/bin/env bash
# Writes a first $GLCI_HOME/config.toml (default ~/.glci/config.toml) for a machine whose images
# are built locally, when there is none yet; an existing file is never touched.
#
# glci's defaults run the published gitlab/gitlab-runner:v17.9.0 image and pull job images that
# name none from Docker Hub (alpine:latest). Machines that cannot pull (CI here) have the same
# runner built from its source instead (scripts/build-runner-images.sh); this points glci at it
# and at a job image that exists locally, so `glci run` works there out of the box.
set -euo pipefail

home="${GLCI_HOME:-$HOME/.glci}"
file="$home/config.toml"
if [[ -e "$file" ]]; then
  echo "[install] $file exists: left as it is"
  exit 0
fi
for image in glci-test/gitlab-runner:v17.9.0-local glci-test/gitlab-runner-helper:x86_64-v17.9.0-local \
  glci-test/docker-cli:20.10-local; do
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    echo "[install] $image is missing (scripts/build-runner-images.sh builds it): no $file written" >&2
    exit 0
  fi
done
mkdir -p "$home"
cat >"$file" <<'TOML'
# Written by glci's scripts/install.sh: this machine builds its images locally.
# Delete the [runner] lines to run the published gitlab/gitlab-runner images instead.

[runner]
# The official gitlab-runner 17.9.0, built unmodified from its source.
image = "glci-test/gitlab-runner:v17.9.0-local"
helper_image = "glci-test/gitlab-runner-helper:x86_64-v17.9.0-local"

[defaults]
# The image of jobs that name none (busybox, curl and the docker CLI).
image = "glci-test/docker-cli:20.10-local"
TOML
echo "[install] wrote $file (the locally built runner and job images)"
