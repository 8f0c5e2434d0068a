import { type Command, Option } from 'commander';
import type { CliContext } from '../../cli-context.js';

// @glci/pipeline (and the yaml parser) load only when one of these commands runs.
const loadActions = () => import('./actions.js');

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** How the GitLab instance is used: `show`, `variables`, `run` and `lint` share these. */
export function gitlabOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--secrets <scope>',
        'which CI/CD variables of the GitLab instance jobs get: all (instance, groups, project), project, or none',
      )
        .choices(['all', 'project', 'none'])
        .default('all'),
    )
    .option(
      '--refresh-secrets',
      "fetch the CI/CD variables again instead of the daemon's copy in memory ([gitlab] secrets_ttl)",
    )
    .option(
      '--refresh-includes',
      'fetch every include from the GitLab instance again instead of from the cache (branches, ~latest, templates and remote files are otherwise asked again after [gitlab] includes_ttl)',
    )
    .option(
      '--offline',
      "do not ask the GitLab instance: includes from glci's cache (with their age), CI/CD variables only from the daemon's memory",
    );
}

/** Options `show`, `variables` and `run` share: which pipeline to plan. */
export function planOptions(command: Command): Command {
  return gitlabOptions(command)
    .option('--context <context>', 'branch=NAME, merge_request (default), tag=NAME or env=NAME')
    .option('--mr-source <branch>', 'merge request source branch (default: the current branch)')
    .option('--mr-target <branch>', 'merge request target branch (default: the default branch)')
    .option('-p, --preset <name>', 'apply the [pipelines.NAME] preset of .glciconfig.toml')
    .addOption(
      new Option(
        '--input <key=value>',
        'a value for spec:inputs (repeatable; wins over --inputs-file)',
      ).argParser(collect),
    )
    .option('--inputs-file <file>', 'spec:inputs values from a YAML file')
    .addOption(new Option('--env <KEY=VALUE>', 'a pipeline variable (repeatable)').argParser(collect))
    .option('--env-file <file>', 'pipeline variables from a KEY=VALUE file')
    .addOption(
      new Option(
        '--project-dir <group/project=dir>',
        'a local checkout for include:project / trigger:project (repeatable)',
      ).argParser(collect),
    )
    .option('--file <file>', 'the CI file, relative to the repository root', '.gitlab-ci.yml')
    .option('--no-dirty', 'plan the committed HEAD only (ignore uncommitted and untracked files)');
}

/** `glci show`, `glci variables JOB`, `glci lint [FILE]`. */
export function registerPipelineCommands(program: Command, context: () => CliContext): void {
  planOptions(
    program
      .command('show')
      .description('show the pipeline GitLab would create for a context: stages, jobs, needs, excluded jobs'),
  )
    .addOption(
      new Option('--format <format>', 'text (stage columns with needs), mermaid or dot')
        .choices(['text', 'mermaid', 'dot'])
        .default('text'),
    )
    .option('--json', 'the full plan as JSON (jobs, excluded jobs, variable layers, rule traces)')
    .action(async (options) => {
      await (await loadActions()).showCommand(context(), options);
    });

  planOptions(
    program
      .command('variables')
      .description("a job's variables with where each came from, and how its rules were evaluated")
      .argument(
        '<job>',
        'job name (a parallel instance by its full name, e.g. "test 1/2" or "build: [amd64]")',
      ),
  )
    .option('--all', 'also list the predefined CI_* variables')
    .option('--show-masked', 'show the values of masked variables (hidden as [MASKED] otherwise)')
    .option('--json', 'machine-readable output')
    .action(async (job: string, options) => {
      await (await loadActions()).variablesCommand(context(), job, options);
    });

  gitlabOptions(program.command('lint'))
    .description(
      "validate a CI configuration as GitLab's CI Lint does (includes, extends, !reference, keywords, needs, dependencies, stages, cycles, rules); exit 1 when invalid",
    )
    .argument('[file]', 'the CI file (default: .gitlab-ci.yml of the repository); - reads standard input')
    .option(
      '--context <context>',
      'the context include rules are evaluated for: branch=NAME, merge_request, tag=NAME or env=NAME (default: the default branch, as CI Lint)',
    )
    .option(
      '--json',
      'machine-readable result: { valid, issues: [{ file, line, column, keyPath, message }] }',
    )
    .addOption(new Option('--input <key=value>', 'a value for spec:inputs (repeatable)').argParser(collect))
    .addOption(
      new Option(
        '--project-dir <group/project=dir>',
        'a local checkout for include:project (repeatable)',
      ).argParser(collect),
    )
    .action(async (file: string | undefined, options) => {
      await (await loadActions()).lintCommand(context(), file, options);
    });
}
