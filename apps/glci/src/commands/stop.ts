import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { parseDurationOption } from './option-parsers.js';
import { withUsageErrors } from './usage.js';

const loadActions = () => import('./stop/actions.js');

/** `glci stop [PIPELINE]`: cancel running pipelines through the daemon. */
export function registerStopCommand(program: Command, context: () => CliContext): void {
  program
    .command('stop')
    .description(
      "cancel a running pipeline and its child pipelines' jobs (default: every running pipeline of this project); after_script runs unless --force",
    )
    .argument('[pipeline]', 'pipeline id (a number)')
    .option('--force', 'cancel at once: no after_script, containers stopped')
    .option('--no-wait', 'return once the cancel is sent')
    .addOption(
      new Option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 5m)')
        .argParser(parseDurationOption)
        .default(2 * 60_000, '2m'),
    )
    .option('--json', 'machine-readable result: each pipeline with its final status')
    .action(
      async (
        pipeline: string | undefined,
        options: { force?: boolean; wait: boolean; timeout: number; json?: boolean },
        command: Command,
      ) => {
        await withUsageErrors(command, async () =>
          (await loadActions()).stopCommand(context(), pipeline, options),
        );
      },
    );
}
