import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerOrchestrator } from './docker-orchestrator.js';
import { DockerOperationError } from './errors.js';
import { glciLabels } from './labels.js';
import { connectOrchestrator, PEER_IMAGE, TRANSPORTS, testInstance } from './test-support/docker-env.js';

describe.each(TRANSPORTS)('containers and networks over $transport', ({ host }) => {
  const ids = testInstance();
  const labels = glciLabels({ instance: ids.instance, session: ids.session, role: 'job' });
  const decoy = `glci-decoy-${randomBytes(4).toString('hex')}`;
  let orchestrator: DockerOrchestrator;

  beforeAll(async () => {
    orchestrator = await connectOrchestrator(host);
  });

  afterAll(async () => {
    await orchestrator?.reap({ instance: ids.instance }, { all: true });
    await orchestrator?.docker
      .getNetwork(`${decoy}-net`)
      .remove()
      .catch(() => undefined);
    await orchestrator?.docker
      .getVolume(`${decoy}-vol`)
      .remove()
      .catch(() => undefined);
  });

  it('runs a container, reads its logs (plain and followed) and its exit code', async () => {
    const container = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-echo`,
      labels,
      env: { GREETING: 'hello' },
      cmd: ['sh', '-c', 'echo "$GREETING out"; echo err >&2; sleep 1; echo late; exit 3'],
    });
    await using _container = container;
    const followed = text(await container.logs({ follow: true }));
    expect(await container.wait()).toEqual({ exitCode: 3 });
    // stdout and stderr are separate streams: their relative order is not kept.
    const lines = (output: string) => output.split('\n').sort();
    expect(lines(await followed)).toEqual(lines('hello out\nerr\nlate\n'));
    expect(lines(await text(await container.logs()))).toEqual(lines('hello out\nerr\nlate\n'));
    expect((await container.state()).status).toBe('exited');
  });

  it('execs with exit code and separate output, and copies files in', async () => {
    const container = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-exec`,
      labels,
      cmd: ['/bin/wait-forever'],
      files: [{ path: '/work/input.txt', content: 'from the host\n' }],
    });
    await using _container = container;
    expect(await container.exec(['cat', '/work/input.txt'])).toEqual({
      exitCode: 0,
      stdout: 'from the host\n',
      stderr: '',
    });
    const failing = await container.exec(['sh', '-c', 'echo oops >&2; exit 4'], { env: { X: '1' } });
    expect(failing).toEqual({ exitCode: 4, stdout: '', stderr: 'oops\n' });
  });

  it('stops and removes idempotently, reporting a gone container as missing', async () => {
    const container = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-stop`,
      labels,
      cmd: ['/bin/wait-forever'],
    });
    await container.stop({ timeoutMs: 5000 });
    await container.stop();
    expect(await container.state()).toEqual({ status: 'missing', running: false });
    expect(await orchestrator.getContainer(container.id)).toBeUndefined();
  });

  it('says what it was doing when creating a container fails', async () => {
    await expect(
      orchestrator.run({
        image: `glci-test/missing-${randomBytes(4).toString('hex')}:1`,
        name: `${ids.prefix}-bad`,
        labels,
      }),
    ).rejects.toThrow(new RegExp(`^creating container ${ids.prefix}-bad: No such image`));
    const duplicate = { image: PEER_IMAGE, name: `${ids.prefix}-dup`, labels, cmd: ['/bin/wait-forever'] };
    await using _first = await orchestrator.run(duplicate);
    const failure = orchestrator.run(duplicate);
    await expect(failure).rejects.toBeInstanceOf(DockerOperationError);
    await expect(failure).rejects.toMatchObject({ statusCode: 409 });
  });

  it('connects containers to networks idempotently and removes a network with a container still attached', async () => {
    const network = await orchestrator.createNetwork({ name: `${ids.prefix}-net`, labels });
    expect((await orchestrator.createNetwork({ name: `${ids.prefix}-net`, labels })).id).toBe(network.id);
    await using container = await orchestrator.run({
      image: PEER_IMAGE,
      name: `${ids.prefix}-member`,
      labels,
      cmd: ['/bin/wait-forever'],
    });
    await network.connect(container.id, { aliases: ['member'] });
    await network.connect(container.id, { aliases: ['member'] });
    expect(await network.containers()).toContain(container.id);
    await network.disconnect(container.id);
    await network.disconnect(container.id);
    await network.connect(container.id);
    await network.remove();
    await network.remove();
    expect(await orchestrator.getNetwork(network.name)).toBeUndefined();
  });

  it('never adopts a network or volume it did not create', async () => {
    await orchestrator.docker.createNetwork({ Name: `${decoy}-net` });
    await orchestrator.docker.createVolume({ Name: `${decoy}-vol` });
    expect(await orchestrator.getNetwork(`${decoy}-net`)).toBeUndefined();
    await expect(orchestrator.createNetwork({ name: `${decoy}-net`, labels })).rejects.toThrow(
      new RegExp(`^creating network ${decoy}-net: `),
    );
    await expect(orchestrator.ensureVolume({ name: `${decoy}-vol`, labels })).rejects.toThrow(
      `creating volume ${decoy}-vol: a volume of that name exists and was not made by glci`,
    );
  });
});
