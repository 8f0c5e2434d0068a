import type { Agent } from 'node:http';
import { DEFAULT_DOCKER_SOCKET, type GlciConfig, type Logger, type ResolvedNetwork } from '@glci/config';
import {
  checkContainerSocket,
  connectDocker,
  createExecAgent,
  type DockerOrchestrator,
  ImageTransferError,
  MOCK_TUNNEL_COMMAND,
  type StartedContainer,
  sendImages,
} from '@glci/docker';

/**
 * What glci does differently when its Docker engine is not the local socket (`tcp://`,
 * `ssh://`, a context): the images built on this machine are sent to that engine over the
 * Engine API, and the daemon reaches the mock through `docker exec` (its published port is on
 * the remote host's loopback, which this machine cannot reach).
 */
export function isRemoteEngine(network: ResolvedNetwork): boolean {
  return !network.docker.host.startsWith('unix://');
}

/**
 * Whether the engine is another than the local default socket's, where glci's images are built:
 * a remote one, or another engine on this machine (Podman's socket), whose image store is its own.
 */
export function isOtherEngine(network: ResolvedNetwork): boolean {
  return network.docker.host !== `unix://${DEFAULT_DOCKER_SOCKET}`;
}

/**
 * The locally built images glci runs (the mock's, the runner's and its helper's, and the jobs'
 * default image) onto a remote engine, each only when the engine lacks it or has another build of
 * it. An image that is not on this machine either is left for the remote engine to pull, as a
 * published image would be.
 */
export async function sendLocalImages(options: {
  readonly orchestrator: DockerOrchestrator;
  readonly network: ResolvedNetwork;
  readonly config: GlciConfig;
  readonly logger: Logger;
}): Promise<void> {
  const { config, network } = options;
  const logger = options.logger.child({ module: 'remote-engine' });
  const images = [
    config.mock.image,
    config.runner.image,
    config.runner.helper_image,
    config.defaults.image,
  ].filter((image): image is string => image !== undefined);
  let local: Awaited<ReturnType<typeof connectDocker>>;
  try {
    local = await connectDocker({ host: `unix://${DEFAULT_DOCKER_SOCKET}`, source: 'default' }, { logger });
  } catch (error) {
    logger.info('no local Docker engine to send images from: the remote engine pulls them', {
      error: String(error),
    });
    return;
  }
  try {
    for (const image of images) {
      try {
        const [sent] = await sendImages({
          from: { docker: local.docker, host: local.endpoint.host },
          to: { docker: options.orchestrator.docker, host: network.docker.host },
          images: [image],
          logger,
          onProgress: (progress) => logger.debug('sending an image', { ...progress }),
        });
        logger.info(sent?.sent ? 'image sent to the remote engine' : 'the remote engine has the image', {
          image,
          to: network.docker.host,
          bytes: sent?.bytes,
        });
      } catch (error) {
        // Not built here: a published image, which the remote engine pulls when it starts it.
        if (error instanceof ImageTransferError && error.step === 'inspect') continue;
        throw error;
      }
    }
  } finally {
    local.close();
  }
}

/**
 * `[docker] container_socket` must exist on the engine's host, since runner containers mount it
 * from there: refused before anything starts (`checkContainerSocket`), naming the setting.
 */
export async function checkRunnerSocket(options: {
  readonly orchestrator: DockerOrchestrator;
  readonly network: ResolvedNetwork;
  readonly config: GlciConfig;
}): Promise<void> {
  const { network, config } = options;
  const image = config.runner.image;
  // The runner image is pulled (or sent) when the runner starts; without it the check cannot run.
  if (
    !(await options.orchestrator.docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  )
    return;
  await checkContainerSocket(options.orchestrator.docker, {
    socket: network.docker.containerSocket,
    host: network.docker.host,
    image,
    configured: config.docker.container_socket !== 'auto',
  });
}

/**
 * The mock's `/internal` API through `docker exec` into its container (`glci-mock tunnel`), by
 * name, so that a mock recreated later (removed by hand, lost in a Docker restart) is reached too.
 */
export function execTunnel(
  orchestrator: DockerOrchestrator,
  logger: Logger,
): (mock: StartedContainer) => Agent {
  return (mock) =>
    createExecAgent({
      docker: orchestrator.docker,
      container: mock.name,
      command: MOCK_TUNNEL_COMMAND,
      logger,
    });
}
