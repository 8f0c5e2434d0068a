#!/usr/bin/env bash
# The test command (`pnpm test`): formatting and lint, type checks, then every package's tests
# against the real Docker engine, registry and S3 peers. Fails (never skips) when a peer is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TURBO_TELEMETRY_DISABLED=1
export PATH="$PWD/.peers/bin:$PATH"

bash scripts/services.sh
pnpm exec biome ci .
pnpm exec turbo run typecheck --output-logs=errors-only
# Each package's report is written to (or, for a run turbo replays from its cache, restored into)
# its .test-report/ directory; stale ones are removed first so only this run's reports count.
rm -rf packages/*/.test-report apps/*/.test-report tools/*/.test-report
# Test files share one dockerd, so packages take turns; files inside a package still run in parallel.
status=0
GLCI_TEST_REPORT=1 pnpm exec turbo run test --concurrency=1 --continue || status=$?
node scripts/test-summary.mjs packages apps tools || status=1
exit "$status"
