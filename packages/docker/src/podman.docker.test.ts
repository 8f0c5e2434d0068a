import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { configSchema, createSilentLogger, resolveNetwork } from '@glci/config';
import {
  ensureMockImage,
  ensureTestImages,
  freePort,
  RUNNER_IMAGES,
  type RunningPodman,
  requireDocker,
  startPodman,
  TEST_IMAGES,
} from '@glci/testkit';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerConnection } from './connection.js';
import { DockerOrchestrator } from './docker-orchestrator.js';
import { createExecAgent } from './exec-tunnel/exec-agent.js';
import { sendImages } from './image-transfer.js';
import { MOCK_TUNNEL_COMMAND } from './mock-container.js';
import { GlciTopology } from './topology.js';
import { waitForHealthy } from './wait/health.js';

/*
 * @glci/docker on Podman's Docker-compatible API (`podman system service`, Debian's Podman 4.3,
 * its own storage per test run). What works is asserted here; what Podman lacks, and what glci
 * does about it, is listed in the package README ("Podman").
 */

const logger = createSilentLogger();
const instance = `test-podman-${randomBytes(4).toString('hex')}`;
const labels = { 'dev.glci.managed': 'true', 'dev.glci.instance': instance };
let podman: RunningPodman;
let connection: DockerConnection;
let orchestrator: DockerOrchestrator;
let local: Docker;

const read = async (stream: NodeJS.ReadableStream) => {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
};

beforeAll(async () => {
  local = await requireDocker();
  await ensureTestImages();
  podman = await startPodman();
  orchestrator = await DockerOrchestrator.connect({ host: podman.host, source: 'config' }, { logger });
  connection = (orchestrator as DockerOrchestrator & { connection: DockerConnection }).connection;
  await sendImages({
    from: { docker: local, host: 'local' },
    to: { docker: connection.docker, host: podman.host },
    images: [TEST_IMAGES.busybox, TEST_IMAGES.multilayer],
    logger,
  });
}, 300_000);

afterAll(async () => {
  if (orchestrator) await orchestrator.reap({ instance }, { all: true }).catch(() => undefined);
  connection?.close();
  await podman?.stop();
}, 120_000);

