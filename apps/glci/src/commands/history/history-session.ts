import {
  findProjectDir,
  HistoryStore,
  type JobRecord,
  type PipelineRecord,
  type ProjectHistory,
} from '@glci/daemon';
import type { CliContext } from '../../cli-context.js';
import { UsageError } from '../registry/usage-error.js';

/** A pipeline found in the history, with the project it belongs to. */
export interface FoundPipeline {
  readonly project: ProjectHistory;
  readonly record: PipelineRecord;
}

/** The history of the project the working directory is in (its git repository, else the directory). */
export function openHistory(ctx: CliContext): { store: HistoryStore; project: ProjectHistory } {
  const store = new HistoryStore({ glciHome: ctx.config().glciHome, logger: ctx.logger() });
  return { store, project: store.project(findProjectDir(ctx.cwd)) };
}

/** `42` → 42; anything else is not a pipeline id. */
export function parsePipelineId(text: string): number | undefined {
  if (!/^[1-9][0-9]*$/.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * A pipeline by id (this project's first, then any project's: ids are unique per user), or the
 * project's newest when no id is given.
 */
export async function resolvePipeline(ctx: CliContext, pipeline: string | undefined): Promise<FoundPipeline> {
  const { store, project } = openHistory(ctx);
  if (pipeline === undefined) {
    const record = await project.latestPipeline();
    if (!record) {
      throw new Error(`no pipeline has run for ${project.dir} yet (glci run starts one)`);
    }
    return { project, record };
  }
  const id = parsePipelineId(pipeline);
  if (id === undefined) throw new UsageError(`"${pipeline}" is not a pipeline id (a number such as 42)`);
  const own = await project.getPipeline(id);
  if (own) return { project, record: own };
  const found = await store.findPipeline(id);
  if (!found) throw new Error(`pipeline ${id} is not in the history (it may have been pruned)`);
  return found;
}

/**
 * A job of a pipeline by name (the last attempt when it was retried) or by id. Parallel jobs are
 * named like `test 1/3`.
 */
export function resolveJob(found: FoundPipeline, job: string): JobRecord {
  const byName = found.record.jobs.filter((candidate) => candidate.name === job);
  if (byName.length > 0)
    return byName.reduce((latest, candidate) =>
      (candidate.id ?? 0) > (latest.id ?? 0) ? candidate : latest,
    );
  const id = parsePipelineId(job);
  const byId = id === undefined ? undefined : found.record.jobs.find((candidate) => candidate.id === id);
  if (byId) return byId;
  const names = [...new Set(found.record.jobs.map((candidate) => candidate.name))];
  throw new Error(
    `pipeline ${found.record.id} has no job "${job}"${names.length > 0 ? `; its jobs: ${names.join(', ')}` : ' (it has no jobs)'}`,
  );
}

/**
 * `[PIPELINE] [JOB]` as `glci log` takes them: two arguments are pipeline and job; one is a
 * pipeline when it is a number, else a job of the newest pipeline.
 */
export function splitPipelineAndJob(first?: string, second?: string): { pipeline?: string; job?: string } {
  if (second !== undefined) return { ...(first !== undefined ? { pipeline: first } : {}), job: second };
  if (first === undefined) return {};
  return parsePipelineId(first) !== undefined ? { pipeline: first } : { job: first };
}
