import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ExtractTarget, extractZip } from '@glci/daemon';
import type { PlannedCrossNeed, PlannedJob } from '@glci/pipeline';
import type { MockClient } from './mock-client.js';

/** A `needs:project` whose artifacts come from the GitLab instance. */
export interface ProjectNeed {
  readonly project: string;
  readonly ref: string;
  readonly job: string;
}

export interface CrossNeedContext {
  readonly client: MockClient;
  /** The project the needing job runs in: the imported job is a dependency of that project. */
  readonly projectPath: string;
  readonly pipelineId: number;
  readonly sha: string;
  readonly ref: string;
  /** The parent pipeline (for `needs:pipeline: $PARENT_PIPELINE_ID`) and its jobs' mock ids. */
  readonly parentPipelineId?: number | undefined;
  readonly parentJobIds?: ReadonlyMap<string, number> | undefined;
  /** Downloads a job's artifacts archive from the instance (`GET …/jobs/artifacts/:ref/download?job=`). */
  readonly projectArtifacts?: ((need: ProjectNeed) => Promise<Buffer>) | undefined;
}

/**
 * The mock job ids of what a job's `needs:project` and `needs:pipeline` bring in, as the runner
 * downloads dependencies: another project's artifacts are fetched from the GitLab instance and
 * imported into the mock as a finished job; a parent pipeline's job is the parent's own mock job.
 * Throws with what to do when one cannot be had (the job then fails before it starts).
 */
export async function crossNeedDependencies(job: PlannedJob, context: CrossNeedContext): Promise<number[]> {
  const ids: number[] = [];
  for (const need of job.crossNeeds ?? []) {
    if (!need.artifacts) continue;
    ids.push(need.project ? await importProjectArtifacts(need, context) : parentJobId(need, context));
  }
  return ids;
}

async function importProjectArtifacts(need: PlannedCrossNeed, context: CrossNeedContext): Promise<number> {
  const project = need.project!;
  const ref = need.ref ?? 'HEAD';
  if (!context.projectArtifacts)
    throw new Error(
      `needs:project ${project} (job ${need.job} of ${ref}) needs glci's connection to the GitLab instance, which this pipeline has not (it was resumed by a restarted daemon)`,
    );
  const archive = await context.projectArtifacts({ project, ref, job: need.job });
  const imported = await context.client.importArtifacts(
    {
      name: need.job,
      stage: 'needs:project',
      project: { path: context.projectPath },
      pipeline: { id: context.pipelineId },
      git: { ref: context.ref, sha: context.sha },
      script: [`# the artifacts of ${need.job} on ${ref} of ${project}, from GitLab`],
    },
    archive,
  );
  return imported.id;
}

function parentJobId(need: PlannedCrossNeed, context: CrossNeedContext): number {
  const parent = context.parentPipelineId;
  const written = need.pipeline ?? '';
  const isParent =
    /^\$\{?PARENT_PIPELINE_ID\}?$/.test(written) || (parent !== undefined && written === String(parent));
  const id = isParent ? context.parentJobIds?.get(need.job) : undefined;
  if (id === undefined)
    throw new Error(
      isParent
        ? `needs:pipeline: the parent pipeline has no job ${need.job} that ran`
        : `needs:pipeline ${written}: glci runs the jobs of the parent pipeline ($PARENT_PIPELINE_ID) only`,
    );
  return id;
}

/**
 * One file of a job's artifacts archive in the mock (a dynamic child pipeline's configuration):
 * the archive is extracted with the same safety rules as `glci artifacts extract` into a temporary
 * directory; `undefined` when the job kept no such file.
 */
export async function readArtifactFile(
  client: MockClient,
  jobId: number,
  file: string,
): Promise<string | undefined> {
  const artifacts = await client.artifacts(jobId);
  if (!artifacts.some((artifact) => artifact.type === 'archive' && artifact.format === 'zip'))
    return undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-artifact-'));
  try {
    const chunks: Buffer[] = [];
    await client.downloadArtifact(
      jobId,
      'archive',
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    );
    const archive = path.join(dir, 'archive.zip');
    await writeFile(archive, Buffer.concat(chunks));
    const out = path.join(dir, 'files');
    const target = await ExtractTarget.open(out, { archive });
    await extractZip(archive, target);
    const relative = path.posix.normalize(file.replace(/^\/+/, ''));
    if (relative.startsWith('..')) return undefined;
    return await readFile(path.join(out, relative), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return undefined;
      throw error;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
