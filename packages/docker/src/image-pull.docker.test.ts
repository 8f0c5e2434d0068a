import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { type RunningDistribution, startDistribution, TEST_IMAGES } from '@glci/testkit';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerOrchestrator } from './docker-orchestrator.js';
import { DockerOperationError, ImageNotPresentError } from './errors.js';
import { PullProgressTracker } from './image-pull.js';
import type { PullProgressEvent } from './orchestrator.js';
import { createTar } from './tar.js';
import { connectOrchestrator, TRANSPORTS } from './test-support/docker-env.js';

const USER = 'glci-ci';
const PASSWORD = 'glci-test-secret';
/** bcrypt (cost 4) of PASSWORD, for distribution's htpasswd auth. */
const HTPASSWD_HASH = '$2b$04$3vL1bYykYXOhelbElorYlOfwqi2T7g0RGAjKqWR1xizrrV6dMGz3C';

describe.each(TRANSPORTS)('pulling images over $transport', ({ host }) => {
  let registry: RunningDistribution;
  let orchestrator: DockerOrchestrator;
  let image: string;

  let configDir: string;
  let work: string | undefined;

  beforeAll(async () => {
    const base = await connectOrchestrator(host);
    // A registry that wants a password; the orchestrator finds it in DOCKER_CONFIG's config.json.
    work = mkdtempSync(path.join(os.tmpdir(), 'glci-pull-'));
    writeFileSync(path.join(work, 'htpasswd'), `${USER}:${HTPASSWD_HASH}\n`);
    configDir = path.join(work, 'docker-config');
    mkdirSync(configDir);
    registry = await startDistribution({
      extraConfig: `auth:\n  htpasswd:\n    realm: glci-test\n    path: ${path.join(work, 'htpasswd')}\n`,
    });
    writeFileSync(
      path.join(configDir, 'config.json'),
      JSON.stringify({
        auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } },
      }),
    );
    orchestrator = new DockerOrchestrator({
      docker: base.docker,
      logger: createSilentLogger(),
      env: { DOCKER_CONFIG: configDir },
    });
    image = `${registry.host}/glci-test/pull-${randomBytes(4).toString('hex')}:1`;
    await buildAndPush(orchestrator.docker, image);
  });

  afterAll(async () => {
    await orchestrator?.docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pulls with per-layer byte progress under policy "always"', async () => {
    const events: PullProgressEvent[] = [];
    const tracker = new PullProgressTracker();
    const result = await orchestrator.pull(image, {
      policy: 'always',
      onProgress: (event) => {
        events.push(event);
        tracker.update(event);
      },
    });
    expect(result).toEqual({ image, pulled: true });
    const downloading = events.filter((e) => e.status === 'Downloading');
    expect(downloading.length).toBeGreaterThan(0);
    expect(downloading.every((e) => e.layer && e.total && e.current !== undefined)).toBe(true);
    const summary = tracker.summary();
    expect(summary.total).toBeGreaterThanOrEqual(512 * 1024);
    expect(summary.current).toBe(summary.total);
    expect(summary.done).toBe(summary.layers);
  });

  it('skips the pull under "if-not-present" when the image is there', async () => {
    const events: PullProgressEvent[] = [];
    const result = await orchestrator.pull(image, { onProgress: (event) => events.push(event) });
    expect(result.pulled).toBe(false);
    expect(events).toEqual([]);
  });

  it('fails under "never" when the image is missing, and says what it was doing on a failed pull', async () => {
    const missing = `${registry.host}/glci-test/missing-${randomBytes(4).toString('hex')}:1`;
    await expect(orchestrator.pull(missing, { policy: 'never' })).rejects.toBeInstanceOf(
      ImageNotPresentError,
    );
    const failure = orchestrator.pull(missing, { policy: 'if-not-present' });
    await expect(failure).rejects.toBeInstanceOf(DockerOperationError);
    await expect(failure).rejects.toThrow(`pulling image ${missing}: `);
  });

  it('is refused by the registry without the DOCKER_CONFIG credentials', async () => {
    const anonymous = new DockerOrchestrator({
      docker: orchestrator.docker,
      logger: createSilentLogger(),
      env: { DOCKER_CONFIG: path.join(configDir, 'nothing-here') },
    });
    await expect(anonymous.pull(image, { policy: 'always' })).rejects.toThrow(
      new RegExp(`^pulling image ${image}: .*(unauthorized|no basic auth credentials)`),
    );
  });
});

/** A fresh image with a random 1 MiB layer on top of busybox, pushed to the registry and removed locally. */
async function buildAndPush(docker: Docker, image: string): Promise<void> {
  const context = await createTar([
    { path: 'Dockerfile', content: `FROM ${TEST_IMAGES.busybox}\nCOPY random.bin /random.bin\n` },
    { path: 'random.bin', content: randomBytes(1024 * 1024) },
  ]);
  const build = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: image, rm: true });
  await follow(docker, build);
  const push = await docker
    .getImage(image)
    .push({ authconfig: { serveraddress: image.split('/')[0], username: USER, password: PASSWORD } });
  await follow(docker, push);
  await docker.getImage(image).remove({ force: true });
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  const output = await new Promise<unknown[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error, result) => (error ? reject(error) : resolve(result))),
  );
  const failure = output.find((line) => (line as { error?: string }).error);
  if (failure) throw new Error(JSON.stringify(failure));
}
