import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GLCI_CLI, glciLauncher, shebangNodeFlags } from './registry-under-test.js';

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

describe('shebangNodeFlags', () => {
  it('reads the node flags of an env -S shebang, and none from a plain one', () => {
    expect(shebangNodeFlags('#!/usr/bin/env -S node --initial-old-space-size=128\nrest')).toEqual([
      '--initial-old-space-size=128',
    ]);
    expect(shebangNodeFlags('#!/usr/bin/env -S node --a=1  --b\n')).toEqual(['--a=1', '--b']);
    expect(shebangNodeFlags('#!/usr/bin/env node\n')).toEqual([]);
    expect(shebangNodeFlags('#!/usr/local/bin/node --x\n')).toEqual(['--x']);
    expect(shebangNodeFlags('console.log(1)\n')).toEqual([]);
  });

  it('finds the heap flag in the CLI the bench runs (built from apps/glci/src/bin.ts)', () => {
    const source = readFileSync(path.join(path.dirname(GLCI_CLI), '../src/bin.ts'), 'utf8');
    expect(shebangNodeFlags(source)).toContain('--initial-old-space-size=128');
  });
});
