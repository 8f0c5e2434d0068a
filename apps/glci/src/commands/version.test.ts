import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { createCliSandbox } from '../test-support/run-glci.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('glci version', () => {
  it('prints the glci, Node and platform versions', async ({ expect, onTestFinished }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['version']);
    expect(result).toEqual({
      code: 0,
      stdout: `glci ${version} (node ${process.version}, ${process.platform}/${process.arch})\n`,
      stderr: '',
    });
  });

  it('prints JSON with --json', async ({ expect, onTestFinished }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    const result = await sandbox.run(['version', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      glci: version,
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
    });
  });

  it('prints the bare version with --version', async ({ expect, onTestFinished }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    expect(await sandbox.run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('does not read the configuration, so a broken config file does not stop it', async ({
    expect,
    onTestFinished,
  }) => {
    const sandbox = createCliSandbox();
    onTestFinished(() => sandbox.remove());
    sandbox.writeUserConfig('this is not toml');
    const result = await sandbox.run(['version']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
