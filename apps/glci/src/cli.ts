import { ConfigError } from '@glci/config';
import { type Command, CommanderError } from 'commander';
import { CommandExit } from './command-exit.js';
import { createProgram } from './program.js';

/**
 * Commander exits the process itself (with code 1) on a subcommand's usage error unless every
 * command has its own exit override; set them all, so that `main` decides every exit code.
 */
function throwInsteadOfExit(command: Command): Command {
  command.exitOverride();
  for (const subcommand of command.commands) throwInsteadOfExit(subcommand);
  return command;
}

/**
 * The CLI: parses `argv` and runs the command. Exit codes: 0 ok, 1 failure, 2 usage or
 * configuration error. `bin.ts` runs it from the sources, `bundle-launcher.ts` from the bundle.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = throwInsteadOfExit(createProgram());
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof ConfigError) {
      process.stderr.write(`glci: invalid configuration\n${error.message}\n`);
      return 2;
    }
    // Checked by name, so that this entry does not load @glci/pipeline for every command.
    const name = error instanceof Error ? error.name : '';
    if (name === 'LintFailed') return 1;
    if (name === 'PipelineConfigError' || name === 'UnsupportedFeatureError') {
      process.stderr.write(`glci: invalid CI configuration\n${(error as Error).message}\n`);
      return 2;
    }
    if (name === 'PipelineUsageError') {
      process.stderr.write(`glci: ${(error as Error).message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`glci: ${message}\n`);
    if (process.env.GLCI_LOG_LEVEL === 'debug' && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    return 1;
  }
}
