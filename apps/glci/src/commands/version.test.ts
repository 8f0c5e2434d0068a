import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { createCliSandbox } from '../test-support/run-glci.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const head = execFileSync('git', ['rev-parse', 'HEAD'], {
  cwd: import.meta.dirname,
  encoding: 'utf8',
}).trim();
const platform = `${process.platform}/${process.arch}`;

describe('glci version', { timeout: 60_000 }, () => {
  it('prints the glci version and commit, Node and platform, and that no daemon runs', async ({
    expect,
    onTestFinished,
  }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['version']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    // Run from sources, the commit is the checkout's, with a dirty marker when it has changes.
    expect(result.stdout).toMatch(
      new RegExp(
        `^glci    ${version} commit ${head.slice(0, 12)}(-dirty\\.[0-9a-f]{8})? \\(node ${process.version}, ${platform}\\)\\ndaemon  not running\\n$`,
      ),
    );
  });

  it('prints JSON with --json', async ({ expect, onTestFinished }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['version', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      glci: version,
      commit: head,
      ...(/"dirty"/.test(result.stdout) ? { dirty: expect.stringMatching(/^[0-9a-f]{8}$/) } : {}),
      buildSource: 'git',
      node: process.version,
      platform,
      daemon: { running: false, socket: path.join(sandbox.glciHome, 'daemon.sock') },
    });
  });

  it('prints the bare version with --version', async ({ expect, onTestFinished }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    expect(await sandbox.run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('still prints its own version when the configuration is broken', async ({ expect, onTestFinished }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    sandbox.writeUserConfig('this is not toml');
    const result = await sandbox.run(['version']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /\ndaemon {2}unknown: the configuration is invalid \(glci config shows why\)\n$/,
    );
  });
});
