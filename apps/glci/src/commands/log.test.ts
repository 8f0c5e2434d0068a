import { describe, expect, it, type TestContext } from 'vitest';
import { runnerTrace, sandboxHistory, storePipeline } from '../test-support/history.js';
import { type CliSandbox, createCliSandbox, stackLines } from '../test-support/run-glci.js';

function sandboxFor(context: TestContext): CliSandbox {
  const sandbox = createCliSandbox();
  context.onTestFinished(() => sandbox.remove());
  return sandbox;
}

const buildTrace = runnerTrace(['\x1b[32;1m$ make\x1b[0;m', 'cc -o app main.c']);
const testTrace = runnerTrace(
  ['\x1b[32;1m$ make test\x1b[0;m', '\x1b[31mFAIL: adds numbers\x1b[0m'],
  '\x1b[31;1mERROR: Job failed: exit code 2\x1b[0;m',
);

/** Two pipelines: 1 (build only) and 2 (build, test with a retry, a skipped deploy). */
async function twoPipelines(sandbox: CliSandbox) {
  const history = sandboxHistory(sandbox);
  await storePipeline(history, [{ id: 1, name: 'build', stage: 'build', trace: runnerTrace(['old run']) }]);
  const latest = await storePipeline(history, [
    { id: 1, name: 'build', stage: 'build', trace: buildTrace },
    {
      id: 2,
      name: 'unit test',
      stage: 'test',
      status: 'failed',
      exitCode: 2,
      trace: runnerTrace(['first attempt']),
    },
    {
      id: 3,
      name: 'unit test',
      stage: 'test',
      status: 'failed',
      exitCode: 2,
      failureReason: 'script_failure',
      trace: testTrace,
    },
    { id: 4, name: 'deploy', stage: 'deploy', status: 'skipped' },
  ]);
  return { history, latest };
}

describe('glci log', { timeout: 60_000 }, () => {
  it("prints every job of the project's newest pipeline, prefixed and folded", async (context) => {
    const sandbox = sandboxFor(context);
    await twoPipelines(sandbox);
    const result = await sandbox.run(['log']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'build     | Running with gitlab-runner 17.9.0 (c4cbe9dd)',
        'build     | ▸ Getting source from Git repository (2s)',
        'build     | ▾ Executing "step_script" stage of the job script',
        'build     | $ make',
        'build     | cc -o app main.c',
        'build     | Job succeeded',
        'unit test | Running with gitlab-runner 17.9.0 (c4cbe9dd)',
        'unit test | ▸ Getting source from Git repository (2s)',
        'unit test | ▾ Executing "step_script" stage of the job script',
        'unit test | first attempt',
        'unit test | Job succeeded',
        'unit test | Running with gitlab-runner 17.9.0 (c4cbe9dd)',
        'unit test | ▸ Getting source from Git repository (2s)',
        'unit test | ▾ Executing "step_script" stage of the job script',
        'unit test | $ make test',
        'unit test | FAIL: adds numbers',
        'unit test | ERROR: Job failed: exit code 2',
        'deploy    | (no log: the job is skipped)',
        '',
      ].join('\n'),
    );
  });

  it('prints one job, the last attempt of a retried one, of the newest or a given pipeline', async (context) => {
    const sandbox = sandboxFor(context);
    await twoPipelines(sandbox);
    const retried = await sandbox.run(['log', 'unit test']);
    expect(retried.stdout).toContain('unit test | FAIL: adds numbers');
    expect(retried.stdout).not.toContain('first attempt');
    expect((await sandbox.run(['log', '2', '2'])).stdout).toContain('unit test | first attempt');
    expect((await sandbox.run(['log', '1', 'build'])).stdout).toContain('build | old run');
    const first = await sandbox.run(['log', '1']);
    expect(first.stdout).toContain('build | old run');
    expect(first.stdout).not.toContain('cc -o app');
  });

  it('prints folded lines with --expand, and the stored bytes with --raw', async (context) => {
    const sandbox = sandboxFor(context);
    await twoPipelines(sandbox);
    const expanded = await sandbox.run(['log', 'build', '--expand']);
    expect(expanded.stdout).toContain('build | Fetching changes with git depth set to 20...');
    expect(expanded.stdout).toContain('build | ▴ get_sources (2s)');
    const raw = await sandbox.run(['log', 'build', '--raw']);
    expect(raw.stdout).toBe(buildTrace);
  });

  it('gives scripts the record and each job with its plain lines and sections', async (context) => {
    const sandbox = sandboxFor(context);
    await twoPipelines(sandbox);
    const result = await sandbox.run(['log', 'build', '--json']);
    const report = JSON.parse(result.stdout) as {
      pipeline: { id: number; ref: string; jobs: unknown[] };
      jobs: { name: string; lines: string[]; sections: unknown[] }[];
    };
    expect(report.pipeline).toMatchObject({ id: 2, ref: 'main' });
    expect(report.jobs).toHaveLength(1);
    expect(report.jobs[0]).toMatchObject({
      name: 'build',
      status: 'success',
      lines: [
        'Running with gitlab-runner 17.9.0 (c4cbe9dd)',
        'Fetching changes with git depth set to 20...',
        '$ make',
        'cc -o app main.c',
        'Job succeeded',
      ],
      sections: [
        {
          name: 'get_sources',
          header: 'Getting source from Git repository',
          start: 1732350000,
          end: 1732350002,
        },
        {
          name: 'step_script',
          header: 'Executing "step_script" stage of the job script',
          start: 1732350002,
          end: 1732350005,
        },
      ],
    });
  });

  it('says what is missing, naming the jobs there are', async (context) => {
    const sandbox = sandboxFor(context);
    const empty = await sandbox.run(['log']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^glci: no pipeline has run for .* yet \(glci run starts one\)\n$/);
    await twoPipelines(sandbox);
    expect(await sandbox.run(['log', 'lint'])).toMatchObject({
      code: 1,
      stderr: 'glci: pipeline 2 has no job "lint"; its jobs: build, unit test, deploy\n',
    });
    expect(await sandbox.run(['log', '99'])).toMatchObject({
      code: 1,
      stderr: 'glci: pipeline 99 is not in the history (it may have been pruned)\n',
    });
    const usage = await sandbox.run(['log', 'latest', 'build']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.split('\n')[0]).toBe('error: "latest" is not a pipeline id (a number such as 42)');
    expect(stackLines(usage.stderr)).toEqual([]);
  });

  it('finds a pipeline of another project by its id', async (context) => {
    const sandbox = sandboxFor(context);
    await twoPipelines(sandbox);
    const elsewhere = await sandbox.run(['log', '1', 'build'], {}, sandbox.home);
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stdout).toContain('build | old run');
  });
});
