import type { Logger } from '@glci/config';
import type { DockerOrchestrator, PullProgressEvent } from '@glci/docker';
import type { JobSpecInput } from '@glci/runner-api';
import { parseImageReference, upstreamRegistry } from './image-reference.js';

export interface RegistryNames {
  /** `CI_REGISTRY` as jobs see it (`host.docker.internal:<port>`). */
  readonly ciRegistry: string;
  /** The same registry as the host's dockerd reaches it (`127.0.0.1:<port>`). */
  readonly hostRegistry: string;
  /** The pull-through upstreams' URLs; images of their registries are pulled through the cache. */
  readonly upstreams: readonly string[];
}

/**
 * Makes a job's images available to the runner the way glci serves them. The runner pulls with
 * the host's dockerd, which reaches the embedded registry only as `127.0.0.1:<port>`:
 *
 * - `$CI_REGISTRY/…`, `$CI_REGISTRY_IMAGE…` and `<CI_REGISTRY>/…` become `127.0.0.1:<port>/…`
 *   (the image a previous job pushed);
 * - an image from a pull-through upstream's registry (Docker Hub, registry.gitlab.com) that the
 *   host does not have yet is pulled as `127.0.0.1:<port>/<repository>` — through glci's cache,
 *   so the upstream is asked once for every pipeline and machine that shares the registry — and
 *   tagged under its own name, which the runner then finds (`if-not-present`);
 * - anything else is left to the runner.
 */
export class JobImages {
  readonly #orchestrator: DockerOrchestrator;
  readonly #names: RegistryNames;
  readonly #logger: Logger;
  readonly #upstreamRegistries: Set<string>;
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(options: { orchestrator: DockerOrchestrator; names: RegistryNames; logger: Logger }) {
    this.#orchestrator = options.orchestrator;
    this.#names = options.names;
    this.#logger = options.logger.child({ module: 'job-images' });
    // Docker Hub names go through the cache whenever there is an upstream: the mock asks its
    // upstreams in order for `library/alpine`, and one standing in for Docker Hub (a mirror, or a
    // test's local registry) answers as Docker Hub would.
    this.#upstreamRegistries = new Set(options.names.upstreams.map(upstreamRegistry));
    if (this.#upstreamRegistries.size > 0) this.#upstreamRegistries.add('docker.io');
  }

  /** The spec with its image and service names as the runner must pull them. */
  async prepare(
    spec: JobSpecInput,
    options: { projectPath: string; onProgress?: (event: PullProgressEvent) => void; signal?: AbortSignal },
  ): Promise<JobSpecInput> {
    const resolve = (name: string) => this.#resolve(this.#rewrite(name, options.projectPath), options);
    const image = spec.image;
    const services = spec.services ?? [];
    const [imageName, ...serviceNames] = await Promise.all([
      image === undefined ? undefined : resolve(typeof image === 'string' ? image : image.name),
      ...services.map((service) => resolve(typeof service === 'string' ? service : service.name)),
    ]);
    return {
      ...spec,
      ...(image === undefined
        ? {}
        : { image: typeof image === 'string' ? imageName! : { ...image, name: imageName! } }),
      services: services.map((service, index) =>
        typeof service === 'string' ? serviceNames[index]! : { ...service, name: serviceNames[index]! },
      ),
    };
  }

  /** `$CI_REGISTRY…` references as the host's dockerd reaches the embedded registry. */
  #rewrite(name: string, projectPath: string): string {
    const { ciRegistry, hostRegistry } = this.#names;
    const expanded = name
      .replace(/\$\{?CI_REGISTRY_IMAGE\}?/g, `${ciRegistry}/${projectPath.toLowerCase()}`)
      .replace(/\$\{?CI_REGISTRY\}?/g, ciRegistry);
    return expanded.startsWith(`${ciRegistry}/`)
      ? `${hostRegistry}/${expanded.slice(ciRegistry.length + 1)}`
      : name;
  }

  async #resolve(
    name: string,
    options: { onProgress?: (event: PullProgressEvent) => void; signal?: AbortSignal },
  ) {
    if (name.includes('$')) return name; // a variable the runner expands: nothing to do here
    const reference = parseImageReference(name);
    if (!this.#upstreamRegistries.has(reference.registry)) return name;
    let inflight = this.#inflight.get(name);
    if (!inflight) {
      inflight = this.#pullThroughCache(name, reference, options).finally(() => this.#inflight.delete(name));
      this.#inflight.set(name, inflight);
    }
    return await inflight;
  }

  async #pullThroughCache(
    name: string,
    reference: ReturnType<typeof parseImageReference>,
    options: { onProgress?: (event: PullProgressEvent) => void; signal?: AbortSignal },
  ): Promise<string> {
    const docker = this.#orchestrator.docker;
    // The name Docker stores it under (`alpine` → `alpine:latest`); a digest cannot be a tag.
    const local = reference.suffix.startsWith('@')
      ? undefined
      : name.endsWith(reference.suffix)
        ? name
        : `${name}${reference.suffix}`;
    if (local && (await exists(docker, local))) return name;
    const cached = `${this.#names.hostRegistry}/${reference.repository}${reference.suffix}`;
    try {
      await this.#orchestrator.pull(cached, {
        policy: 'if-not-present',
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // Not in any upstream (or none reachable): the runner's own pull says what is wrong.
      this.#logger.warn('pull through the cache failed; the runner pulls the image itself', {
        image: name,
        error: (error as Error).message,
      });
      return name;
    }
    options.onProgress?.({
      image: cached,
      layer: undefined,
      status: 'Pulled',
      current: undefined,
      total: undefined,
    });
    if (!local) return cached;
    const colon = local.lastIndexOf(':');
    await docker.getImage(cached).tag({ repo: local.slice(0, colon), tag: local.slice(colon + 1) });
    this.#logger.info('image pulled through the cache', { image: local });
    return name;
  }
}

async function exists(docker: DockerOrchestrator['docker'], image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}
