import {
  diskUsage,
  type FoundObjects,
  type GlciFilter,
  LABEL_PERSISTENT,
  LABEL_PIPELINE,
  LABEL_ROLE,
  type PullPolicy,
  type ReapReport,
} from '@glci/docker';
import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { type Confirm, confirmOnTerminal } from './system/confirm.js';
import { openOrchestrator } from './system/docker-session.js';
import { formatTable, humanSize } from './system/format.js';
import { pullProgressPrinter } from './system/pull-progress.js';

export interface SystemCommandOptions {
  /** How `prune` asks for confirmation; a terminal prompt by default. */
  readonly confirm?: Confirm;
}

const instanceOption = () =>
  new Option('--instance <name>', "only the objects of this glci instance (default: all of glci's objects)");

function filterOf(options: { instance?: string }): GlciFilter {
  return options.instance ? { instance: options.instance } : {};
}

/** `glci system df | prune | docker containers|networks|volumes`: glci's Docker objects, found by label. */
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
      const ctx = context();
      const orchestrator = await openOrchestrator(ctx);
      const usage = await diskUsage(orchestrator.docker, ctx.logger(), filterOf(options));
      if (options.json) {
        ctx.out.write(`${JSON.stringify(usage, null, 2)}\n`);
        return;
      }
      const rows = [
        ...usage.containers.map((e) => [
          'container',
          e.name,
          e.role ?? '',
          humanSize(e.bytes),
          e.detail ?? '',
        ]),
        ...usage.images.map((e) => ['image', e.name, e.role ?? '', humanSize(e.bytes), '']),
        ...usage.volumes.map((e) => ['volume', e.name, e.role ?? '', humanSize(e.bytes), e.detail ?? '']),
        ...usage.networks.map((e) => ['network', e.name, e.role ?? '', '-', '']),
      ];
      ctx.out.write(formatTable(['TYPE', 'NAME', 'ROLE', 'SIZE', 'DETAIL'], rows));
      ctx.out.write(`\nTotal: ${humanSize(usage.totalBytes)}\n`);
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
      const ctx = context();
      const what = options.all
        ? "This removes ALL of glci's containers (running ones too), networks, volumes — registry data and CI cache included — and images."
        : 'This removes stopped glci containers, unused glci networks and orphaned glci volumes; registry, registry CA and cache volumes are kept.';
      if (!options.force) {
        const confirm = commandOptions.confirm ?? confirmOnTerminal;
        if (!(await confirm(`${what}\nContinue?`))) {
          ctx.out.write('Nothing removed.\n');
          return;
        }
      }
      const orchestrator = await openOrchestrator(ctx);
      const report = await orchestrator.reap(filterOf(options), { all: options.all ?? false });
      ctx.out.write(formatPruneReport(report));
    });

  const docker = system.command('docker').description("list glci's Docker objects (found by label)");
  const list = (kind: 'containers' | 'networks' | 'volumes', description: string) =>
    docker
      .command(kind)
      .description(description)
      .option('--json', 'machine-readable output')
      .addOption(instanceOption())
      .action(async (options: { json?: boolean; instance?: string }) => {
        const ctx = context();
        const orchestrator = await openOrchestrator(ctx);
        const found = await orchestrator.find(filterOf(options));
        ctx.out.write(
          options.json ? `${JSON.stringify(found[kind], null, 2)}\n` : formatObjects(kind, found),
        );
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
      const ctx = context();
      const orchestrator = await openOrchestrator(ctx);
      const progress = pullProgressPrinter(process.stderr);
      const result = await orchestrator.pull(image, {
        policy: options.policy,
        onProgress: progress.onProgress,
      });
      progress.finish();
      ctx.out.write(result.pulled ? `Pulled ${result.image}\n` : `${result.image} is already present\n`);
    });
  list('containers', "glci's containers: mock, runners, jobs, services");
  list('networks', "glci's networks: per pipeline and per DinD job");
  list('volumes', "glci's volumes: registry, registry CA, cache, runner config");
}

export function formatPruneReport(report: ReapReport): string {
  const section = (title: string, names: readonly string[]) =>
    names.length === 0 ? '' : `${title}:\n${names.map((name) => `  ${name}`).join('\n')}\n`;
  const body =
    section('Removed containers', report.containers) +
    section('Removed networks', report.networks) +
    section('Removed volumes', report.volumes);
  return `${body || 'Nothing to remove.\n'}Reclaimed space: ${humanSize(report.reclaimedBytes)}\n`;
}

function formatObjects(kind: 'containers' | 'networks' | 'volumes', found: FoundObjects): string {
  const role = (labels: Readonly<Record<string, string>>) => labels[LABEL_ROLE] ?? '';
  const pipeline = (labels: Readonly<Record<string, string>>) => labels[LABEL_PIPELINE] ?? '';
  switch (kind) {
    case 'containers':
      return formatTable(
        ['NAME', 'ROLE', 'PIPELINE', 'STATE', 'IMAGE'],
        found.containers.map((c) => [c.name, role(c.labels), pipeline(c.labels), c.status, c.image]),
      );
    case 'networks':
      return formatTable(
        ['NAME', 'ROLE', 'PIPELINE', 'CONTAINERS'],
        found.networks.map((n) => [n.name, role(n.labels), pipeline(n.labels), String(n.containers.length)]),
      );
    case 'volumes':
      return formatTable(
        ['NAME', 'ROLE', 'PIPELINE', 'PERSISTENT'],
        found.volumes.map((v) => [
          v.name,
          role(v.labels),
          pipeline(v.labels),
          v.labels[LABEL_PERSISTENT] === 'true' ? 'yes' : 'no',
        ]),
      );
  }
}
