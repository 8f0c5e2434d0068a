import { describe, expect, it } from 'vitest';
import { glciLauncher } from './registry-under-test.js';

describe('glciLauncher', () => {
  it('says how to build the CLI when it is missing', async () => {
    const launcher = glciLauncher({ cliPath: '/nonexistent/apps/glci/dist/bin.js' });
    expect(launcher.name).toBe('glci');
    await expect(launcher.start()).rejects.toThrow(/build the CLI first/);
  });

  it('fails at once with the output of a CLI that exits', async () => {
    const launcher = glciLauncher({ cliPath: process.execPath, extraArgs: [] });
    // `node <node binary> registry serve ...` cannot start: the launcher must report, not hang.
    const started = Date.now();
    await expect(launcher.start()).rejects.toThrow(/exited/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
