import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Command, CommanderError } from 'commander';
import { describe, expect, it, type TestContext } from 'vitest';
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

describe('glci', () => {
  it('prints its help with --help, listing the commands', async (context) => {
    const { expect } = context;
    const result = await sandboxFor(context).run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Usage: glci \[options\] \[command\]\n/);
    expect(result.stdout).toMatch(/\n {2}config \[options\] +print the effective configuration/);
    expect(result.stdout).toMatch(/\n {2}version \[options\] +print the glci version/);
  });

  it('prints a subcommand help with --help, without reading the configuration', async (context) => {
    const { expect } = context;
    const sandbox = sandboxFor(context);
    sandbox.writeUserConfig('this is not toml');
    const result = await sandbox.run(['config', '--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Usage: glci config \[options\]\n/);
    expect(result.stdout).toContain('--network');
    expect(result.stdout).toContain('--json');
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

describe('every command', () => {
  /** The program with every command throwing instead of exiting and writing its output here. */
  function capturedProgram(): { program: Command; output: () => string } {
    let output = '';
    const notLoaded = () => {
      throw new Error('--help must not load the configuration or the logger');
    };
    const program = createProgram({
      cwd: '/',
      env: {},
      out: process.stdout,
      config: notLoaded,
      logger: notLoaded,
    });
    const capture = (command: Command): void => {
      command.exitOverride().configureOutput({
        writeOut: (text) => {
          output += text;
        },
        writeErr: (text) => {
          output += text;
        },
      });
      for (const subcommand of command.commands) capture(subcommand);
    };
    capture(program);
    return { program, output: () => output };
  }

  const paths = commandPaths(createProgram());

  it('includes config and version', () => {
    expect(paths).toContainEqual(['config']);
    expect(paths).toContainEqual(['version']);
  });

  it.each(paths.map((commandPath) => [commandPath.join(' ')]))('glci %s has --help', async (name) => {
    const { program, output } = capturedProgram();
    const error = await program
      .parseAsync(['node', 'glci', ...name.split(' '), '--help'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(0);
    expect(output()).toMatch(new RegExp(`^Usage: glci ${name}\\b`));
  });
});
