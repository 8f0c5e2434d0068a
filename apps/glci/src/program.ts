import type { LogLevel } from '@glci/config';
import { Command, Option } from 'commander';
import { type CliContext, createCliContext } from './cli-context.js';
import { registerArtifactsCommand } from './commands/artifacts.js';
import { cliVersion } from './commands/cli-version.js';
import { registerConfigCommand } from './commands/config.js';
import { registerDaemonCommand } from './commands/daemon.js';
import { registerLogCommand } from './commands/log.js';
import { registerPipelineCommands } from './commands/pipeline/index.js';
import { registerRegistryCommand } from './commands/registry/index.js';
import { registerRunCommand } from './commands/run.js';
import { registerStopCommand } from './commands/stop.js';
import { registerSystemCommand } from './commands/system.js';
import { registerVersionCommand } from './commands/version.js';

/** Builds the command tree. Each command lives in its own module under `commands/`. */
export function createProgram(contextOverride?: CliContext): Command {
  const program = new Command('glci')
    .description(
      'Run GitLab CI pipelines locally in real Docker, with an embedded OCI registry and pull-through cache',
    )
    .version(cliVersion(), '-V, --version', 'print the glci version')
    .addOption(
      new Option('--log-level <level>', 'log verbosity')
        .choices(['error', 'warn', 'info', 'debug'])
        .env('GLCI_LOG_LEVEL'),
    )
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });

  let context: CliContext | undefined = contextOverride;
  const getContext = () => {
    context ??= createCliContext({ logLevel: program.opts<{ logLevel?: LogLevel }>().logLevel });
    return context;
  };

  registerConfigCommand(program, getContext);
  registerVersionCommand(program, getContext);
  registerSystemCommand(program, getContext);
  registerRegistryCommand(program, getContext);
  registerPipelineCommands(program, getContext);
  registerRunCommand(program, getContext);
  registerStopCommand(program, getContext);
  registerDaemonCommand(program, getContext);
  registerLogCommand(program, getContext);
  registerArtifactsCommand(program, getContext);
  return program;
}
