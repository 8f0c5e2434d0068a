import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImages, run } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type RunningMockServer } from './create-mock-server.js';
import { SimulatedRunner } from './test-support/simulated-runner.js';

/**
 * The real docker CLI (and dockerd) against the composed mock: a job token from a claimed job logs
 * in, pushes under the job's CI_REGISTRY_IMAGE, is refused elsewhere and stops working when the
 * job ends; anonymous pulls work. The official gitlab-runner cannot be built here, so a simulated
 * runner claims the job over the real Runner API.
 */
const suffix = randomBytes(4).toString('hex');
const SECRET = `docker-test-secret-${suffix}`;
const project = `glci-mock-test/proj-${suffix}`;

let images: Awaited<ReturnType<typeof ensureTestImages>>;
let running: RunningMockServer;
let dataDir: string;
let dockerConfig: string;
let anonymousConfig: string;
let registry: string;
const createdTags: string[] = [];

beforeAll(async () => {
  images = await ensureTestImages();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-mock-docker-'));
  dockerConfig = await mkdtemp(path.join(os.tmpdir(), 'glci-mock-docker-config-'));
  anonymousConfig = await mkdtemp(path.join(os.tmpdir(), 'glci-mock-docker-anon-'));
  running = await createMockServer({ secret: SECRET, dataDir, longPollMs: 0 }).listen({
    host: '127.0.0.1',
    port: 0,
    closeTimeoutMs: 500,
  });
  registry = `127.0.0.1:${running.port}`;
});

afterAll(async () => {
  for (const tag of createdTags) await run('docker', ['rmi', '-f', tag]).catch(() => undefined);
  await running?.close();
  for (const dir of [dataDir, dockerConfig, anonymousConfig]) {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

const docker = (args: string[], options: { input?: string; config?: string } = {}) =>
  run('docker', ['--config', options.config ?? dockerConfig, ...args], {
    timeoutMs: 180_000,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });

async function tag(target: string): Promise<string> {
  await run('docker', ['tag', images.busybox, target]);
  createdTags.push(target);
  return target;
}

describe('docker CLI against the mock registry with a job token', () => {
  it('logs in, pushes under CI_REGISTRY_IMAGE only, pulls anonymously, and loses access when the job ends', async () => {
    const { token: runnerToken } = running.runnerApi.registerRunner();
    const runner = new SimulatedRunner(running.url, runnerToken);
    const job = running.runnerApi.enqueue({
      name: 'docker-build',
      project: { path: project },
      pipeline: { id: 1 },
      git: { ref: 'main', sha: 'c'.repeat(40) },
      script: ['docker login', 'docker push'],
    });
    const payload = await runner.requestJob();
    expect(payload.id).toBe(job.id);
    expect(await runner.update(payload.id, payload.token, { state: 'running' })).toBe(200);
    const variables = Object.fromEntries(payload.variables.map((v) => [v.key, v.value]));
    expect(variables.CI_REGISTRY_IMAGE).toBe(`${registry}/${project}`);
    const user = variables.CI_REGISTRY_USER!;
    const password = variables.CI_REGISTRY_PASSWORD!;
    expect(password).toBe(payload.token);

    await expect(
      docker(['login', registry, '-u', user, '--password-stdin'], { input: `${password}x` }),
    ).rejects.toThrow(/unauthorized|401|invalid/i);
    const login = await docker(['login', registry, '-u', user, '--password-stdin'], { input: password });
    expect(login).toMatch(/Login Succeeded/);

    const image = await tag(`${variables.CI_REGISTRY_IMAGE}/app:${suffix}`);
    const pushed = await docker(['push', image]);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    expect(digest).toBeDefined();
    const tags = await (await fetch(`${running.url}/v2/${project}/app/tags/list`)).json();
    expect(tags).toEqual({ name: `${project}/app`, tags: [suffix] });

    const outside = await tag(`${registry}/glci-mock-test/other-${suffix}/app:${suffix}`);
    await expect(docker(['push', outside])).rejects.toThrow(/denied|may push only/i);
    const sibling = await tag(`${registry}/${project}-evil:${suffix}`);
    await expect(docker(['push', sibling])).rejects.toThrow(/denied|may push only/i);

    // Anonymous pull, with a config that holds no credentials.
    await run('docker', ['rmi', image]);
    const pulled = await docker(['pull', image], { config: anonymousConfig });
    expect(pulled).toContain(`Digest: ${digest}`);

    const log = 'pushed\n';
    expect(await runner.patchTrace(payload.id, payload.token, log)).toBe(202);
    expect(await runner.finish(payload.id, payload.token, log)).toBe(200);
    expect(running.runnerApi.job(payload.id)?.state).toBe('success');

    const late = await tag(`${variables.CI_REGISTRY_IMAGE}/app:${suffix}-late`);
    await expect(docker(['push', late])).rejects.toThrow(/unauthorized|authentication required|expired/i);
    await expect(
      docker(['login', registry, '-u', user, '--password-stdin'], { input: password }),
    ).rejects.toThrow(/unauthorized|401|invalid/i);
    const after = await (await fetch(`${running.url}/v2/${project}/app/tags/list`)).json();
    expect(after).toEqual({ name: `${project}/app`, tags: [suffix] });
  });
});
