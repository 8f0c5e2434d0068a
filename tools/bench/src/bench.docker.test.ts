import { describe, expect, it } from 'vitest';
import { createBlobFactory } from './blob-source.js';
import { runBench } from './harness.js';
import { PIPELINE_ROWS, runPipelineRows } from './pipeline-run/pipeline-rows.js';
import { GITLAB_CI_LOCAL } from './planning/planning-rows.js';
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

  // `glci run` (the built CLI) against gitlab-ci-local on the bench project: one round each, a cold
  // and a warm run, then the DAG project, then (glci) a run after a daemon stop. Both must run every
  // job as the pipelines say; glci must stop its containers with its daemon and leave nothing behind.
  it('runs the pipeline rows: both tools cold, warm and the DAG, the checks, the breakdown and the memory', async () => {
    const context: BenchContext = { sizes: QUICK_SIZES, blob: createBlobFactory(), progress: () => {} };
    const result = await runPipelineRows(context, { cliPath: GLCI_CLI, gitlabCiLocal: GITLAB_CI_LOCAL });

    expect(result.rows.map((row) => row.id)).toEqual(PIPELINE_ROWS.map((row) => row.id));
    for (const row of result.rows) {
      expect(row.error, row.id).toBeUndefined();
      expect(row.baseline.name).toBe('gitlab-ci-local');
      expect(row.candidate.name).toBe('glci');
      for (const side of [row.baseline, row.candidate]) {
        expect(side.samples, row.id).toHaveLength(1);
        expect(side.median, row.id).toBeGreaterThan(0);
      }
      expect(row.ratio, row.id).toBeGreaterThan(0);
      expect(typeof row.pass, row.id).toBe('boolean');
    }
    // A first line comes before the pipeline's end.
    const [cold, warm, firstTrace, dag] = result.rows;
    expect(firstTrace!.candidate.median!).toBeLessThan(warm!.candidate.median!);
    expect(firstTrace!.baseline.median!).toBeLessThan(warm!.baseline.median!);
    expect(cold!.candidate.median).toBeGreaterThan(0);
    // The DAG's scripts alone take 15 s by needs: neither tool can be faster.
    expect(dag!.candidate.median!).toBeGreaterThan(15);
    expect(dag!.baseline.median!).toBeGreaterThan(15);
    expect(result.checks).toEqual([
      expect.objectContaining({
        id: 'pipeline-first-trace',
        limitSeconds: 0.8,
        seconds: firstTrace!.candidate.median,
      }),
      expect.objectContaining({ id: 'pipeline-restart', limitSeconds: cold!.candidate.median }),
    ]);
    // Nothing of glci ran on after `glci daemon stop`.
    expect(result.checks[1]!.title).not.toContain('STILL RUNNING');
    expect(result.checks[1]!.seconds).toBeGreaterThan(0);
    const breakdown = result.breakdown.join('\n');
    expect(breakdown).toMatch(/where the time went, warm pipeline run/);
    expect(breakdown).toMatch(
      /first job lines, warm run .*: gitlab-ci-local starting \d+\.\d\d, first container output \d+\.\d\d \| glci running \(the runner took the job\) \d+\.\d\d, first container output \(live\) \d+\.\d\d/,
    );
    expect(breakdown).toMatch(/\nservice-check +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d/);
    expect(breakdown).toMatch(/\ntest-api +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d/);
    expect(breakdown).toMatch(/glci's critical path: \S+/);
    expect(result.memory.map((entry) => `${entry.tool}: ${entry.name}`)).toEqual([
      'glci: glci daemon',
      'glci: mock container',
      'glci: runner container',
      'gitlab-ci-local: gitlab-ci-local process',
    ]);
    for (const entry of result.memory) expect(entry.bytes, entry.name).toBeGreaterThan(1024 * 1024);

    const report = formatReport({
      startedAt: '',
      finishedAt: '',
      seconds: 1,
      machine: {
        cores: 2,
        cpu: 'x',
        memoryBytes: 1,
        node: 'v20',
        loadAverageBefore: [0],
        loadAverageAfter: [0],
      },
      sizes: QUICK_SIZES,
      baseline: { name: 'distribution', description: '' },
      candidate: { name: 'glci', description: '' },
      rows: result.rows,
      checks: result.checks,
      memory: result.memory,
      breakdown: result.breakdown,
    });
    expect(report).toMatch(/row\s+gitlab-ci-local\s+glci\s+ratio/);
    expect(report).toMatch(/glci run to the first job's first log line.*ms\s+<= 800 ms\s+(PASS|MISS)/);
    expect(report).toMatch(/where the time went, DAG run/);
    expect(report).toMatch(/mock container\s+glci\s+\d+ MiB/);
  }, 900_000);
});
