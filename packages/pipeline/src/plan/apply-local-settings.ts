import { type LocalSettings, nameMatches, patternMatches } from './local-settings.js';
import type { ExcludedJob, PlannedJobDraft } from './plan-types.js';

/**
 * The local config's say over the planned jobs: `[skip]` (and a preset's jobs/stages, which keep
 * the jobs they need) moves jobs to `excluded`, needs of skipped jobs are dropped with a warning,
 * and `[manual]`/`manual_all`/`no_manual` change when a job starts.
 */
export function applyLocalSettings(
  jobs: PlannedJobDraft[],
  excluded: ExcludedJob[],
  local: LocalSettings,
  warnings: string[],
): PlannedJobDraft[] {
  const skipped = new Set<string>();
  const skip = local.noSkipAll ? undefined : local.skip;
  for (const job of jobs) {
    const why = skip?.stages?.includes(job.stage)
      ? `[skip] stages includes ${job.stage}`
      : skip?.jobs?.includes(job.definitionName) || skip?.jobs?.includes(job.name)
        ? '[skip] jobs includes it'
        : patternMatches(job.name, skip?.jobPatterns)
          ? '[skip] job_patterns matches it'
          : undefined;
    if (why) {
      skipped.add(job.name);
      excluded.push(locallyExcluded(job, `skipped by the glci config: ${why}`));
    }
  }
  // A preset's jobs/stages select jobs; the jobs they need (transitively) come along.
  if (local.onlyJobs?.length || local.onlyStages?.length) {
    const wanted = new Set(
      jobs
        .filter(
          (job) =>
            nameMatches(job.name, local.onlyJobs) ||
            nameMatches(job.definitionName, local.onlyJobs) ||
            local.onlyStages?.includes(job.stage),
        )
        .map((job) => job.name),
    );
    const byName = new Map(jobs.map((job) => [job.name, job]));
    const queue = [...wanted];
    while (queue.length > 0) {
      for (const need of byName.get(queue.pop()!)?.needs ?? []) {
        if (!wanted.has(need.job)) {
          wanted.add(need.job);
          queue.push(need.job);
        }
      }
    }
    for (const job of jobs) {
      if (wanted.has(job.name) || skipped.has(job.name)) continue;
      skipped.add(job.name);
      excluded.push(locallyExcluded(job, 'not selected by the preset (jobs/stages)'));
    }
  }
  const kept = jobs.filter((job) => !skipped.has(job.name));
  return kept.map((job) => {
    let result = job;
    const dropped = (job.needs ?? []).filter((need) => skipped.has(need.job));
    if (dropped.length > 0) {
      warnings.push(
        `${job.name} needs ${dropped.map((need) => need.job).join(', ')}, which the glci config skips; it runs without their artifacts`,
      );
      result = { ...result, needs: job.needs!.filter((need) => !skipped.has(need.job)) };
    }
    if (job.dependencies?.some((name) => skipped.has(name)))
      result = { ...result, dependencies: job.dependencies.filter((name) => !skipped.has(name)) };
    const heldManual =
      local.manualAll ||
      local.manual?.jobs?.includes(job.definitionName) ||
      local.manual?.jobs?.includes(job.name) ||
      patternMatches(job.name, local.manual?.jobPatterns);
    if (local.noManual && result.when === 'manual')
      result = {
        ...result,
        when: 'on_success',
        localNote: 'manual in the YAML; started at once (no_manual)',
      };
    else if (
      heldManual &&
      result.when !== 'manual' &&
      result.when !== 'on_failure' &&
      result.when !== 'always'
    )
      result = {
        ...result,
        when: 'manual',
        localNote: `held as manual by the glci config (${local.manualAll ? 'manual_all' : '[manual]'})`,
      };
    return result;
  });
}

/** A job the local config (skip list or preset) keeps out of the run, shown with why. */
function locallyExcluded(job: PlannedJobDraft, reason: string): ExcludedJob {
  return {
    name: job.name,
    definitionName: job.definitionName,
    stage: job.stage,
    ...(job.location ? { location: job.location } : {}),
    by: 'local',
    reason,
    ruleTrace: job.ruleTrace,
    variables: job.variables,
  };
}
