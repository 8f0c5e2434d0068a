import { DaemonHttpError } from '@glci/daemon';
import type { FetchProgress, GitlabConnection } from '@glci/gitlab';
import {
  type PipelinePlan,
  type PlanProjectOptions,
  planDynamicChild,
  resolveJobVariables,
} from '@glci/pipeline';
import type { Response } from 'express';
import type { ExecutionHooks } from '../execution-events.js';

/** How a pipeline was planned: what planning a dynamic child later needs. */
export interface Planning {
  readonly options: PlanProjectOptions;
  readonly gitlab?: GitlabConnection;
}

/**
 * What the execution asks of the planning and the GitLab connection while it runs: dynamic child
 * pipelines planned from the generating job's artifact, and `needs:project` artifacts downloaded
 * from the instance. A pipeline taken over after a restart has neither (no token is kept).
 */
export function gitlabHooks(planning: Planning | undefined): Partial<ExecutionHooks> {
  if (!planning) return {};
  const { gitlab } = planning;
  return {
    planDynamicChild: (child, readArtifact) => planDynamicChild(planning.options, child, readArtifact),
    ...(gitlab ? { projectArtifacts: ({ project, ref, job }) => gitlab.artifacts(project, ref, job) } : {}),
  };
}

/** A variable as `glci run --show-variables` prints it: masked values are `[MASKED]`. */
export interface ShownVariable {
  readonly name: string;
  readonly value: string;
  readonly source: string;
  readonly label: string;
}

/** Each job's variables as planned, without the predefined ones, masked values hidden. */
export function shownVariables(
  jobs: readonly PipelinePlan['jobs'][number][],
): Record<string, ShownVariable[]> {
  return Object.fromEntries(
    jobs
      .filter((job) => !job.trigger)
      .map((job) => [
        job.name,
        [...resolveJobVariables(job).variables.values()]
          .filter((variable) => variable.source !== 'predefined' && variable.source !== 'job-predefined')
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((variable) => ({
            name: variable.name,
            value: variable.entry.masked ? '[MASKED]' : variable.value,
            source: variable.source,
            label: variable.label,
          })),
      ]),
  );
}

/**
 * `POST /pipelines?progress=1`: NDJSON while the pipeline is planned and started: a `progress`
 * line for each fetch from the GitLab instance that takes over 2 s, then `result` (what `run`
 * answered) or `error` (its status, code and message), so `glci run` can say what it waits for.
 */
export async function answerWithProgress(
  res: Response,
  run: (onProgress: (event: FetchProgress) => void) => Promise<unknown>,
): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  const write = (line: unknown) => res.write(`${JSON.stringify(line)}\n`);
  try {
    const result = await run((event) => {
      if (event.type === 'slow')
        write({ type: 'progress', event: event.type, what: event.what, elapsedMs: event.elapsedMs });
    });
    write({ type: 'result', result });
  } catch (error) {
    const known = error instanceof DaemonHttpError;
    write({
      type: 'error',
      status: known ? error.status : 500,
      code: known ? error.code : 'internal',
      message: error instanceof Error ? error.message : String(error),
    });
  }
  res.end();
}
