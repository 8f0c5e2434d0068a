import type Docker from 'dockerode';
import { describeDockerError, isNotFound } from './errors.js';

/**
 * A `[docker]` setting makes what was asked impossible; `setting` is the key (`docker.privileged`,
 * `docker.container_socket`), and the message says what it refused and what to change. Raised
 * before anything is started.
 */
export class DockerSettingError extends Error {
  override readonly name = 'DockerSettingError';
  readonly setting: 'docker.privileged' | 'docker.container_socket';

  constructor(setting: DockerSettingError['setting'], message: string) {
    super(message);
    this.setting = setting;
  }
}

/** A job as far as this check needs it: its name and its `services:` (names or `{ name }`). */
export interface JobServices {
  readonly name: string;
  readonly services?: readonly (string | { readonly name: string })[];
}

/**
 * A service image that runs a Docker daemon, by its repository name: `docker:dind`,
 * `docker:27-dind`, `docker:dind-rootless`, `registry.example.com/mirror/docker:24-dind`.
 */
export function isDockerInDockerImage(image: string): boolean {
  const repository = image.split('@')[0]!.replace(/^[^/]+\.[^/]+\//, '');
  return /dind/.test(repository);
}

/**
 * Refuses a pipeline whose jobs have a Docker-in-Docker service when `[docker] privileged` is
 * false: dockerd cannot run in an unprivileged container, so such a job could only fail later,
 * after the runner had started its containers. Every such job is named, with its service.
 * `source` is where the setting was read (a config file), for the message.
 */
export function refuseDindWithoutPrivileged(
  jobs: readonly JobServices[],
  settings: { readonly privileged: boolean; readonly source?: string },
): void {
  if (settings.privileged) return;
  const offending = jobs.flatMap((job) =>
    (job.services ?? [])
      .map((service) => (typeof service === 'string' ? service : service.name))
      .filter(isDockerInDockerImage)
      .map((service) => ({ job: job.name, service })),
  );
  if (offending.length === 0) return;
  const list = offending.map(({ job, service }) => `"${job}" (service ${service})`).join(', ');
  const where = settings.source ? ` in ${settings.source}` : '';
  throw new DockerSettingError(
    'docker.privileged',
    `${offending.length === 1 ? 'job' : 'jobs'} ${list} ${offending.length === 1 ? 'needs' : 'need'} Docker-in-Docker, which runs only in privileged containers, and [docker] privileged = false${where}: nothing was started. Set privileged = true (the default), or leave ${offending.length === 1 ? 'that job' : 'those jobs'} out (--skip or [skip] jobs)`,
  );
}

/**
 * Checks that `[docker] container_socket` exists on the Docker host the engine runs on, since the
 * runner containers mount it from there: a container of `image` is created (never started) with
 * the path bind-mounted, which dockerd refuses when the path does not exist, and removed again.
 * `image` must be present on the engine (the runner image, which is about to be used anyway).
 */
export async function checkContainerSocket(
  docker: Docker,
  settings: {
    readonly socket: string;
    readonly host: string;
    readonly image: string;
    readonly configured: boolean;
  },
): Promise<void> {
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: settings.image,
      Entrypoint: ['/no-such-command'],
      Labels: { 'dev.glci.managed': 'true', 'dev.glci.role': 'socket-check' },
      HostConfig: {
        Mounts: [{ Type: 'bind', Source: settings.socket, Target: '/var/run/docker.sock', ReadOnly: true }],
      },
    });
  } catch (error) {
    const said = describeDockerError(error);
    if (/bind source path does not exist|no such file or directory/i.test(said)) {
      const what = settings.configured
        ? `[docker] container_socket = "${settings.socket}"`
        : `the Docker socket ${settings.socket} (derived from ${settings.host}; set [docker] container_socket to the socket's path on that host)`;
      throw new DockerSettingError(
        'docker.container_socket',
        `${what}: no such path on the Docker host ${settings.host}. Runner containers mount the engine's socket from there (dockerd's default is /var/run/docker.sock, rootful Podman's /run/podman/podman.sock)`,
      );
    }
    if (isNotFound(error)) {
      throw new Error(
        `checking the container socket: the image ${settings.image} is not on ${settings.host}: ${said}`,
      );
    }
    throw error;
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
  }
}
