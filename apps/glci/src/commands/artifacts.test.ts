import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, type TestContext } from 'vitest';
import { sandboxHistory, storePipeline, zipOf } from '../test-support/history.js';
import { type CliSandbox, createCliSandbox } from '../test-support/run-glci.js';

function sandboxFor(context: TestContext): CliSandbox {
  const sandbox = createCliSandbox();
  context.onTestFinished(() => sandbox.remove());
  return sandbox;
}

/** Pipeline 1: `build` stored dist/ and a dotenv report; `lint` stored nothing. */
async function builtPipeline(sandbox: CliSandbox) {
  const history = sandboxHistory(sandbox);
  const id = await storePipeline(history, [
    { id: 1, name: 'build', stage: 'build' },
    { id: 2, name: 'lint', stage: 'test' },
  ]);
  const job = history.job(id, 1);
  await job.writeArtifact(
    { type: 'archive', format: 'zip' },
    await zipOf({ 'dist/app.js': 'console.log("app");\n', 'dist/index.html': '<html></html>\n' }),
  );
  // Node's gzip writes no file name: the report's single file is named after its type.
  await job.writeArtifact({ type: 'dotenv', format: 'gzip' }, gzipSync('VERSION=1.2.3\n'));
  return { history, id };
}

describe('glci artifacts', { timeout: 60_000 }, () => {
  it("lists a job's archive and reports", async (context) => {
    const sandbox = sandboxFor(context);
    await builtPipeline(sandbox);
    const result = await sandbox.run(['artifacts', 'inspect', 'build']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      new RegExp(
        [
          '^Artifacts of job build \\(1\\) of pipeline 1:',
          '',
          'artifacts\\.zip \\(\\d+ B\\)',
          'NAME +SIZE +MODE +MODIFIED',
          'dist/app\\.js +20 B +0644 +2026-11-23T08:00:00Z',
          'dist/index\\.html +14 B +0644 +2026-11-23T08:00:00Z',
          '',
          'report dotenv \\(gzip, \\d+ B\\)',
          'NAME +SIZE +MODE +MODIFIED',
          'dotenv +14 B',
          '',
          '$',
        ].join('\\n'),
      ),
    );
    const report = JSON.parse(
      (await sandbox.run(['artifacts', 'inspect', '1', 'build', '--report', 'dotenv', '--json'])).stdout,
    );
    expect(report).toMatchObject({
      type: 'dotenv',
      format: 'gzip',
      entries: [{ name: 'dotenv', kind: 'file', size: 14 }],
    });
  });

  it('extracts the archive or a report into --dest, refusing to overwrite unless forced', async (context) => {
    const sandbox = sandboxFor(context);
    await builtPipeline(sandbox);
    const dest = path.join(sandbox.home, 'out');
    const first = await sandbox.run(['artifacts', 'extract', 'build', '--dest', dest]);
    expect(first).toEqual({
      code: 0,
      stdout: `Extracted 2 files of build's artifacts to ${dest}\n`,
      stderr: '',
    });
    expect(readFileSync(path.join(dest, 'dist/app.js'), 'utf8')).toBe('console.log("app");\n');
    const again = await sandbox.run(['artifacts', 'extract', 'build', '--dest', dest]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `glci: ${path.join(dest, 'dist/app.js')} already exists (extract into an empty directory, or pass --force to replace files)\n`,
    );
    expect((await sandbox.run(['artifacts', 'extract', 'build', '--dest', dest, '--force'])).code).toBe(0);
    const report = await sandbox.run([
      'artifacts',
      'extract',
      '1',
      'build',
      '--report',
      'dotenv',
      '--dest',
      'env',
    ]);
    expect(report.stdout).toBe(
      `Extracted 1 file of build's dotenv report to ${path.join(sandbox.cwd, 'env')}\n`,
    );
    expect(readFileSync(path.join(sandbox.cwd, 'env', 'dotenv'), 'utf8')).toBe('VERSION=1.2.3\n');
  });

  it('refuses an archive entry that would land outside the destination', async (context) => {
    const sandbox = sandboxFor(context);
    const { history, id } = await builtPipeline(sandbox);
    const hostile = await zipOf({ 'xx/evil.sh': 'rm -rf ~\n' });
    // The same length, so the name is replaced in place in both zip headers.
    const patched = Buffer.from(hostile.toString('latin1').replaceAll('xx/evil.sh', '../evil.sh'), 'latin1');
    await history.job(id, 2).writeArtifact({ type: 'archive', format: 'zip' }, patched);
    const dest = path.join(sandbox.home, 'out');
    const result = await sandbox.run(['artifacts', 'extract', 'lint', '--dest', dest]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^glci: refusing entry "\.\.\/evil\.sh" of .*artifacts\.zip: invalid relative path;/,
    );
    expect(existsSync(path.join(sandbox.home, 'evil.sh'))).toBe(false);
  });

  it('says what a job has when the asked archive is missing', async (context) => {
    const sandbox = sandboxFor(context);
    await builtPipeline(sandbox);
    expect(await sandbox.run(['artifacts', 'inspect', 'build', '--report', 'junit'])).toMatchObject({
      code: 1,
      stderr:
        'glci: job build (1) of pipeline 1 has no junit report (it has the artifacts archive, report dotenv)\n',
    });
    expect(await sandbox.run(['artifacts', 'extract', 'lint'])).toMatchObject({
      code: 1,
      stderr: 'glci: job lint (2) of pipeline 1 has no artifacts archive (it stored no artifacts)\n',
    });
    expect((await sandbox.run(['artifacts', 'inspect', 'lint'])).stdout).toBe(
      'job lint (2) of pipeline 1 stored no artifacts.\n',
    );
  });
});
