import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { withUsageErrors } from './usage.js';

const loadActions = () => import('./artifacts/actions.js');

/** `glci artifacts inspect|extract [PIPELINE] JOB`: a job's artifacts archive and report archives from the history. */
export function registerArtifactsCommand(program: Command, context: () => CliContext): void {
  const artifacts = program
    .command('artifacts')
    .description("inspect or extract a job's artifacts (the artifacts:paths archive and its reports)");

  artifacts
    .command('inspect')
    .description("list what a job's artifacts hold (default pipeline: this project's newest)")
    .argument('<pipeline-or-job>', 'pipeline id, then the job; or only the job (of the newest pipeline)')
    .argument('[job]', 'job name or id')
    .option('--report <type>', 'list the files of this report (junit, dotenv, …) instead')
    .option('--json', 'machine-readable output')
    .action(
      async (
        first: string,
        second: string | undefined,
        options: { report?: string; json?: boolean },
        command: Command,
      ) => {
        await withUsageErrors(command, async () =>
          (await loadActions()).inspectCommand(context(), first, second, options),
        );
      },
    );

  artifacts
    .command('extract')
    .description("extract a job's artifacts archive (or a report's files) into a directory")
    .argument('<pipeline-or-job>', 'pipeline id, then the job; or only the job (of the newest pipeline)')
    .argument('[job]', 'job name or id')
    .option('--dest <dir>', 'where to extract (created if missing)', '.')
    .option('--report <type>', "extract this report's files (junit, dotenv, …) instead of the archive")
    .option('--force', 'replace files that already exist')
    .option('--json', 'machine-readable output')
    .action(
      async (
        first: string,
        second: string | undefined,
        options: { dest: string; report?: string; force?: boolean; json?: boolean },
        command: Command,
      ) => {
        await withUsageErrors(command, async () =>
          (await loadActions()).extractCommand(context(), first, second, options),
        );
      },
    );
}
