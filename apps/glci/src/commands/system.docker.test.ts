import { randomBytes } from 'node:crypto';
import { createSilentLogger } from '@glci/config';
import { DockerOrchestrator, glciLabels } from '@glci/docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliSandbox } from '../test-support/run-glci.js';

const TRANSPORTS = [
  { transport: 'unix', host: 'unix:///var/run/docker.sock' },
  { transport: 'tcp', host: 'tcp://127.0.0.1:2375' },
] as const;
const IMAGE = 'glci-test/busybox:1';

// Each test runs the CLI from source (tsx) one or more times against the real dockerd: up to 25 s
// on a loaded 2-core machine, near vitest's default 30 s.
describe.each(TRANSPORTS)('glci system over $transport', { timeout: 120_000 }, ({ host }) => {
  const id = randomBytes(4).toString('hex');
  const instance = `cli-${id}`;
  const prefix = `glci-c${id}`;
  const decoy = `glci-decoy-${id}`;
  const sandbox = createCliSandbox();
  let orchestrator: DockerOrchestrator;
  const labels = (role: Parameters<typeof glciLabels>[0]['role'], persistent = false) =>
    glciLabels({ instance, session: 'cli-test', role, pipeline: '5', persistent });
  const glci = (...args: string[]) => sandbox.run(['system', ...args, '--instance', instance]);

  beforeAll(async () => {
    // Fails (never skips) when the daemon is not there.
    orchestrator = await DockerOrchestrator.connect(
      { host, source: 'config' },
      { logger: createSilentLogger() },
    );
    sandbox.writeUserConfig(`[docker]\nhost = "${host}"\n`);
    await orchestrator.ensureVolume({ name: `${prefix}-registry`, labels: labels('registry', true) });
    await orchestrator.ensureVolume({ name: `${prefix}-orphan`, labels: labels('runner-config') });
    await orchestrator.createNetwork({ name: `${prefix}-net-5`, labels: labels('pipeline-network') });
    const stopped = await orchestrator.run({
      image: IMAGE,
      name: `${prefix}-job`,
      labels: labels('job'),
      cmd: ['true'],
    });
    await stopped.wait();
    await orchestrator.docker.createVolume({ Name: `${decoy}-volume` });
  });

  afterAll(async () => {
    await orchestrator?.reap({ instance }, { all: true });
    await orchestrator?.docker
      .getVolume(`${decoy}-volume`)
      .remove()
      .catch(() => undefined);
    sandbox.remove();
  });

  it('lists glci containers, networks and volumes, as tables and as JSON', async () => {
    const containers = await glci('docker', 'containers', '--json');
    expect(containers.code).toBe(0);
    expect(JSON.parse(containers.stdout).map((c: { name: string }) => c.name)).toEqual([`${prefix}-job`]);
    const volumes = await glci('docker', 'volumes');
    expect(volumes.stdout).toMatch(/^NAME +ROLE +PIPELINE +PERSISTENT\n/);
    expect(volumes.stdout).toMatch(new RegExp(`${prefix}-registry +registry +5 +yes`));
    expect(volumes.stdout).not.toContain(decoy);
    const networks = await glci('docker', 'networks', '--json');
    expect(JSON.parse(networks.stdout).map((n: { name: string }) => n.name)).toEqual([`${prefix}-net-5`]);
  });

  it('pulls per policy, saying when the image was already there', async () => {
    const present = await sandbox.run(['system', 'docker', 'pull', IMAGE, '--policy', 'if-not-present']);
    expect(present).toMatchObject({ code: 0, stdout: `${IMAGE} is already present\n` });
    const missing = await sandbox.run([
      'system',
      'docker',
      'pull',
      `glci-test/missing-${id}:1`,
      '--policy',
      'never',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `glci: image glci-test/missing-${id}:1 is not present on the Docker daemon`,
    );
  });

  it('reports disk use', async () => {
    const df = await glci('df', '--json');
    expect(df.code).toBe(0);
    const usage = JSON.parse(df.stdout);
    expect(usage.volumes.map((v: { name: string }) => v.name).sort()).toEqual([
      `${prefix}-orphan`,
      `${prefix}-registry`,
    ]);
    expect((await glci('df')).stdout).toMatch(/\nTotal: /);
  });

  it('prune asks for confirmation, and refuses without a terminal', async () => {
    const refused = await glci('prune');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'refusing to prune without confirmation: stdin is not a terminal (pass --force)',
    );
    expect((await orchestrator.find({ instance })).containers).toHaveLength(1);
  });

  it('prune --force removes what a plain prune removes and prints it; --all removes the rest', async () => {
    const plain = await glci('prune', '--force');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(
      `Removed containers:\n  ${prefix}-job\nRemoved networks:\n  ${prefix}-net-5\nRemoved volumes:\n  ${prefix}-orphan\nReclaimed space: ${plain.stdout.split('Reclaimed space: ')[1]}`,
    );
    expect((await orchestrator.find({ instance })).volumes.map((v) => v.name)).toEqual([
      `${prefix}-registry`,
    ]);
    const all = await glci('prune', '--all', '--force');
    expect(all.stdout).toContain(`Removed volumes:\n  ${prefix}-registry\n`);
    expect(await orchestrator.find({ instance })).toEqual({ containers: [], networks: [], volumes: [] });
    await expect(orchestrator.docker.getVolume(`${decoy}-volume`).inspect()).resolves.toBeDefined();
  });
});

describe('glci system without a daemon', { timeout: 120_000 }, () => {
  it('says the daemon is not running, without a stack trace', async () => {
    const sandbox = createCliSandbox();
    try {
      sandbox.writeUserConfig('[docker]\nhost = "unix:///tmp/glci-no-such-docker.sock"\n');
      const result = await sandbox.run(['system', 'docker', 'containers']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'glci: unix:///tmp/glci-no-such-docker.sock: connect: the Docker daemon is not running: nothing listens on /tmp/glci-no-such-docker.sock',
      );
      expect(result.stderr).not.toMatch(/^\s+at /m);
    } finally {
      sandbox.remove();
    }
  });
});
