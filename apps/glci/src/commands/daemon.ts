import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { parseDurationOption, parsePositiveInteger } from './option-parsers.js';

// The actions (and @glci/daemon behind them) load only when a daemon command runs.
const loadActions = () => import('./daemon/actions.js');

/** `glci daemon status | start | stop | logs`, and the hidden `glci daemon run` (the daemon itself). */
export function registerDaemonCommand(program: Command, context: () => CliContext): void {
  const daemon = program
    .command('daemon')
    .description('the background daemon that runs pipelines (started automatically; rarely needed by hand)');

  daemon
    .command('status')
    .description('whether the daemon runs: pid, uptime, commit, active pipelines')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      await (await loadActions()).statusCommand(context(), options);
    });

  daemon
    .command('start')
    .description('start the daemon (restarting an idle one of another glci build)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      await (await loadActions()).startCommand(context(), options);
    });

  daemon
    .command('stop')
    .description('stop the daemon gracefully: it waits for running pipelines to finish')
    .option('--force', 'cancel running pipelines instead of waiting for them')
    .addOption(
      new Option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 10m)')
        .argParser(parseDurationOption)
        .default(10 * 60_000, '10m'),
    )
    .option('--json', 'machine-readable output')
    .action(async (options: { force?: boolean; json?: boolean; timeout: number }) => {
      await (await loadActions()).stopCommand(context(), options);
    });

  daemon
    .command('logs')
    .description("show the daemon's log (the last 50 lines)")
    .option('-F, --follow', 'keep printing new lines as they are written')
    .addOption(
      new Option('-n, --lines <count>', 'how many lines').argParser(parsePositiveInteger).default(50),
    )
    .option('--json', 'print the log lines as stored (one JSON object per line)')
    .action(async (options: { follow?: boolean; lines: number; json?: boolean }) => {
      await (await loadActions()).logsCommand(context(), options);
    });

  daemon
    .command('run', { hidden: true })
    .description('run the daemon in this process (what "glci daemon start" spawns)')
    .option('--foreground', 'also log to stderr')
    .action(async (options: { foreground?: boolean }) => {
      await (await loadActions()).runCommand(context(), options);
    });
}
