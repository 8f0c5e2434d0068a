import type { JobSpecInput } from '@glci/runner-api';

/**
 * A `[[runners]]` entry the fleet keeps for as long as the runner container lives, each a runner
 * registered with the mock. Entries differ in what the runner's Docker executor sets up around a
 * job, so that a job pays only for what it uses.
 */
export interface StandingEntry {
  readonly key: string;
  /** Jobs tagged with exactly these go to this entry (GitLab's tag matching, done by the mock). */
  readonly tags: readonly string[];
  readonly runUntagged: boolean;
  /**
   * `FF_NETWORK_PER_BUILD`: the runner creates a bridge network for each job and removes it
   * afterwards (0.1–0.5 s each way). Only a job with services needs one, to reach them by alias;
   * without it a job runs on Docker's default bridge and reaches the mock as
   * `host.docker.internal` all the same.
   */
  readonly perBuildNetwork: boolean;
  readonly description: string;
}

/** The tag that routes a job with services to the entry with per-build networks. */
export const SERVICES_TAG = 'glci-services';

export const STANDING_ENTRIES: readonly StandingEntry[] = [
  {
    key: 'shared',
    tags: [],
    runUntagged: true,
    perBuildNetwork: false,
    description: 'glci shared runner',
  },
  {
    key: 'services',
    tags: [SERVICES_TAG],
    runUntagged: false,
    perBuildNetwork: true,
    description: 'glci runner for jobs with services',
  },
];

/** Which runner entry runs a job, and the tags that send it there. */
export interface RunnerRoute {
  readonly entry: string;
  readonly tags: readonly string[];
}

/**
 * The job → runner-entry routing: one function, so that routing by the user's `tags` (named
 * runners) can be added here rather than as special cases where jobs are queued. A job's own
 * `tags:` are not matched yet (one runner runs every job, as in gitlab-ci-local); what decides is
 * whether it has services. Docker-in-Docker jobs get an entry of their own (`DindWiring`), which
 * replaces this route.
 */
export function routeJob(job: Pick<JobSpecInput, 'services'>): RunnerRoute {
  const entry = (job.services ?? []).length > 0 ? 'services' : 'shared';
  const standing = STANDING_ENTRIES.find((candidate) => candidate.key === entry)!;
  return { entry, tags: standing.tags };
}
