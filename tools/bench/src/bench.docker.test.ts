import { describe, expect, it } from 'vitest';
import { createBlobFactory } from './blob-source.js';
import { runBench } from './harness.js';
import { distributionLauncher, GLCI_CLI, glciLauncher } from './registry-under-test.js';
import { formatReport } from './report.js';
import { type BenchContext, QUICK_SIZES } from './scenario.js';
import { allScenarios } from './scenarios/index.js';

// The harness itself in --quick mode against both real registries, distribution and glci: every row must come out measured and
// well-formed. This checks the benchmark, not anyone's speed: no timing is asserted.
describe('pnpm bench --quick', () => {
  it('measures every row on distribution and glci and reports a ratio, a verdict and peak RSS', async () => {
    const context: BenchContext = {
      sizes: { ...QUICK_SIZES, manifestSeconds: 0.5 },
      blob: createBlobFactory(),
      progress: () => {},
    };
    const groups = allScenarios(context);
    const result = await runBench({
      baseline: distributionLauncher(),
      // glci from the built CLI (turbo builds @glci/cli before this package's tests).
      candidate: glciLauncher({ cliPath: GLCI_CLI }),
      context,
      groups,
    });

    expect(result.rows.map((row) => row.id)).toEqual(
      groups.flatMap((group) => group.rows.map((row) => row.id)),
    );
    for (const row of result.rows) {
      expect(row.error, row.id).toBeUndefined();
      for (const side of [row.baseline, row.candidate]) {
        expect(side.samples, row.id).toHaveLength(1);
        expect(side.median, row.id).toBeGreaterThan(0);
        expect(side.rssPeak, row.id).toBeGreaterThan(1024 * 1024);
      }
      expect(row.ratio, row.id).toBeGreaterThan(0);
      expect(typeof row.pass, row.id).toBe('boolean');
    }
    expect(result.rows.filter((row) => row.rssTarget !== undefined).map((row) => row.id)).toEqual([
      'push-monolithic',
      'push-chunked',
      'pull',
      's3-push',
      's3-pull',
      's3-pull-hot',
    ]);

    const report = formatReport(result);
    for (const row of result.rows) {
      expect(report).toMatch(
        new RegExp(
          `${row.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s.*x\\s+>= .*x\\s+(PASS|MISS)\\s+\\S+\\n`,
        ),
      );
    }
    expect(report).toMatch(/\d+ PASS, \d+ MISS, 0 ERROR/);
  }, 600_000);
});
