import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { requireDocker, run, waitFor } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Builds the glci-mock image with scripts/build-image.sh (no base image is pulled), runs it with
 * its port published on 127.0.0.1 only, and talks to it from the host.
 */
const suffix = randomBytes(4).toString('hex');
const tag = `glci-mock:test-${suffix}`;
const name = `glci-mock-test-${suffix}`;
const secret = `image-test-secret-${suffix}`;
const script = path.resolve(import.meta.dirname, '../scripts/build-image.sh');

let url: string;
let built = false;
let started = false;

beforeAll(async () => {
  await requireDocker();
  await run('bash', [script, tag], { timeoutMs: 600_000 });
  built = true;
  await run('docker', [
    'run',
    '-d',
    '--name',
    name,
    '--label',
    `dev.glci.test=${suffix}`,
    '-p',
    '127.0.0.1::39741',
    '-e',
    `GLCI_MOCK_SECRET=${secret}`,
    '-e',
    'GLCI_MOCK_UPSTREAMS=',
    tag,
  ]);
  started = true;
  const published = (await run('docker', ['port', name, '39741/tcp'])).trim().split('\n')[0]!;
  expect(published).toMatch(/^127\.0\.0\.1:\d+$/);
  url = `http://${published}`;
  // docker-proxy accepts connections before the server in the container listens, and such a
  // connection may never be answered: every attempt has its own timeout.
  await waitFor(
    'the mock container to answer',
    async () => (await fetch(`${url}/v2/_catalog`, { signal: AbortSignal.timeout(2000) })).ok,
    60_000,
    250,
  );
}, 720_000);

afterAll(async () => {
  if (started) await run('docker', ['rm', '-f', name]).catch(() => undefined);
  if (built) await run('docker', ['rmi', '-f', tag]).catch(() => undefined);
});

describe('the glci-mock image', () => {
  it('declares what the orchestrator relies on', async () => {
    const config = JSON.parse(
      await run('docker', ['image', 'inspect', '--format', '{{json .Config}}', tag]),
    ) as {
      User: string;
      ExposedPorts: Record<string, unknown>;
      Entrypoint: string[];
      Healthcheck: { Test: string[] };
    };
    expect(config.User).toBe('10001:10001');
    expect(Object.keys(config.ExposedPorts)).toEqual(['39741/tcp']);
    expect(config.Entrypoint).toEqual(['/usr/bin/node', '/app/dist/bin.js']);
    expect(config.Healthcheck.Test).toEqual(['CMD', '/usr/bin/node', '/app/dist/bin.js', 'healthcheck']);
  });

  it('serves /v2/ with the token-flow challenge and anonymous reads', async () => {
    const base = await fetch(`${url}/v2/`);
    expect(base.status).toBe(401);
    expect(base.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(base.headers.get('www-authenticate')).toBe(
      `Bearer realm="${url}/jwt/auth",service="container_registry"`,
    );
    const token = (await (await fetch(`${url}/jwt/auth?service=container_registry`)).json()) as {
      token: string;
    };
    const authed = await fetch(`${url}/v2/`, { headers: { Authorization: `Bearer ${token.token}` } });
    expect(authed.status).toBe(200);
    expect(await (await fetch(`${url}/v2/_catalog`)).json()).toEqual({ repositories: [] });
  });

  it('serves /internal/health with the secret only, and Docker sees it healthy', async () => {
    const health = await fetch(`${url}/internal/health`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${url}/internal/health`)).status).toBe(401);
    expect(
      (await fetch(`${url}/internal/health`, { headers: { Authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    await waitFor(
      'the container health check to pass',
      async () =>
        (await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', name])).trim() === 'healthy',
      90_000,
      1000,
    );
  });

  it('serves git and the Runner API from the same port, and stops gracefully on SIGTERM', async () => {
    const api = await fetch(`${url}/api/v4/jobs/request`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'RUNNER-TOKEN': 'glrt-forged' },
      body: JSON.stringify({ token: 'glrt-forged' }),
    });
    expect(api.status).toBe(403);
    expect((await run('docker', ['exec', name, 'git', '--version'])).trim()).toMatch(/^git version /);
    await run('docker', ['stop', '--time', '20', name]);
    const state = JSON.parse(await run('docker', ['inspect', '--format', '{{json .State}}', name])) as {
      ExitCode: number;
    };
    expect(state.ExitCode).toBe(0);
    // `docker logs` replays the container's stderr (the log) on its own stderr.
    const logs = await run('sh', ['-c', `docker logs ${name} 2>&1`]);
    expect(logs).toContain('shutting down');
    expect(logs).not.toContain(secret);
  });
});
