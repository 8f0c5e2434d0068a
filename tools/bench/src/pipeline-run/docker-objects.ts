import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The ids the official runner labels its objects with (`com.gitlab.gitlab-runner.runner.id`), from
 * the daemon's runner fleet file (`$GLCI_HOME/runner-fleet-<instance>.json`); none when the file
 * is not there or not what glci writes.
 */
export function runnerIdsFromFleetFile(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const ids = (JSON.parse(text) as { runnerIds?: unknown }).runnerIds;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string' && id !== '') : [];
  } catch {
    return [];
  }
}

const docker = async (...args: string[]) => (await execFileAsync('docker', args)).stdout.trim();
const ids = (text: string) => text.split('\n').filter(Boolean);

/**
 * Removes the containers, networks and volumes the official runner made for these runner ids:
 * `glci system prune --all` leaves the runner's per-job cache volumes behind, as they carry the
 * runner's labels, not glci's. Returns how many objects it removed.
 */
export async function removeRunnerObjects(runnerIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (const runnerId of runnerIds) {
    const filter = `label=com.gitlab.gitlab-runner.runner.id=${runnerId}`;
    const containers = ids(await docker('ps', '-aq', '--filter', filter));
    if (containers.length > 0) await docker('rm', '-fv', ...containers);
    const networks = ids(await docker('network', 'ls', '-q', '--filter', filter));
    if (networks.length > 0) await docker('network', 'rm', ...networks);
    const volumes = ids(await docker('volume', 'ls', '-q', '--filter', filter));
    if (volumes.length > 0) await docker('volume', 'rm', '-f', ...volumes);
    removed += containers.length + networks.length + volumes.length;
  }
  return removed;
}

/** What is left with glci's instance label, or the runner's labels for these ids: should be nothing. */
export async function leftoverObjects(instance: string, runnerIds: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const filters = [
    `label=dev.glci.instance=${instance}`,
    ...runnerIds.map((id) => `label=com.gitlab.gitlab-runner.runner.id=${id}`),
  ];
  for (const filter of filters) {
    for (const [kind, args] of [
      ['container', ['ps', '-a', '--format', '{{.Names}}']],
      ['network', ['network', 'ls', '--format', '{{.Name}}']],
      ['volume', ['volume', 'ls', '--format', '{{.Name}}']],
    ] as const) {
      for (const name of ids(await docker(...args, '--filter', filter))) found.push(`${kind} ${name}`);
    }
  }
  return found;
}

/** The instance's containers that are running (by glci's labels). */
export async function runningObjects(instance: string): Promise<string[]> {
  return ids(await docker('ps', '--filter', `label=dev.glci.instance=${instance}`, '--format', '{{.Names}}'));
}

/** The host pid of a running container's main process, found by glci's labels; undefined when none runs. */
export async function containerPid(instance: string, role: string): Promise<number | undefined> {
  const [id] = ids(
    await docker(
      'ps',
      '-q',
      '--filter',
      `label=dev.glci.instance=${instance}`,
      '--filter',
      `label=dev.glci.role=${role}`,
    ),
  );
  if (!id) return undefined;
  const pid = Number(await docker('inspect', '--format', '{{.State.Pid}}', id));
  return pid > 0 ? pid : undefined;
}
