import { randomBytes } from 'node:crypto';
import { createSilentLogger } from '@glci/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { glciLabels } from './labels.js';
import { diskUsage } from './reaper.js';
import { connectOrchestrator, PEER_IMAGE, TRANSPORTS, testInstance } from './test-support/docker-env.js';

describe.each(TRANSPORTS)('pruning over $transport', ({ host }) => {
  const ids = testInstance();
  const other = testInstance();
  const decoy = `glci-decoy-${randomBytes(4).toString('hex')}`;
  const p = ids.prefix;
  let orchestrator: DockerOrchestrator;
  const labels = (role: Parameters<typeof glciLabels>[0]['role'], extra: { persistent?: boolean } = {}) =>
    glciLabels({ instance: ids.instance, session: ids.session, role, pipeline: '1', ...extra });

  beforeAll(async () => {
    orchestrator = await connectOrchestrator(host);
    const docker = orchestrator.docker;
    // glci's objects of this test's instance.
    await orchestrator.ensureVolume({
      name: `${p}-registry`,
      labels: labels('registry', { persistent: true }),
    });
    await orchestrator.ensureVolume({ name: `${p}-cache`, labels: labels('cache', { persistent: true }) });
    await orchestrator.ensureVolume({ name: `${p}-orphan`, labels: labels('runner-config') });
    await orchestrator.ensureVolume({ name: `${p}-in-use`, labels: labels('runner-config') });
    await orchestrator.createNetwork({ name: `${p}-net-unused`, labels: labels('pipeline-network') });
    const used = await orchestrator.createNetwork({
      name: `${p}-net-used`,
      labels: labels('pipeline-network'),
    });
    await orchestrator.run({
      image: PEER_IMAGE,
      name: `${p}-running`,
      labels: labels('runner'),
      cmd: ['/bin/wait-forever'],
      networks: [{ name: used.name }],
      mounts: [{ type: 'volume', source: `${p}-in-use`, target: '/data' }],
    });
    const stopped = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${p}-stopped`,
      labels: labels('job'),
      cmd: ['sh', '-c', 'head -c 200000 /dev/zero > /big; exit 0'],
    });
    await stopped.wait();
    // The same kinds of object with glci's labels but another instance: a scoped prune leaves them.
    await orchestrator.ensureVolume({
      name: `${other.prefix}-orphan`,
      labels: glciLabels({ instance: other.instance, session: other.session, role: 'runner-config' }),
    });
    // Decoys without glci's labels, with glci-like names: never touched.
    await docker.createVolume({ Name: `${decoy}-volume` });
    await docker.createNetwork({ Name: `${decoy}-network` });
    await docker.createContainer({ Image: PEER_IMAGE, name: `${decoy}-container`, Cmd: ['true'] });
  });

  afterAll(async () => {
    const docker = orchestrator?.docker;
    if (!docker) return;
    await orchestrator.reap({ instance: ids.instance }, { all: true });
    await orchestrator.reap({ instance: other.instance }, { all: true });
    await docker
      .getContainer(`${decoy}-container`)
      .remove({ force: true })
      .catch(() => undefined);
    await docker
      .getNetwork(`${decoy}-network`)
      .remove()
      .catch(() => undefined);
    await docker
      .getVolume(`${decoy}-volume`)
      .remove()
      .catch(() => undefined);
  });

  it('reports the disk use of glci objects only', async () => {
    const usage = await diskUsage(orchestrator.docker, createSilentLogger(), { instance: ids.instance });
    expect(usage.containers.map((c) => c.name).sort()).toEqual([`${p}-running`, `${p}-stopped`]);
    expect(usage.containers.find((c) => c.name === `${p}-stopped`)?.bytes).toBeGreaterThanOrEqual(200_000);
    expect(usage.volumes.map((v) => v.name).sort()).toEqual(
      [`${p}-cache`, `${p}-in-use`, `${p}-orphan`, `${p}-registry`].sort(),
    );
    expect(usage.networks.map((n) => n.name).sort()).toEqual([`${p}-net-unused`, `${p}-net-used`]);
    expect(usage.totalBytes).toBeGreaterThanOrEqual(200_000);
  });

  it('a plain prune removes stopped containers, unused networks and orphaned volumes, and keeps the rest', async () => {
    const report = await orchestrator.reap({ instance: ids.instance });
    expect(report.containers).toEqual([`${p}-stopped`]);
    expect(report.networks).toEqual([`${p}-net-unused`]);
    expect(report.volumes).toEqual([`${p}-orphan`]);
    expect(report.reclaimedBytes).toBeGreaterThanOrEqual(200_000);
    const left = await orchestrator.find({ instance: ids.instance });
    expect(left.containers.map((c) => c.name)).toEqual([`${p}-running`]);
    expect(left.networks.map((n) => n.name)).toEqual([`${p}-net-used`]);
    expect(left.volumes.map((v) => v.name).sort()).toEqual([`${p}-cache`, `${p}-in-use`, `${p}-registry`]);
    await expectSurvivors();
  });

  it('--all removes everything of the instance, persistent volumes included', async () => {
    const report = await orchestrator.reap({ instance: ids.instance }, { all: true });
    expect(report.containers).toEqual([`${p}-running`]);
    expect(report.networks).toEqual([`${p}-net-used`]);
    expect([...report.volumes].sort()).toEqual([`${p}-cache`, `${p}-in-use`, `${p}-registry`]);
    expect(await orchestrator.find({ instance: ids.instance })).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
    await expectSurvivors();
  });

  async function expectSurvivors(): Promise<void> {
    const docker = orchestrator.docker;
    await expect(docker.getVolume(`${decoy}-volume`).inspect()).resolves.toBeDefined();
    await expect(docker.getNetwork(`${decoy}-network`).inspect()).resolves.toBeDefined();
    await expect(docker.getContainer(`${decoy}-container`).inspect()).resolves.toBeDefined();
    await expect(docker.getVolume(`${other.prefix}-orphan`).inspect()).resolves.toBeDefined();
  }
});
