import type Docker from 'dockerode';

/** The label prefix the official gitlab-runner puts on every container, network and volume it makes. */
const RUNNER_LABEL_PREFIX = 'com.gitlab.gitlab-runner';

/**
 * The id the runner labels its objects with (`com.gitlab.gitlab-runner.runner.id`): its token's
 * short form, the 9 characters after `glrt-` (8 characters of any other token), as the runner's
 * `ShortenToken` computes it.
 */
export function runnerShortToken(token: string): string {
  if (token.startsWith('glrt-')) return token.slice(5, 14);
  if (token.startsWith('glcbt-')) return token.slice(6, 15);
  return token.slice(0, 8);
}

export interface RunnerObjectsReport {
  readonly containers: number;
  readonly networks: number;
  readonly volumes: number;
}

/**
 * Removes what the official runner made for glci's runners (job, service and helper containers,
 * per-build networks, cache volumes) and left behind: a runner killed mid-job does not clean up.
 * Only objects labelled with one of `runnerIds` (see `runnerShortToken`) are touched, so other
 * runners on the same Docker host, glci's or not, keep theirs.
 */
export async function removeRunnerObjects(
  docker: Docker,
  runnerIds: readonly string[],
): Promise<RunnerObjectsReport> {
  const report = { containers: 0, networks: 0, volumes: 0 };
  for (const runnerId of new Set(runnerIds)) {
    const filters = { label: [`${RUNNER_LABEL_PREFIX}.runner.id=${runnerId}`] };
    for (const info of await docker.listContainers({ all: true, filters })) {
      await docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .then(() => report.containers++)
        .catch(() => undefined);
    }
    for (const info of await docker.listNetworks({ filters })) {
      await docker
        .getNetwork(info.Id)
        .remove()
        .then(() => report.networks++)
        .catch(() => undefined);
    }
    for (const info of (await docker.listVolumes({ filters })).Volumes ?? []) {
      await docker
        .getVolume(info.Name)
        .remove()
        .then(() => report.volumes++)
        .catch(() => undefined);
    }
  }
  return report;
}
