import type { JobSpecInput } from '@glci/runner-api';
import { assignRunner, type ConfiguredRunner } from './runner-assignment.js';

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
  /** A standing entry's key, `named` (the user's runners that have the job's tags), or `pending`. */
  readonly entry: string;
  readonly tags: readonly string[];
  /** `named`: the configured runners that may take it (the mock gives it to the first that asks, as GitLab). */
  readonly runners?: readonly string[];
  /** `pending`: why no runner can take it, and what would serve it. */
  readonly pending?: string;
}

export interface RoutingOptions {
  /** The user's runners that serve this pipeline (`configuredRunners`). */
  readonly runners?: readonly ConfiguredRunner[];
  /** `--any-runner`: a job whose tags no runner has runs on the shared entry. */
  readonly anyRunner?: boolean;
}

/**
 * The job → runner-entry routing, in one place. A tagged job goes to the user's runners that have
 * all its tags (`assignRunner`, GitLab's rule), queued with its own tags so that the mock matches
 * them as GitLab does; one that no runner can take is `pending`, never rerouted, unless
 * `anyRunner`. Untagged jobs (and `--any-runner` ones) go to a standing entry by what the job
 * needs: one with services to the entry with per-build networks. Docker-in-Docker jobs get an
 * entry of their own (`DindWiring`), which replaces this route.
 */
export function routeJob(
  job: Pick<JobSpecInput, 'name' | 'services' | 'tags'>,
  options: RoutingOptions = {},
): RunnerRoute {
  const assignment = assignRunner({ name: job.name, tags: job.tags ?? [] }, options.runners ?? [], {
    anyRunner: options.anyRunner ?? false,
  });
  if (assignment.kind === 'pending')
    return { entry: 'pending', tags: assignment.tags, pending: assignment.message };
  if (assignment.kind === 'runnable' && !assignment.shared) {
    return { entry: 'named', tags: job.tags ?? [], runners: assignment.runners.map((runner) => runner.name) };
  }
  const entry = (job.services ?? []).length > 0 ? 'services' : 'shared';
  const standing = STANDING_ENTRIES.find((candidate) => candidate.key === entry)!;
  return { entry, tags: standing.tags };
}
