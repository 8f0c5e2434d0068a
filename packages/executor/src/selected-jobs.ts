import type { PipelinePlan, PlannedJob } from '@glci/pipeline';

/**
 * The jobs `glci run JOB…` runs: the named ones and, transitively, the jobs they `need` (so their
 * artifacts and dotenv variables exist); every job when none is named.
 */
export function selectedJobs(plan: PipelinePlan, names: readonly string[] | undefined): PlannedJob[] {
  if (!names || names.length === 0) return [...plan.jobs];
  const byName = new Map(plan.jobs.map((job) => [job.name, job]));
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    const job = byName.get(name);
    if (!job) return;
    wanted.add(name);
    for (const need of job.needs ?? []) visit(need.job);
  };
  for (const name of names) {
    // A parallel job's name selects all its instances.
    const matches = plan.jobs.filter((job) => job.name === name || job.definitionName === name);
    for (const job of matches) visit(job.name);
  }
  return plan.jobs.filter((job) => wanted.has(job.name));
}
