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
rm -rf .turbo/test-reports && mkdir -p .turbo/test-reports
# Test files share one dockerd, so packages take turns; files inside a package still run in parallel.
status=0
GLCI_TEST_REPORT_DIR="$PWD/.turbo/test-reports" pnpm exec turbo run test --concurrency=1 --continue || status=$?
node scripts/test-summary.mjs .turbo/test-reports || status=1
exit "$status"
