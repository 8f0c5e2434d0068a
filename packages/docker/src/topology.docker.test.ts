import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import os from 'node:os';
import { freePort } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dindClientEnv, waitForDind } from './dind.js';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { LABEL_PIPELINE, LABEL_ROLE, LABEL_RUNNER_TIER } from './labels.js';
import type { StartedContainer } from './orchestrator.js';
import {
  connectOrchestrator,
  PEER_IMAGE,
  TRANSPORTS,
  testInstance,
  testTopology,
} from './test-support/docker-env.js';
import { type GlciTopology, MOCK_ALIAS } from './topology.js';

const RUNNER_CMD = ['/bin/record-signals'];

describe.each(TRANSPORTS)('the pipeline topology over $transport', ({ host }) => {
  const ids = testInstance();
  let orchestrator: DockerOrchestrator;
  let topology: GlciTopology;
  let port: number;
  let shared: StartedContainer;
  let project: StartedContainer;

  beforeAll(async () => {
    orchestrator = await connectOrchestrator(host);
    port = await freePort();
    topology = testTopology(orchestrator, ids, port);
    await topology.startPipeline('42');
    shared = await topology.ensureRunner({
      pipelineId: '42',
      suffix: 'p42',
      tier: 'shared',
      image: PEER_IMAGE,
      cmd: RUNNER_CMD,
      configToml: 'concurrent = 1\n',
      pullPolicy: 'never',
    });
    project = await topology.ensureRunner({
      pipelineId: '42',
      suffix: 'p42',
      tier: 'project',
      project: 'group/app',
      image: PEER_IMAGE,
      cmd: RUNNER_CMD,
      configToml: 'concurrent = 2\n',
      pullPolicy: 'never',
    });
  });

  afterAll(async () => {
    await orchestrator?.reap({ instance: ids.instance }, { all: true });
  });

  it('creates the persistent volumes, the mock and the pipeline network, all labelled', async () => {
    const found = await orchestrator.find({ instance: ids.instance });
    expect(found.volumes.map((v) => v.name)).toEqual(
      expect.arrayContaining([`${ids.prefix}-registry`, `${ids.prefix}-registry-ca`, `${ids.prefix}-cache`]),
    );
    const mock = found.containers.find((c) => c.name === `${ids.prefix}-mock`);
    expect(mock?.labels[LABEL_ROLE]).toBe('mock');
    expect(mock?.networks).toContain(`${ids.prefix}-net-42`);
    const network = found.networks.find((n) => n.name === `${ids.prefix}-net-42`);
    expect(network?.labels[LABEL_PIPELINE]).toBe('42');
    const inspect = await orchestrator.docker.getContainer(`${ids.prefix}-mock`).inspect();
    expect(inspect.Mounts.map((m) => m.Destination).sort()).toEqual([
      '/cache',
      '/data',
      '/registry',
      '/registry-ca',
    ]);
    expect(inspect.State.Health?.Status).toBe('healthy');
  });

  it('names the runner tiers and mounts their config volume and the Docker socket', async () => {
    expect(shared.name).toBe(`${ids.prefix}-runner-p42`);
    expect(project.name).toBe(`${ids.prefix}-runner-p42-group-app`);
    expect(project.labels[LABEL_RUNNER_TIER]).toBe('project');
    const inspect = await orchestrator.docker.getContainer(project.id).inspect();
    expect(inspect.HostConfig.Privileged).toBe(false);
    expect(inspect.Mounts.map((m) => `${m.Type}:${m.Destination}`).sort()).toEqual([
      'bind:/var/run/docker.sock',
      'volume:/etc/gitlab-runner',
    ]);
    const config = await project.exec(['cat', '/etc/gitlab-runner/config.toml']);
    expect(config.stdout).toBe('concurrent = 2\n');
  });

  it('lets runners on the pipeline network reach glci-mock by DNS', async () => {
    const result = await shared.exec(['wget', '-q', '-O', '-', `http://${MOCK_ALIAS}:${port}/health`]);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'ok\n' });
  });

  it('publishes the mock port on 127.0.0.1 and the bridge gateway (for job containers), nowhere else', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await response.text()).toBe('ok\n');
    const inspect = await orchestrator.docker.getContainer(`${ids.prefix}-mock`).inspect();
    const bindings = Object.values(inspect.HostConfig.PortBindings ?? {}).flat() as { HostIp: string }[];
    const gateway = await orchestrator.bridgeGateway();
    expect(bindings.map((b) => b.HostIp)).toEqual(['127.0.0.1', gateway]);
    // Job containers reach it as host.docker.internal (→ the gateway); any other address of the
    // host does not answer.
    expect(await (await fetch(`http://${gateway}:${port}/health`)).text()).toBe('ok\n');
    const other = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address?.family === 'IPv4' && !address.internal && address.address !== gateway);
    if (other) await expect(connectTcp(other.address, port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('applies a config change to a running runner with SIGHUP, without restarting it', async () => {
    const before = await orchestrator.docker.getContainer(shared.id).inspect();
    const again = await topology.ensureRunner({
      pipelineId: '42',
      suffix: 'p42',
      tier: 'shared',
      image: PEER_IMAGE,
      cmd: RUNNER_CMD,
      configToml: 'concurrent = 4\n',
      pullPolicy: 'never',
    });
    expect(again.id).toBe(shared.id);
    await waitUntil(
      async () => (await shared.exec(['cat', '/etc/gitlab-runner/signals'])).stdout === 'HUP\n',
    );
    expect((await shared.exec(['cat', '/etc/gitlab-runner/config.toml'])).stdout).toBe('concurrent = 4\n');
    expect((await shared.exec(['cat', '/etc/gitlab-runner/starts'])).stdout).toBe('started\n');
    const after = await orchestrator.docker.getContainer(shared.id).inspect();
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    // An unchanged config sends no signal.
    expect(await topology.updateRunnerConfig(shared, 'concurrent = 4\n')).toBe(false);
    expect((await shared.exec(['cat', '/etc/gitlab-runner/signals'])).stdout).toBe('HUP\n');
  });

  describe('a DinD job network', () => {
    let server: Server;
    let gatewayIp: string;
    let serverPort: number;

    beforeAll(async () => {
      gatewayIp = await orchestrator.bridgeGateway();
      server = createServer((socket) => socket.end('hello from the host\n'));
      server.listen(0, gatewayIp);
      await once(server, 'listening');
      serverPort = (server.address() as { port: number }).port;
    });

    afterAll(async () => {
      server?.close();
      await topology?.stopDindJob('42', '7');
    });

    it('holds the job, its dind service and the mock; the job reaches a host service and the mock', async () => {
      const network = await topology.startDindJob('42', '7');
      expect(network.name).toBe(`${ids.prefix}-net-42-job-7`);
      const extraHosts = await topology.jobExtraHosts();
      expect(extraHosts).toEqual(['host.docker.internal:host-gateway', 'internal-registry.corp:10.0.0.50']);
      const labels = topology.labels('job', { pipeline: '42', job: '7' });
      const dind = await orchestrator.run({
        image: PEER_IMAGE,
        name: `${ids.prefix}-dind-42-7`,
        labels: topology.labels('dind', { pipeline: '42', job: '7' }),
        cmd: ['/bin/fake-dind'],
        networks: [{ name: network.name, aliases: ['docker'] }],
      });
      const job = await orchestrator.run({
        image: PEER_IMAGE,
        name: `${ids.prefix}-job-42-7`,
        labels,
        cmd: ['/bin/wait-forever'],
        env: dindClientEnv({ tls: true }),
        networks: [{ name: network.name }],
        extraHosts,
      });
      await waitForDind(dind, { tls: true, timeoutMs: 30_000, intervalMs: 200 });
      const fromHost = await job.exec(['sh', '-c', `nc host.docker.internal ${serverPort} </dev/null`]);
      expect(fromHost.stdout).toBe('hello from the host\n');
      const mock = await job.exec(['wget', '-q', '-O', '-', `http://${MOCK_ALIAS}:${port}/health`]);
      expect(mock.stdout).toBe('ok\n');
      const env = await job.exec(['sh', '-c', 'echo $DOCKER_HOST $DOCKER_TLS_VERIFY $DOCKER_CERT_PATH']);
      expect(env.stdout).toBe('tcp://docker:2376 1 /certs/client\n');
      const resolved = await job.exec(['sh', '-c', 'grep internal-registry.corp /etc/hosts']);
      expect(resolved.stdout).toContain('10.0.0.50');
      const dindHostname = (await dind.exec(['hostname'])).stdout.trim();
      const alias = await job.exec(['sh', '-c', 'nslookup docker 127.0.0.11 >/dev/null && echo resolved']);
      expect(alias.stdout).toBe('resolved\n');
      expect(dindHostname).not.toBe('');
    });

    it('the readiness gate gives up with the last answer of the daemon when DinD never becomes ready', async () => {
      const broken = await orchestrator.run({
        image: PEER_IMAGE,
        name: `${ids.prefix}-dind-broken`,
        labels: topology.labels('dind', { pipeline: '42', job: '7' }),
        cmd: ['/bin/wait-forever'],
      });
      await expect(waitForDind(broken, { tls: false, timeoutMs: 1500, intervalMs: 200 })).rejects.toThrow(
        /timed out .* DinD daemon .*Cannot connect to the Docker daemon/,
      );
    });
  });

  it('writes daemon.json and buildkitd.toml into a DinD config volume', async () => {
    const { volume } = await topology.writeDindConfig('42', PEER_IMAGE);
    const reader = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-reader`,
      labels: topology.labels('helper', { pipeline: '42' }),
      cmd: ['/bin/wait-forever'],
      mounts: [{ type: 'volume', source: volume, target: '/etc/glci-dind', readOnly: true }],
    });
    await using _reader = reader;
    const daemon = JSON.parse((await reader.exec(['cat', '/etc/glci-dind/daemon.json'])).stdout);
    expect(daemon['insecure-registries']).toEqual([`glci-mock:${port}`, `host.docker.internal:${port}`]);
    expect(daemon['registry-mirrors']).toEqual([`http://glci-mock:${port}`]);
    expect(daemon.bip).toBe('10.235.255.1/24');
    const buildkitd = (await reader.exec(['cat', '/etc/glci-dind/buildkitd.toml'])).stdout;
    expect(buildkitd).toContain(`[registry."glci-mock:${port}"]`);
    expect(buildkitd).toContain(`[registry."host.docker.internal:${port}"]`);
  });

  it('recreates the mock when it is missing', async () => {
    await orchestrator.docker.getContainer(`${ids.prefix}-mock`).remove({ force: true });
    const mock = await topology.ensureMock();
    expect((await mock.state()).health).toBe('healthy');
    // The new mock rejoins the pipeline network that outlived the old one.
    expect((await shared.exec(['wget', '-q', '-O', '-', `http://${MOCK_ALIAS}:${port}/health`])).stdout).toBe(
      'ok\n',
    );
  });

  it('stops a pipeline even when some of its objects are already gone, keeping the mock', async () => {
    await orchestrator.docker.getContainer(project.id).remove({ force: true });
    const removed = await topology.stopPipeline('42');
    expect(removed.networks).toContain(`${ids.prefix}-net-42`);
    const found = await orchestrator.find({ instance: ids.instance, pipeline: '42' });
    expect(found).toEqual({ containers: [], networks: [], volumes: [] });
    const mock = await orchestrator.getContainer(`${ids.prefix}-mock`);
    expect((await mock?.state())?.running).toBe(true);
    // Stopping again is fine.
    await topology.stopPipeline('42');
  });
});

function connectTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.connect(port, host, () => {
      socket.destroy();
      resolve();
    });
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(TRANSPORTS)('pipelines starting at once over $transport', ({ host }) => {
  const ids = testInstance();
  let orchestrator: DockerOrchestrator | undefined;

  afterAll(async () => {
    await orchestrator?.reap({ instance: ids.instance }, { all: true });
  });

  it('share one mock, created once, attached to each pipeline network', async () => {
    orchestrator = await connectOrchestrator(host);
    const mockPort = await freePort();
    const topology = testTopology(orchestrator, ids, mockPort);
    // A second process's topology over the same instance races for the same mock and networks.
    const other = testTopology(orchestrator, { ...ids, session: 'other' }, mockPort);
    const started = await Promise.all([
      topology.startPipeline('1'),
      topology.startPipeline('2'),
      other.startPipeline('3'),
      other.startPipeline('1'),
    ]);
    expect(new Set(started.map((p) => p.mock.id)).size).toBe(1);
    const found = await orchestrator.find({ instance: ids.instance, role: 'mock' });
    expect(found.containers).toHaveLength(1);
    expect([...(found.containers[0]?.networks ?? [])].sort()).toEqual(
      ['bridge', `${ids.prefix}-net-1`, `${ids.prefix}-net-2`, `${ids.prefix}-net-3`].sort(),
    );
  });
});
