import { NormalizedJobs } from '../definition/job-graph.js';
import { isCrossPipelineNeed, type NeedDefinition, type PipelineDefinition } from '../definition/types.js';
import type { IssueCollector } from '../errors.js';
import type { PlannedCrossNeed, PlannedJobDraft, PlannedNeed } from './plan-types.js';

/**
 * Turns `needs` and `dependencies` into the names of the jobs in this pipeline, as GitLab does when
 * it creates the pipeline: a parallel job stands for its instances (or the ones a
 * `parallel:matrix` selector names), a name of one instance for that instance. The static checks
 * (undefined needs, later stages, cycles) were made when the configuration was loaded
 * (`checkJobGraph`); what is left is a need of a job that rules or only/except left out, which
 * GitLab refuses unless the need is optional. Needs of other pipelines' jobs are kept apart.
 */
export function resolveNeeds(
  jobs: readonly PlannedJobDraft[],
  definition: PipelineDefinition,
  issues: IssueCollector,
): PlannedJobDraft[] {
  const normalized = new NormalizedJobs(definition);
  const present = new Set(jobs.map((job) => job.name));

  return jobs.map((job) => {
    let needs: PlannedNeed[] | undefined;
    const cross: PlannedCrossNeed[] = [];
    if (job.needs) {
      needs = [];
      for (const need of job.needs as readonly (PlannedNeed & NeedDefinition)[]) {
        if (isCrossPipelineNeed(need)) {
          cross.push({
            job: need.job,
            artifacts: need.artifacts,
            ...(need.pipeline !== undefined ? { pipeline: need.pipeline } : {}),
            ...(need.project !== undefined ? { project: need.project } : {}),
            ...(need.ref !== undefined ? { ref: need.ref } : {}),
          });
          continue;
        }
        for (const name of normalized.needNames(need)) {
          if (!present.has(name)) {
            if (!need.optional)
              issues.add(
                `jobs:${job.definitionName}`,
                `'${job.name}' job needs '${name}' job, but '${name}' does not exist in the pipeline. This might be because of the only, except, or rules keywords. To need a job that sometimes does not exist in the pipeline, use needs:optional.`,
                job.location,
              );
            continue;
          }
          needs.push({ job: name, artifacts: need.artifacts, optional: need.optional });
        }
      }
    }
    const dependencies = job.dependencies
      ? job.dependencies
          .flatMap((name) => normalized.dependencyNames(name))
          .filter((name) => present.has(name))
      : undefined;
    return {
      ...job,
      ...(needs ? { needs } : {}),
      ...(cross.length > 0 ? { crossNeeds: cross } : {}),
      ...(dependencies ? { dependencies } : {}),
    };
  });
}