describe('glci on Podman', () => {
  it('knows it talks to Podman, at Engine API 1.41', () => {
    expect(connection.engine).toBe('podman');
    expect(connection.apiVersion).toBe('1.41');
    expect(connection.serverVersion).toMatch(/^4\./);
    expect(orchestrator.engine).toBe('podman');
  });

  it('receives images from the local Docker engine', async () => {
    const again = await sendImages({
      from: { docker: local, host: 'local' },
      to: { docker: connection.docker, host: podman.host },
      images: [TEST_IMAGES.multilayer],
      logger,
    });
    expect(again[0]).toMatchObject({ sent: false });
    // Podman stores short names under localhost/, and still finds them by the short name.
    expect((await connection.docker.getImage(TEST_IMAGES.multilayer).inspect()).RepoTags).toContain(
      `localhost/${TEST_IMAGES.multilayer}`,
    );
  });

  it('runs labelled containers on labelled networks and volumes, with aliases, files, exec, logs and ports', async () => {
    const net = `glci-t${randomBytes(3).toString('hex')}-net`;
    const volume = `glci-t${randomBytes(3).toString('hex')}-vol`;
    await orchestrator.ensureVolume({ name: volume, labels });
    await orchestrator.createNetwork({ name: net, labels });
    const port = await freePort();
    const server = await orchestrator.run({
      image: TEST_IMAGES.busybox,
      name: `glci-t${randomBytes(3).toString('hex')}-server`,
      labels,
      cmd: [
        'sh',
        '-c',
        'mkdir -p /www && cat /etc/greeting > /www/index.html && exec httpd -f -p 8080 -h /www',
      ],
      networks: [{ name: net, aliases: ['greeter'] }],
      ports: [{ containerPort: 8080, hostPort: port, hostIp: '127.0.0.1' }],
      mounts: [{ type: 'volume', source: volume, target: '/data' }],
      files: [{ path: '/etc/greeting', content: 'hello from podman' }],
    });
    const client = await orchestrator.run({
      image: TEST_IMAGES.busybox,
      name: `glci-t${randomBytes(3).toString('hex')}-client`,
      labels,
      cmd: [
        'sh',
        '-c',
        'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://greeter:8080/ && exit 0; sleep 0.5; done; exit 1',
      ],
      networks: [{ name: net }],
    });
    expect(await client.wait()).toEqual({ exitCode: 0 });
    expect(await read(await client.logs())).toContain('hello from podman');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello from podman');
    expect(await server.exec(['cat', '/etc/greeting'])).toMatchObject({
      exitCode: 0,
      stdout: 'hello from podman',
    });
    await server.kill('SIGHUP');
    const found = await orchestrator.find({ instance });
    expect(found.containers.map((c) => c.name)).toEqual(expect.arrayContaining([server.name, client.name]));
    expect(found.networks.map((n) => n.name)).toContain(net);
    expect(found.volumes.map((v) => v.name)).toContain(volume);
    await server.stop({ timeoutMs: 1000, remove: true });
    await client.stop({ timeoutMs: 0, remove: true });
    // A plain prune finds the volume by its label although Podman's disk-usage listing omits labels.
    const report = await orchestrator.reap({ instance });
    expect(report.networks).toContain(net);
    expect(report.volumes).toContain(volume);
  }, 120_000);

  it('gets a container healthy although Podman runs health checks only through systemd timers', async () => {
    const container = await orchestrator.run({
      image: TEST_IMAGES.busybox,
      name: `glci-t${randomBytes(3).toString('hex')}-health`,
      labels,
      cmd: ['sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 300'],
      healthcheck: { command: 'test -f /tmp/ready', intervalMs: 500, timeoutMs: 2000, retries: 30 },
    });
    // Podman leaves it "starting" on its own: nothing runs the check without systemd.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await connection.docker.getContainer(container.id).inspect()).State.Health?.Status).toBe(
      'starting',
    );
    await waitForHealthy(container, { timeoutMs: 30_000 });
    expect((await container.state()).health).toBe('healthy');
    await container.stop({ timeoutMs: 0, remove: true });
  }, 60_000);

  it('maps container_host to the bridge gateway, since Podman writes "host-gateway" literally', async () => {
    const topology = new GlciTopology({
      orchestrator,
      network: resolveNetwork(configSchema.parse({}), {}),
      privileged: false,
      logger,
      session: 's-podman',
      instance,
      namePrefix: `glci-t${randomBytes(3).toString('hex')}`,
      mock: { image: 'unused' },
    });
    const gateway = await orchestrator.bridgeGateway();
    expect(await topology.jobExtraHosts()).toEqual([`host.docker.internal:${gateway}`]);
    const literal = await orchestrator.run({
      image: TEST_IMAGES.busybox,
      name: `glci-t${randomBytes(3).toString('hex')}-hosts`,
      labels,
      cmd: ['cat', '/etc/hosts'],
      extraHosts: ['host.docker.internal:host-gateway'],
    });
    await literal.wait();
    expect(await read(await literal.logs())).toContain('host-gateway\thost.docker.internal');
    await literal.stop({ timeoutMs: 0, remove: true });
  });

  it('runs the glci-mock container, healthy, and reaches it through docker exec', async () => {
    const image = await ensureMockImage();
    await sendImages({
      from: { docker: local, host: 'local' },
      to: { docker: connection.docker, host: podman.host },
      images: [image],
      logger,
    });
    const port = await freePort();
    const secret = `podman-secret-${randomBytes(4).toString('hex')}`;
    const topology = new GlciTopology({
      orchestrator,
      network: resolveNetwork(configSchema.parse({ network: { mock_server_port: port } }), {}),
      privileged: false,
      logger,
      session: 's-podman',
      instance,
      namePrefix: `glci-t${randomBytes(3).toString('hex')}`,
      mock: {
        image,
        pullPolicy: 'never',
        env: { GLCI_MOCK_SECRET: secret, GLCI_MOCK_UPSTREAMS: '' },
        healthTimeoutMs: 90_000,
      },
    });
    const mock = await topology.ensureMock();
    const agent = createExecAgent({
      docker: connection.docker,
      container: mock.id,
      command: MOCK_TUNNEL_COMMAND,
      logger,
    });
    try {
      expect(await getStatus(agent, secret)).toBe(200);
    } finally {
      agent.destroy();
    }
    // The published port answers on this host's loopback (Podman is local here).
    expect(
      (
        await fetch(`http://127.0.0.1:${port}/internal/health`, {
          headers: { Authorization: `Bearer ${secret}` },
        })
      ).status,
    ).toBe(200);
    await mock.stop({ timeoutMs: 2000, remove: true });
  }, 600_000);

  it('starts Docker-in-Docker in a privileged container', async () => {
    await sendImages({
      from: { docker: local, host: 'local' },
      to: { docker: connection.docker, host: podman.host },
      images: [RUNNER_IMAGES.dind],
      logger,
    });
    const dind = await orchestrator.run({
      image: RUNNER_IMAGES.dind,
      name: `glci-t${randomBytes(3).toString('hex')}-dind`,
      labels,
      privileged: true,
    });
    let version = '';
    for (let attempt = 0; attempt < 60 && !version; attempt++) {
      const result = await dind.exec(['docker', 'version', '--format', '{{.Server.Version}}']);
      if (result.exitCode === 0) version = result.stdout.trim();
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(version).toMatch(/^20\.10\./);
    await dind.stop({ timeoutMs: 0, remove: true });
  }, 300_000);
});

function getStatus(agent: ReturnType<typeof createExecAgent>, secret: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: 'glci-mock', path: '/internal/health', agent, headers: { Authorization: `Bearer ${secret}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
