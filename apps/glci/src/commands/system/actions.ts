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
import type { CliContext } from '../../cli-context.js';
import type { Confirm } from './confirm.js';
import { openOrchestrator } from './docker-session.js';
import { formatTable, humanSize } from './format.js';
import { pullProgressPrinter } from './pull-progress.js';

/**
 * What `glci system ...` does. Loaded only when such a command runs, so that @glci/docker (and
 * dockerode behind it) is not imported by `glci --help` or `glci config`.
 */

function filterOf(options: { instance?: string }): GlciFilter {
  return options.instance ? { instance: options.instance } : {};
}

export async function diskUsageCommand(
  ctx: CliContext,
  options: { json?: boolean; instance?: string },
): Promise<void> {
  const orchestrator = await openOrchestrator(ctx);
  const usage = await diskUsage(orchestrator.docker, ctx.logger(), filterOf(options));
  if (options.json) {
    ctx.out.write(`${JSON.stringify(usage, null, 2)}\n`);
    return;
  }
  const rows = [
    ...usage.containers.map((e) => ['container', e.name, e.role ?? '', humanSize(e.bytes), e.detail ?? '']),
    ...usage.images.map((e) => ['image', e.name, e.role ?? '', humanSize(e.bytes), '']),
    ...usage.volumes.map((e) => ['volume', e.name, e.role ?? '', humanSize(e.bytes), e.detail ?? '']),
    ...usage.networks.map((e) => ['network', e.name, e.role ?? '', '-', '']),
  ];
  ctx.out.write(formatTable(['TYPE', 'NAME', 'ROLE', 'SIZE', 'DETAIL'], rows));
  ctx.out.write(`\nTotal: ${humanSize(usage.totalBytes)}\n`);
}

export async function pruneCommand(
  ctx: CliContext,
  options: { all?: boolean; force?: boolean; instance?: string },
  confirm: Confirm,
): Promise<void> {
  const what = options.all
    ? "This removes ALL of glci's containers (running ones too), networks, volumes — registry data and CI cache included — and images."
    : 'This removes stopped glci containers, unused glci networks and orphaned glci volumes; registry, registry CA and cache volumes are kept.';
  if (!options.force && !(await confirm(`${what}\nContinue?`, 'prune'))) {
    ctx.out.write('Nothing removed.\n');
    return;
  }
  const orchestrator = await openOrchestrator(ctx);
  const report = await orchestrator.reap(filterOf(options), { all: options.all ?? false });
  ctx.out.write(formatPruneReport(report));
}

export async function listObjectsCommand(
  ctx: CliContext,
  kind: 'containers' | 'networks' | 'volumes',
  options: { json?: boolean; instance?: string },
): Promise<void> {
  const orchestrator = await openOrchestrator(ctx);
  const found = await orchestrator.find(filterOf(options));
  ctx.out.write(options.json ? `${JSON.stringify(found[kind], null, 2)}\n` : formatObjects(kind, found));
}

export async function pullCommand(
  ctx: CliContext,
  image: string,
  options: { policy: PullPolicy },
): Promise<void> {
  const orchestrator = await openOrchestrator(ctx);
  const progress = pullProgressPrinter(process.stderr);
  const result = await orchestrator.pull(image, { policy: options.policy, onProgress: progress.onProgress });
  progress.finish();
  ctx.out.write(result.pulled ? `Pulled ${result.image}\n` : `${result.image} is already present\n`);
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
