import { randomBytes } from 'node:crypto';
import { createSilentLogger, resolveNetwork } from '@glci/config';
import { ensureMockImage, freePort, RUNNER_IMAGES } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { LABEL_ROLE } from './labels.js';
import { connectOrchestrator, PEER_IMAGE, testConfig, testInstance } from './test-support/docker-env.js';
import { GlciTopology } from './topology.js';
import { waitForLogLine } from './wait/log-line.js';

/**
 * The daemon's long-lived objects on a real dockerd: the real glci-mock image (built from this
 * checkout) without a Docker health check, ready once it writes its URL, stopped with the daemon
 * and started again; the builds volume prepared once with the real runner's `cache-init`.
 */
describe('the long-lived containers and the builds volume', () => {
  const ids = testInstance();
  let orchestrator: DockerOrchestrator;
  let topology: GlciTopology;

  beforeAll(async () => {
    orchestrator = await connectOrchestrator('unix:///var/run/docker.sock');
    const port = await freePort();
    topology = new GlciTopology({
      orchestrator,
      network: resolveNetwork(testConfig(port), {}),
      privileged: false,
      logger: createSilentLogger(),
      session: ids.session,
      instance: ids.instance,
      namePrefix: ids.prefix,
      mock: {
        image: await ensureMockImage(),
        pullPolicy: 'never',
        env: { GLCI_MOCK_SECRET: randomBytes(16).toString('hex'), GLCI_MOCK_UPSTREAMS: '' },
      },
    });
  }, 600_000);

  afterAll(async () => {
    await orchestrator?.reap({ instance: ids.instance }, { all: true });
  });

  it('runs the mock without any health check, ready once its URL line is written', async () => {
    const mock = await topology.ensureMock();
    const inspect = await orchestrator.docker.getContainer(mock.id).inspect();
    // Docker runs no process in it, ever (the image's own HEALTHCHECK is turned off too).
    expect(inspect.Config.Healthcheck?.Test).toEqual(['NONE']);
    expect(inspect.State.Health).toBeUndefined();
    // Serving when ensureMock returns.
    const health = await mock.exec(['/usr/bin/node', '/app/dist/bin.js', 'healthcheck'], {
      env: { GLCI_MOCK_SECRET: inspect.Config.Env.find((e) => e.startsWith('GLCI_MOCK_SECRET='))!.slice(17) },
    });
    expect(health.exitCode).toBe(0);
  });

  it('stops the mock and a runner without removing them, and starts the same mock again', async () => {
    const before = await topology.ensureMock();
    await topology.ensureRunner({
      suffix: ids.instance,
      tier: 'shared',
      image: PEER_IMAGE,
      cmd: ['/bin/record-signals'],
      configToml: 'concurrent = 1\n',
      pullPolicy: 'never',
    });
    const stopped = await topology.stopLongLived([{ suffix: ids.instance, tier: 'shared' }]);
    expect(stopped).toEqual([`${ids.prefix}-runner-${ids.instance}`, `${ids.prefix}-mock`]);
    const left = await orchestrator.find({ instance: ids.instance });
    expect(left.containers.filter((container) => container.state === 'running')).toEqual([]);
    expect(left.containers.map((container) => container.labels[LABEL_ROLE]).sort()).toEqual([
      'mock',
      'runner',
    ]);

    // The same containers start again: the mock waits for its new URL line, not the old one.
    const after = await topology.ensureMock();
    expect(after.id).toBe(before.id);
    expect((await after.state()).running).toBe(true);
    const runner = await topology.ensureRunner({
      suffix: ids.instance,
      tier: 'shared',
      image: PEER_IMAGE,
      cmd: ['/bin/record-signals'],
      configToml: 'concurrent = 2\n',
      pullPolicy: 'never',
    });
    expect((await runner.exec(['cat', '/etc/gitlab-runner/config.toml'])).stdout).toBe('concurrent = 2\n');
    expect((await runner.exec(['cat', '/etc/gitlab-runner/starts'])).stdout).toBe('started\nstarted\n');
  });

  it('waits for a line written after the latest start, and fails at once when the container exits', async () => {
    const speaker = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-speaker`,
      labels: topology.labels('helper'),
      cmd: ['sh', '-c', 'sleep 1; echo ready; echo noise >&2; exec /bin/wait-forever'],
    });
    await waitForLogLine(speaker, /^ready$/, { timeoutMs: 30_000 });
    await speaker.stop({ timeoutMs: 1000, remove: false });
    await speaker.start();
    const started = Date.now();
    await waitForLogLine(speaker, /^ready$/, { timeoutMs: 30_000 });
    // The line of the first start does not count.
    expect(Date.now() - started).toBeGreaterThan(700);
    await expect(waitForLogLine(speaker, /^noise$/, { timeoutMs: 1500 })).rejects.toThrow(/timed out/);

    const quitter = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-quitter`,
      labels: topology.labels('helper'),
      cmd: ['sh', '-c', 'echo starting; sleep 1; echo giving up; exit 3'],
    });
    await expect(waitForLogLine(quitter, /^ready$/, { timeoutMs: 30_000 })).rejects.toThrow(
      /it is exited; it wrote: starting \| giving up/,
    );
  });

  it("prepares the builds volume once, its root writable by every user, with the runner's cache-init", async () => {
    const name = await topology.ensureBuildsVolume(RUNNER_IMAGES.runner);
    expect(name).toBe(`${ids.prefix}-builds`);
    const volume = await orchestrator.docker.getVolume(name).inspect();
    expect(volume.Labels[LABEL_ROLE]).toBe('builds');
    const reader = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-builds-reader`,
      labels: topology.labels('helper'),
      cmd: ['/bin/wait-forever'],
      mounts: [{ type: 'volume', source: name, target: '/builds' }],
      user: '1234:1234',
    });
    await using _reader = reader;
    expect((await reader.exec(['ls', '-ld', '/builds'])).stdout).toMatch(/^drwxrwxrwx /);
    expect((await reader.exec(['touch', '/builds/written-by-1234'])).exitCode).toBe(0);
    // Kept as it is: no second init container, the file still there.
    const since = (Date.now() / 1000).toFixed(3);
    await topology.ensureBuildsVolume(RUNNER_IMAGES.runner);
    expect((await reader.exec(['ls', '/builds'])).stdout.trim()).toBe('written-by-1234');
    const events = (await orchestrator.docker.getEvents({
      since: since as unknown as number,
      until: (Date.now() / 1000 + 1).toFixed(3) as unknown as number,
      filters: { type: ['container'], event: ['create'], label: [`dev.glci.instance=${ids.instance}`] },
    })) as unknown as AsyncIterable<Buffer>;
    let text = '';
    for await (const chunk of events) text += String(chunk);
    expect(text.trim()).toBe('');
  });
});
