import type { PullPolicy } from '@glci/docker';
import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { type Confirm, confirmOnTerminal } from './system/confirm.js';

export interface SystemCommandOptions {
  /** How `prune` asks for confirmation; a terminal prompt by default. */
  readonly confirm?: Confirm;
}

const instanceOption = () =>
  new Option('--instance <name>', "only the objects of this glci instance (default: all of glci's objects)");

// The actions (and @glci/docker with dockerode) load only when a system command runs.
const loadActions = () => import('./system/actions.js');

/**
 * `glci system df | prune | docker containers|networks|volumes|pull`: glci's Docker objects, found
 * by label; `glci system logs info|clean`: the daemon's log.
 */
export function registerSystemCommand(
  program: Command,
  context: () => CliContext,
  commandOptions: SystemCommandOptions = {},
): void {
  const system = program.command('system').description("manage glci's Docker objects and disk use");

  system
    .command('df')
    .description("space used by glci's containers, images, volumes (registry, cache) and networks")
    .option('--json', 'machine-readable output (sizes in bytes)')
    .addOption(instanceOption())
    .action(async (options: { json?: boolean; instance?: string }) => {
      await (await loadActions()).diskUsageCommand(context(), options);
    });

  system
    .command('prune')
    .description(
      'remove stopped glci containers, unused glci networks and orphaned volumes (keeps registry, registry CA and cache)',
    )
    .option('--all', 'remove everything glci made, registry data and CI cache included')
    .option('--force', 'do not ask for confirmation')
    .addOption(instanceOption())
    .action(async (options: { all?: boolean; force?: boolean; instance?: string }) => {
      await (await loadActions()).pruneCommand(
        context(),
        options,
        commandOptions.confirm ?? confirmOnTerminal,
      );
    });

  const cache = system.command('cache').description('the CI cache jobs share (cache: in .gitlab-ci.yml)');
  cache
    .command('clean')
    .description('delete every CI cache entry; the next jobs start cold')
    .option('--json', 'machine-readable result (size in bytes)')
    .action(async (options: { json?: boolean }) => {
      await (await import('./system/cache-actions.js')).cacheCleanCommand(context(), options);
    });

  const logs = system.command('logs').description("the daemon's log files");
  const loadLogActions = () => import('./system/logs-actions.js');
  logs
    .command('info')
    .description("the daemon log's path and size, with its rotations")
    .option('--json', 'machine-readable output (sizes in bytes)')
    .action(async (options: { json?: boolean }) => {
      await (await loadLogActions()).logsInfoCommand(context(), options);
    });
  logs
    .command('clean')
    .description('remove the daemon log and its rotations (a running daemon’s log is emptied)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      await (await loadLogActions()).logsCleanCommand(context(), options);
    });

  const docker = system.command('docker').description("list glci's Docker objects (found by label)");
  const list = (kind: 'containers' | 'networks' | 'volumes', description: string) =>
    docker
      .command(kind)
      .description(description)
      .option('--json', 'machine-readable output')
      .addOption(instanceOption())
      .action(async (options: { json?: boolean; instance?: string }) => {
        await (await loadActions()).listObjectsCommand(context(), kind, options);
      });
  docker
    .command('pull')
    .description('pull an image into the Docker daemon, showing per-layer progress')
    .argument('<image>', 'image reference, e.g. registry.gitlab.com/group/app:1')
    .addOption(
      new Option('--policy <policy>', 'pull policy')
        .choices(['always', 'if-not-present', 'never'])
        .default('always'),
    )
    .action(async (image: string, options: { policy: PullPolicy }) => {
      await (await loadActions()).pullCommand(context(), image, options);
    });
  list('containers', "glci's containers: mock, runners, jobs, services");
  list('networks', "glci's networks: per pipeline and per DinD job");
  list('volumes', "glci's volumes: registry, registry CA, cache, runner config");
}
