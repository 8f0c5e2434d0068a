import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, it, type TestContext } from 'vitest';
import { createProgram } from './program.js';
import { type CliSandbox, createCliSandbox, stackLines } from './test-support/run-glci.js';

function sandboxFor(context: TestContext): CliSandbox {
  const sandbox = createCliSandbox();
  context.onTestFinished(() => sandbox.remove());
  return sandbox;
}

/** Every command path, e.g. `['config']`, `['registry', 'serve']`, from the program itself. */
function commandPaths(command: Command, prefix: readonly string[] = []): string[][] {
  return command.commands.flatMap((sub) => [
    [...prefix, sub.name()],
    ...commandPaths(sub, [...prefix, sub.name()]),
  ]);
}

describe.concurrent('glci', () => {
  it('prints its help with --help, listing the commands', async (context) => {
    const { expect } = context;
    const result = await sandboxFor(context).run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Usage: glci \[options\] \[command\]\n/);
    expect(result.stdout).toMatch(/\n {2}config \[options\] +print the effective configuration/);
    expect(result.stdout).toMatch(/\n {2}version \[options\] +print the glci version/);
  });

  it('has --help on every command, without reading the configuration', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig('this is not toml');
    const paths = commandPaths(createProgram());
    expect(paths).toContainEqual(['config']);
    expect(paths).toContainEqual(['version']);
    const results = await Promise.all(paths.map((commandPath) => sandbox.run([...commandPath, '--help'])));
    results.forEach((result, index) => {
      const name = paths[index]!.join(' ');
      expect({ name, code: result.code, stderr: result.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^Usage: glci ${name}\\b`));
    });
  });

  it.for([
    { args: ['frobnicate'], line: "error: unknown command 'frobnicate'" },
    { args: ['--frobnicate'], line: "error: unknown option '--frobnicate'" },
    { args: ['config', '--frobnicate'], line: "error: unknown option '--frobnicate'" },
    {
      args: ['version', 'extra'],
      line: "error: too many arguments for 'version'. Expected 0 arguments but got 1.",
    },
    {
      args: ['--log-level', 'loud', 'version'],
      line: "error: option '--log-level <level>' argument 'loud' is invalid. Allowed choices are error, warn, info, debug.",
    },
  ])(
    'exits 2 for the usage mistake $args, with the message first and no stack trace',
    async ({ args, line }, context) => {
      const { expect } = context;
      const result = await sandboxFor(context).run(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')[0]).toBe(line);
      expect(stackLines(result.stderr)).toEqual([]);
    },
  );

  it('exits 2 for a configuration file it cannot read', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    mkdirSync(path.join(sandbox.glciHome, 'config.toml'));
    const result = await sandbox.run(['config']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'glci: invalid configuration\n~/.glci/config.toml: cannot be read (EISDIR)\n',
    });
  });
});
