import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;

/** Workspace packages resolve to their TypeScript sources in tests, so no build is needed first. */
const workspaceSources: Record<string, string> = {
  '@glci/config': 'packages/config/src',
  '@glci/registry': 'packages/registry/src',
  '@glci/proxy': 'packages/proxy/src',
  '@glci/runner-api': 'packages/runner-api/src',
  '@glci/docker': 'packages/docker/src',
  '@glci/daemon': 'packages/daemon/src',
  '@glci/executor': 'packages/executor/src',
  '@glci/pipeline': 'packages/pipeline/src',
  '@glci/gitlab': 'packages/gitlab/src',
  '@glci/gitlab-standin': 'tools/gitlab-standin/src',
  '@glci/mock': 'apps/mock/src',
  '@glci/testkit': 'tools/testkit/src',
};

const aliases = Object.entries(workspaceSources).flatMap(([name, dir]) => [
  // Sub-path exports map to a file of the same name: `@glci/registry/conformance` → src/conformance.ts.
  { find: new RegExp(`^${name}/(.+)$`), replacement: path.join(root, dir, '$1.ts') },
  { find: new RegExp(`^${name}$`), replacement: path.join(root, dir, 'index.ts') },
]);

/**
 * The vitest configuration every package shares. Tests that need a real Docker engine, registry
 * or S3 server are named `*.docker.test.ts`; they run in the same project but one file at a time,
 * because they share one dockerd.
 */
export function defineGlciProject(dirname: string) {
  return defineConfig({
    resolve: { alias: aliases },
    test: {
      root: dirname,
      include: ['src/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 120_000,
      fileParallelism: true,
      pool: 'forks',
      // scripts/test.sh collects one JSON report per package and prints the overall count. The
      // report lives in the package (`.test-report/`, a turbo output of the test task), so a test
      // run that turbo replays from its cache restores its report too and is still counted.
      ...(process.env.GLCI_TEST_REPORT
        ? {
            reporters: ['default', 'json'],
            outputFile: { json: path.join(dirname, '.test-report', 'vitest.json') },
          }
        : {}),
    },
  });
}
