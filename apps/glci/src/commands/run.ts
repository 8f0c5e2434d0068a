import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, planOptions } from './pipeline/index.js';
import { withUsageErrors } from './usage.js';

// The planner, the daemon client and the renderer load only when `glci run` runs.
const loadActions = () => import('./run/actions.js');

/** `glci run [JOB…]`: the pipeline on this machine, through the daemon, jobs run by the official runner. */
export function registerRunCommand(program: Command, context: () => CliContext): void {
  planOptions(
    program
      .command('run')
      .description(
        "run the project's pipeline (or the named jobs and what they need) in Docker with the official gitlab-runner",
      )
      .argument('[jobs...]', 'jobs to run, with the jobs they need (default: the whole pipeline)'),
  )
    .addOption(new Option('--skip <job>', 'leave a job out (repeatable; adds to [skip])').argParser(collect))
    .addOption(new Option('--manual <job>', 'run a manual job too (repeatable)').argParser(collect))
    .option('--manual-all', 'run every manual job')
    .option('--concurrency <n>', 'jobs at once (default: [defaults] concurrency; 0 = no limit)', (value) =>
      Number.parseInt(value, 10),
    )
    .option(
      '--push-through',
      'mirror every image this pipeline pushes to the upstream registry ([registry.upstream]) as it is pushed',
    )
    .option(
      '--no-registry',
      'no embedded registry for the jobs: no CI_REGISTRY variables, images pulled by the runner itself',
    )
    .option('--registry <url>', 'push to this registry instead of the embedded one (over [registry] url)')
    .option('--registry-user <user>', "the external registry's user (over [registry] username)")
    .option(
      '--registry-password <password>',
      'the external registry\'s password (over [registry] password; prefer password = "$VAR" in the config: flags show in ps)',
    )
    .option(
      '--any-runner',
      'run jobs whose tags no [runners.NAME] has on the shared runner instead of leaving them pending',
    )
    .option(
      '--show-variables',
      "print the variables each job gets (CI/CD variables included, masked values as [MASKED]; its needs' dotenv reports come at its start)",
    )
    .option('--expand', 'show the lines of folded log sections too')
    .option('--no-color', 'no colours even on a terminal (also NO_COLOR)')
    .option('--json', 'one event per line (NDJSON) instead of logs and a summary')
    .action(async (jobs: string[], options, command: Command) => {
      await withUsageErrors(command, async () => (await loadActions()).runCommand(context(), jobs, options));
    });
}
