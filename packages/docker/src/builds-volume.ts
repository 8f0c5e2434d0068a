import type { Logger } from '@glci/config';
import { dockerCall } from './docker-call.js';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import type { PullPolicy } from './orchestrator.js';

/**
 * The volume jobs check out into (bound at `/builds` by the runner entries), created once with
 * its root writable by every user, as the runner's own `cache-init` leaves each volume it makes:
 * otherwise the runner makes and permission-sets a builds volume for every job (a container
 * started and removed, 0.3–1 s), and a job image's user may not be root. Its checkouts are kept
 * between jobs, so the `fetch` strategy fetches only what is new. `initImage` is the runner image
 * (the full runner binary has the helper's `cache-init`); it is pulled by `pullPolicy` if needed.
 * A volume whose preparation failed is removed, so the next call makes it again.
 */
export async function prepareBuildsVolume(options: {
  readonly orchestrator: DockerOrchestrator;
  readonly logger: Logger;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The labels of the short-lived container that prepares it. */
  readonly initLabels: Readonly<Record<string, string>>;
  readonly initImage: string;
  readonly pullPolicy?: PullPolicy;
}): Promise<string> {
  const { orchestrator, logger, name } = options;
  const { created } = await orchestrator.ensureVolume({ name, labels: options.labels });
  if (!created) return name;
  await orchestrator.pull(options.initImage, { policy: options.pullPolicy ?? 'if-not-present' });
  const init = await orchestrator.run({
    image: options.initImage,
    labels: options.initLabels,
    cmd: ['cache-init', '/builds'],
    mounts: [{ type: 'volume', source: name, target: '/builds' }],
  });
  try {
    const { exitCode } = await init.wait();
    if (exitCode !== 0) throw new Error(`cache-init exited with ${exitCode}`);
  } catch (error) {
    await dockerCall(logger, `removing volume ${name}`, {}, () =>
      orchestrator.docker.getVolume(name).remove({ force: true }),
    ).catch(() => undefined);
    throw new Error(`could not prepare the builds volume ${name}: ${(error as Error).message}`);
  } finally {
    await init.stop({ timeoutMs: 0, remove: true });
  }
  logger.info('builds volume created', { volume: name });
  return name;
}
