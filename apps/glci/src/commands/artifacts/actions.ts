import path from 'node:path';
import { type ArchiveEntry, extractArtifact, listArtifact, type StoredArtifact } from '@glci/daemon';
import type { CliContext } from '../../cli-context.js';
import { type FoundPipeline, resolveJob, resolvePipeline } from '../history/history-session.js';
import { formatTable, humanSize } from '../system/format.js';

/** The pipeline and job named by `[PIPELINE] JOB`, and the job's stored archives. */
async function jobArtifacts(ctx: CliContext, first: string, second: string | undefined) {
  const found: FoundPipeline = await resolvePipeline(ctx, second === undefined ? undefined : first);
  const job = resolveJob(found, second ?? first);
  const stored = job.id === undefined ? [] : await found.project.job(found.record.id, job.id).listArtifacts();
  return { found, job, stored };
}

function pick(stored: readonly StoredArtifact[], report: string | undefined, where: string): StoredArtifact {
  const wanted = report ?? 'archive';
  const artifact = stored.find((candidate) => candidate.type === wanted);
  if (artifact) return artifact;
  const have = stored.map((candidate) =>
    candidate.type === 'archive' ? 'the artifacts archive' : `report ${candidate.type}`,
  );
  const what = report ? `no ${report} report` : 'no artifacts archive';
  throw new Error(
    `${where} has ${what}${have.length > 0 ? ` (it has ${have.join(', ')})` : ' (it stored no artifacts)'}`,
  );
}

export async function inspectCommand(
  ctx: CliContext,
  first: string,
  second: string | undefined,
  options: { report?: string; json?: boolean },
): Promise<void> {
  const { found, job, stored } = await jobArtifacts(ctx, first, second);
  const where = `job ${job.name} (${job.id}) of pipeline ${found.record.id}`;
  if (options.report) {
    const artifact = pick(stored, options.report, where);
    const entries = await listArtifact(artifact);
    ctx.out.write(
      options.json
        ? `${JSON.stringify({ ...artifact, entries }, null, 2)}\n`
        : formatEntries(artifact, entries),
    );
    return;
  }
  if (options.json) {
    const listed = [];
    for (const artifact of stored) listed.push({ ...artifact, entries: await listArtifact(artifact) });
    ctx.out.write(`${JSON.stringify({ pipeline: found.record.id, job, artifacts: listed }, null, 2)}\n`);
    return;
  }
  if (stored.length === 0) {
    ctx.out.write(`${where} stored no artifacts.\n`);
    return;
  }
  ctx.out.write(`Artifacts of ${where}:\n\n`);
  for (const artifact of stored) {
    ctx.out.write(formatEntries(artifact, await listArtifact(artifact)));
    ctx.out.write('\n');
  }
}

export async function extractCommand(
  ctx: CliContext,
  first: string,
  second: string | undefined,
  options: { dest: string; report?: string; force?: boolean; json?: boolean },
): Promise<void> {
  const { found, job, stored } = await jobArtifacts(ctx, first, second);
  const artifact = pick(stored, options.report, `job ${job.name} (${job.id}) of pipeline ${found.record.id}`);
  const destination = path.resolve(ctx.cwd, options.dest);
  const report = await extractArtifact(artifact, destination, { overwrite: options.force ?? false });
  if (options.json) {
    ctx.out.write(`${JSON.stringify({ destination, ...report }, null, 2)}\n`);
    return;
  }
  for (const skipped of report.skipped)
    process.stderr.write(`glci: skipped ${skipped.name}: ${skipped.reason}\n`);
  const what = artifact.type === 'archive' ? 'artifacts' : `${artifact.type} report`;
  ctx.out.write(
    `Extracted ${report.written.length} ${report.written.length === 1 ? 'file' : 'files'} of ${job.name}'s ${what} to ${destination}\n`,
  );
}

function formatEntries(artifact: StoredArtifact, entries: readonly ArchiveEntry[]): string {
  const title =
    artifact.type === 'archive'
      ? `artifacts.zip (${humanSize(artifact.size)})`
      : `report ${artifact.type} (${artifact.format}, ${humanSize(artifact.size)})`;
  const rows = entries.map((entry) => [
    entry.kind === 'symlink'
      ? `${entry.name} -> ${entry.target ?? '?'}`
      : entry.kind === 'directory'
        ? `${entry.name}/`
        : entry.name,
    entry.kind === 'file' ? humanSize(entry.size) : '-',
    entry.mode === undefined ? '' : entry.mode.toString(8).padStart(4, '0'),
    entry.modified ? entry.modified.toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
  ]);
  return `${title}\n${formatTable(['NAME', 'SIZE', 'MODE', 'MODIFIED'], rows)}`;
}
