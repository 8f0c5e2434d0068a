import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { withUsageErrors } from './usage.js';

const loadActions = () => import('./log/actions.js');

/** `glci log [PIPELINE] [JOB]`: a pipeline's job logs from the history. */
export function registerLogCommand(program: Command, context: () => CliContext): void {
  program
    .command('log')
    .description(
      "show a pipeline's job logs (default: the newest pipeline of this project, every job in order)",
    )
    .argument(
      '[pipeline]',
      'pipeline id (a number); a single non-numeric argument is a job of the newest pipeline',
    )
    .argument('[job]', 'job name (the last attempt when retried) or job id')
    .option('--expand', 'show the lines of folded sections too, and where each section ends')
    .option('--raw', 'print the log bytes as the runner sent them (timestamps, escapes and all)')
    .option('--no-color', 'no colours even on a terminal (also NO_COLOR)')
    .option('--json', 'the pipeline record and each job with its plain log lines and sections')
    .option(
      '--timings',
      "where the pipeline's time went: each job's sections and durations, and the critical path (with --json: as data)",
    )
    .option('--svg <file>', 'write the pipeline as an SVG timeline to FILE (implies --timings)')
    .action(
      async (
        first: string | undefined,
        second: string | undefined,
        options: {
          expand?: boolean;
          raw?: boolean;
          color: boolean;
          json?: boolean;
          timings?: boolean;
          svg?: string;
        },
        command: Command,
      ) => {
        await withUsageErrors(command, async () =>
          (await loadActions()).logCommand(context(), first, second, options),
        );
      },
    );
}
