import type { NeedDefinition, PipelineDefinition } from '../definition/types.js';
import type { IssueCollector } from '../errors.js';
import { matrixMatches } from './parallel.js';
import type { PlannedJobDraft } from './plan-pipeline.js';
import type { PlannedNeed } from './plan-types.js';

/**
 * Turns `needs` and `dependencies` written with job names into the names of the jobs in this
 * pipeline (a parallel job stands for all its instances, or the ones `parallel:matrix` picks), and
 * checks them as GitLab does when it creates the pipeline.
 */
export function resolveNeeds(
  jobs: readonly PlannedJobDraft[],
  definition: PipelineDefinition,
  issues: IssueCollector,
): PlannedJobDraft[] {
  const instances = new Map<string, PlannedJobDraft[]>();
  for (const job of jobs)
    instances.set(job.definitionName, [...(instances.get(job.definitionName) ?? []), job]);
  const defined = new Map(definition.jobs.map((job) => [job.name, job]));
  const stageOf = (name: string) => definition.stages.indexOf(defined.get(name)?.stage ?? '');

  return jobs.map((job) => {
    const keyPath = `jobs:${job.definitionName}`;
    let needs: PlannedNeed[] | undefined;
    if (job.needs) {
      needs = [];
      for (const need of job.needs as readonly (PlannedNeed & Pick<NeedDefinition, 'matrix'>)[]) {
        const target = defined.get(need.job);
        if (!target) {
          if (!need.optional) issues.add(`${keyPath}:needs`, `undefined need: ${need.job}`, job.location);
          continue;
        }
        if (stageOf(need.job) > job.stageIndex) {
          issues.add(
            keyPath,
            `'${job.definitionName}' job needs '${need.job}' job, but '${need.job}' is not in any previous stage`,
            job.location,
          );
          continue;
        }
        let present = instances.get(need.job) ?? [];
        if (need.matrix)
          present = present.filter((instance) =>
            need.matrix!.some((filter) => matrixMatches(instance.parallel?.matrix, filter)),
          );
        if (present.length === 0) {
          if (!need.optional)
            issues.add(
              keyPath,
              `'${job.definitionName}' job needs '${need.job}' job, but '${need.job}' does not exist in the pipeline. This might be because of the only, except, or rules keywords. To need a job that sometimes does not exist in the pipeline, use needs:optional.`,
              job.location,
            );
          continue;
        }
        for (const instance of present) {
          if (instance.name === job.name) continue;
          needs.push({ job: instance.name, artifacts: need.artifacts, optional: need.optional });
        }
      }
    }
    let dependencies: string[] | undefined;
    if (job.dependencies) {
      dependencies = [];
      for (const name of job.dependencies) {
        const target = defined.get(name);
        if (!target || stageOf(name) > job.stageIndex || (stageOf(name) === job.stageIndex && !job.needs)) {
          issues.add(keyPath, `${job.definitionName} job: undefined dependency: ${name}`, job.location);
          continue;
        }
        if (job.needs && !job.needs.some((need) => need.job === name)) {
          issues.add(`${keyPath}:dependencies`, `the ${name} should be part of needs`, job.location);
          continue;
        }
        for (const instance of instances.get(name) ?? []) dependencies.push(instance.name);
      }
    }
    return { ...job, ...(needs ? { needs } : {}), ...(dependencies ? { dependencies } : {}) };
  });
}
