import { createHash, randomBytes } from 'node:crypto';
import { configSchema, createSilentLogger, type GlciConfig, resolveNetwork } from '@glci/config';
import { ensureTestImages, requireDocker, TEST_IMAGES } from '@glci/testkit';
import type Docker from 'dockerode';
import { DockerOrchestrator } from '../docker-orchestrator.js';
import { createTar } from '../tar.js';
import { GlciTopology } from '../topology.js';

/** Every Docker test runs once over the unix socket and once over TCP (scripts/dockerd.json lists both). */
export const TRANSPORTS = [
  { transport: 'unix', host: 'unix:///var/run/docker.sock' },
  { transport: 'tcp', host: 'tcp://127.0.0.1:2375' },
] as const;

const PEER_FILES = {
  // The stand-in for the mock: busybox httpd on $GLCI_MOCK_PORT (and $GLCI_MOCK_CONTAINER_PORT,
  // where the bridge-gateway publish lands), serving /health.
  'mock-server': `#!/bin/sh
mkdir -p /www && echo ok > /www/health && echo "$HOSTNAME" > /www/whoami
if [ -n "\${GLCI_MOCK_CONTAINER_PORT:-}" ]; then /bin/busybox httpd -p "\${GLCI_MOCK_CONTAINER_PORT}" -h /www; fi
exec /bin/busybox httpd -f -p "\${GLCI_MOCK_PORT:-39741}" -h /www
`,
  // The stand-in for gitlab-runner: records every SIGHUP in its config volume.
  'record-signals': `#!/bin/sh
trap 'echo HUP >> /etc/gitlab-runner/signals' HUP
trap 'exit 0' TERM INT
echo started >> /etc/gitlab-runner/starts
while true; do sleep 1 & wait $!; done
`,
  // A fake \`docker\` CLI for the DinD readiness gate: answers once /tmp/dockerd-ready exists.
  docker: `#!/bin/sh
if [ -f /tmp/dockerd-ready ]; then echo "Server Version: fake"; exit 0; fi
echo "Cannot connect to the Docker daemon at tcp://docker:2376" >&2
exit 1
`,
  // The stand-in for docker:dind: becomes ready (certs, then daemon) after a moment.
  'fake-dind': `#!/bin/sh
sleep 2
mkdir -p /certs/client && touch /certs/client/ca.pem /certs/client/cert.pem /certs/client/key.pem
touch /tmp/dockerd-ready
trap 'exit 0' TERM INT
while true; do sleep 1 & wait $!; done
`,
  'wait-forever': `#!/bin/sh
trap 'exit 0' TERM INT
while true; do sleep 1 & wait $!; done
`,
};

/** Built locally from glci-test/busybox:1; the tag follows the scripts, so a change rebuilds it. */
export const PEER_IMAGE = `glci-test/docker-peers:${createHash('sha256').update(JSON.stringify(PEER_FILES)).digest('hex').slice(0, 12)}`;

export async function dockerPeers(): Promise<Docker> {
  const docker = await requireDocker();
  await ensureTestImages();
  try {
    await docker.getImage(PEER_IMAGE).inspect();
    return docker;
  } catch {
    // build below
  }
  const dockerfile = `FROM ${TEST_IMAGES.busybox}
COPY mock-server record-signals docker fake-dind wait-forever /bin/
CMD ["/bin/mock-server"]
`;
  const context = await createTar([
    { path: 'Dockerfile', content: dockerfile },
    ...Object.entries(PEER_FILES).map(([name, content]) => ({ path: name, content, mode: 0o755 })),
  ]);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: PEER_IMAGE,
    rm: true,
  });
  const output = await new Promise<unknown[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error, result) => (error ? reject(error) : resolve(result))),
  );
  const failure = output.find((line) => (line as { error?: string }).error);
  if (failure) throw new Error(`building ${PEER_IMAGE}: ${JSON.stringify(failure)}`);
  return docker;
}

/** A unique instance for one test: its own labels and name prefix, so parallel tests never collide. */
export function testInstance(): { instance: string; prefix: string; session: string } {
  const id = randomBytes(4).toString('hex');
  return { instance: `test-${id}`, prefix: `glci-t${id}`, session: `s-${randomBytes(4).toString('hex')}` };
}

export function testConfig(
  mockPort: number,
  extra: Partial<Record<'host_gateway', string>> = {},
): GlciConfig {
  return configSchema.parse({
    docker: { container_socket: '/var/run/docker.sock', privileged: false },
    network: {
      mock_server_port: mockPort,
      extra_hosts: { entries: ['internal-registry.corp:10.0.0.50'] },
      ...extra,
    },
  });
}

export async function connectOrchestrator(host: string): Promise<DockerOrchestrator> {
  await dockerPeers();
  return DockerOrchestrator.connect({ host, source: 'config' }, { logger: createSilentLogger() });
}

export function testTopology(
  orchestrator: DockerOrchestrator,
  ids: { instance: string; prefix: string; session: string },
  mockPort: number,
): GlciTopology {
  return new GlciTopology({
    orchestrator,
    network: resolveNetwork(testConfig(mockPort), {}),
    privileged: false,
    logger: createSilentLogger(),
    session: ids.session,
    instance: ids.instance,
    namePrefix: ids.prefix,
    mock: {
      image: PEER_IMAGE,
      pullPolicy: 'never',
      healthTimeoutMs: 60_000,
      healthcheck: `wget -q -O /dev/null http://127.0.0.1:${mockPort}/health || exit 1`,
    },
  });
}
