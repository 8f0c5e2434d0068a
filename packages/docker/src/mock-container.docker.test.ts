import { createSilentLogger, resolveNetwork } from '@glci/config';
import { ensureMockImage, ensureTestImages, freePort, run, TEST_IMAGES, waitFor } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { connectOrchestrator, testConfig, testInstance } from './test-support/docker-env.js';
import { GlciTopology, MOCK_ALIAS } from './topology.js';

/**
 * The real glci-mock container (this checkout's image), started the way `glci run` starts it,
 * read anonymously from every place a request can come from. The embedded registry must answer
 * the host and glci's own networks (the host's dockerd pulls job images through 127.0.0.1, DinD
 * daemons use it as their mirror through the `glci-mock` alias), and must not let any other
 * container of the host read it without a job token (issue 21, point 6).
 */
describe('the embedded registry of the mock container', { timeout: 300_000 }, () => {
  const ids = testInstance();
  let orchestrator: DockerOrchestrator;
  let topology: GlciTopology;
  let port: number;
  let gateway: string;
  let mockAddress: string;

  /** HTTP status of an anonymous GET from a fresh busybox container (`docker run` options first). */
  async function statusFrom(options: string[], url: string): Promise<number> {
    const output = await run('docker', [
      'run',
      '--rm',
      '--label',
      `dev.glci.instance=${ids.instance}`,
      ...options,
      TEST_IMAGES.busybox,
      'sh',
      '-c',
      `wget -S -O /dev/null '${url}' 2>&1; true`, // (this busybox's wget crashes with -T)
    ]);
    const status = /HTTP\/1\.1 (\d{3})/.exec(output)?.[1];
    if (!status) throw new Error(`no HTTP answer from ${url}: ${output}`);
    return Number(status);
  }

  beforeAll(async () => {
    orchestrator = await connectOrchestrator('unix:///var/run/docker.sock');
    await ensureTestImages();
    const image = await ensureMockImage();
    port = await freePort();
    topology = new GlciTopology({
      orchestrator,
      network: resolveNetwork(testConfig(port), {}),
      privileged: false,
      logger: createSilentLogger(),
      session: ids.session,
      instance: ids.instance,
      namePrefix: ids.prefix,
      mock: {
        image,
        pullPolicy: 'never',
        healthTimeoutMs: 120_000,
        env: { GLCI_MOCK_SECRET: `trust-test-secret-${ids.instance}`, GLCI_MOCK_UPSTREAMS: '' },
      },
    });
    const mock = await topology.ensureMock();
    gateway = (await orchestrator.bridgeGateway()) as string;
    const inspect = await orchestrator.docker.getContainer(mock.id).inspect();
    mockAddress = inspect.NetworkSettings.Networks.bridge?.IPAddress as string;
    await waitFor(
      'the registry to answer',
      async () => (await fetch(`http://127.0.0.1:${port}/v2/_catalog`)).ok,
    );
  });

  afterAll(async () => {
    await run('docker', ['ps', '-aq', '--filter', `label=dev.glci.instance=${ids.instance}`])
      .then((ids) => ids.trim() && run('docker', ['rm', '-f', ...ids.trim().split('\n')]))
      .catch(() => undefined);
    await orchestrator?.reap({ instance: ids.instance }, { all: true });
  });

  it('reads anonymously from the host, through the port published on 127.0.0.1', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v2/some/project/tags/list`);
    expect(response.status).toBe(404); // answered: NAME_UNKNOWN, not a challenge
    expect(((await response.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe(
      'NAME_UNKNOWN',
    );
  });

  it('asks any other container for a job token: through host.docker.internal (the gateway publish)', async () => {
    expect(
      await statusFrom(
        ['--add-host', 'host.docker.internal:host-gateway'],
        `http://host.docker.internal:${port}/v2/some/project/tags/list`,
      ),
    ).toBe(401);
    expect(await statusFrom([], `http://${gateway}:${port}/v2/_catalog`)).toBe(401);
  });

  it('asks a container on the default bridge for a job token when it goes straight to the mock', async () => {
    expect(mockAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await statusFrom([], `http://${mockAddress}:${port}/v2/some/project/tags/list`)).toBe(401);
  });

  it('reads anonymously on a DinD job network, where the daemon uses it as its mirror (glci-mock alias)', async () => {
    const network = await topology.startDindJob('7', 'dind');
    expect(
      await statusFrom(['--network', network.name], `http://${MOCK_ALIAS}:${port}/v2/some/project/tags/list`),
    ).toBe(404);
  });
});
