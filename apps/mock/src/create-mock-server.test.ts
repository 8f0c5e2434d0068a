import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { configSchema, createLogger, createSilentLogger } from '@glci/config';
import { createRegistry, MemoryDriver } from '@glci/registry';
import { waitFor } from '@glci/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer, type RunningMockServer } from './create-mock-server.js';
import { basic, pushTinyImage } from './test-support/oci-push.js';
import { SimulatedRunner } from './test-support/simulated-runner.js';

const SECRET = 'internal-secret-for-tests-0123456789';
const SHA = 'a'.repeat(40);

let dataDir: string;
let mock: MockServer;
let running: RunningMockServer;
/** Everything the mock logged in the current test, at debug level. */
let logged = '';

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-mock-test-'));
  logged = '';
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    logged += chunk.toString();
  });
  mock = createMockServer({
    secret: SECRET,
    dataDir,
    longPollMs: 0,
    logger: createLogger({ level: 'debug', stream }),
  });
  running = await mock.listen({ host: '127.0.0.1', port: 0, closeTimeoutMs: 100 });
});

afterEach(async () => {
  await running?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const internal = (pathname: string, init: RequestInit = {}, secret = SECRET) =>
  fetch(`${running.url}${pathname}`, {
    ...init,
    headers: { Authorization: `Bearer ${secret}`, ...(init.headers as Record<string, string>) },
  });

/** A job of `group/demo` claimed by a simulated runner: its id and token. */
async function claimJob(projectPath = 'group/demo') {
  const { token } = running.runnerApi.registerRunner({ tags: [] });
  const runner = new SimulatedRunner(running.url, token);
  const queued = running.runnerApi.enqueue({
    name: 'build',
    project: { path: projectPath },
    pipeline: { id: 1 },
    git: { ref: 'main', sha: SHA },
    script: ['docker push "$CI_REGISTRY_IMAGE/app:1"'],
  });
  const payload = await runner.requestJob();
  expect(payload.id).toBe(queued.id);
  expect(await runner.update(payload.id, payload.token, { state: 'running' })).toBe(200);
  return { runner, payload };
}

describe('createMockServer', () => {
  it('returns the app unstarted: no Runner API before listen() when no external URL is given', async () => {
    const unstarted = createMockServer({ secret: SECRET, dataDir });
    expect(() => unstarted.runnerApi).toThrow(/listen/);
    expect(typeof unstarted.app).toBe('function');
  });

  it('refuses a short internal secret', () => {
    expect(() => createMockServer({ secret: 'short', dataDir })).toThrow(/16 characters/);
  });

  it('listens on a free port and derives the job variables from the bound address', async () => {
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    const { payload } = await claimJob();
    const variables = Object.fromEntries(payload.variables.map((v) => [v.key, v.value]));
    expect(variables.CI_REGISTRY).toBe(`127.0.0.1:${running.port}`);
    expect(variables.CI_REGISTRY_IMAGE).toBe(`127.0.0.1:${running.port}/group/demo`);
    expect(variables.CI_REGISTRY_USER).toBe('gitlab-ci-token');
    expect(variables.CI_REGISTRY_PASSWORD).toBe(payload.token);
  });

  it('uses the given external URL for what jobs see', async () => {
    const other = createMockServer({
      secret: SECRET,
      dataDir,
      externalUrl: 'http://glci-mock:39741',
      longPollMs: 0,
    });
    const job = other.runnerApi.enqueue({
      name: 'x',
      project: { path: 'g/p' },
      pipeline: { id: 1 },
      git: { ref: 'main', sha: SHA },
      script: ['true'],
    });
    const started = await other.listen({ closeTimeoutMs: 100 });
    try {
      const { token } = started.runnerApi.registerRunner();
      const payload = await new SimulatedRunner(started.url, token).requestJob();
      expect(payload.id).toBe(job.id);
      const variables = Object.fromEntries(payload.variables.map((v) => [v.key, v.value]));
      expect(variables.CI_SERVER_URL).toBe('http://glci-mock:39741');
      expect(variables.CI_REGISTRY_IMAGE).toBe('glci-mock:39741/g/p');
    } finally {
      await started.close();
    }
  });
});

describe('/internal', () => {
  it('serves health and stats with the secret', async () => {
    const health = await internal('/internal/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    await claimJob();
    const stats = await internal('/internal/stats');
    expect(stats.status).toBe(200);
    const body = (await stats.json()) as { jobs: Record<string, number>; pushThrough: { enabled: boolean } };
    expect(body.jobs).toEqual({ running: 1 });
    expect(body.pushThrough.enabled).toBe(false);
  });

  it.each([
    ['no Authorization', undefined],
    ['a wrong secret', `Bearer ${SECRET}x`],
    ['a prefix of the secret', `Bearer ${SECRET.slice(0, -1)}`],
    ['the secret as Basic', basic('glci', SECRET)],
    ['the bare secret', SECRET],
  ])('refuses %s with 401', async (_what, authorization) => {
    for (const pathname of ['/internal/health', '/internal/stats', '/internal/metrics', '/internal/nope']) {
      const response = await fetch(`${running.url}${pathname}`, {
        headers: authorization ? { Authorization: authorization } : {},
      });
      expect(response.status, pathname).toBe(401);
      expect(await response.text()).not.toContain(SECRET);
    }
    const swap = await fetch(`${running.url}/internal/push-through-config`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(authorization ? { Authorization: authorization } : {}),
      },
      body: JSON.stringify({ url: 'http://127.0.0.1:1' }),
    });
    expect(swap.status).toBe(401);
    expect(mock.pushThrough.current().enabled).toBe(false);
  });

  it('keeps the registry metrics behind the secret too', async () => {
    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    const metrics = await internal('/internal/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP/m);
    const publicPath = await internal('/metrics');
    expect(publicPath.status).toBe(200);
    expect(await publicPath.text()).toMatch(/^# HELP/m);
  });

  it('swaps the push-through settings live', async () => {
    const swap = await internal('/internal/push-through-config', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9', enabled: true }),
    });
    expect(swap.status).toBe(204);
    expect(mock.pushThrough.current()).toEqual({ enabled: true, url: 'http://127.0.0.1:9' });
    const stats = (await (await internal('/internal/stats')).json()) as { pushThrough: unknown };
    expect(stats.pushThrough).toEqual({ enabled: true, url: 'http://127.0.0.1:9' });
    const bad = await internal('/internal/push-through-config', { method: 'POST', body: '{"url": 3}' });
    expect(bad.status).toBe(400);
  });

  it('answers unknown internal paths 404 only with the secret', async () => {
    expect((await internal('/internal/nope')).status).toBe(404);
  });
});

describe('/v2/ with job tokens', () => {
  it('challenges /v2/ without credentials, lets anonymous clients read', async () => {
    const base = await fetch(`${running.url}/v2/`);
    expect(base.status).toBe(401);
    expect(base.headers.get('www-authenticate')).toBe(
      `Bearer realm="${running.url}/jwt/auth",service="container_registry"`,
    );
    const catalog = await fetch(`${running.url}/v2/_catalog`);
    expect(catalog.status).toBe(200);
    expect(await catalog.json()).toEqual({ repositories: [] });
  });

  it('lets a running job push under its CI_REGISTRY_IMAGE and nowhere else, until it ends', async () => {
    const { runner, payload } = await claimJob();
    const auth = basic('gitlab-ci-token', payload.token);
    const login = await fetch(`${running.url}/v2/`, { headers: { Authorization: auth } });
    expect(login.status).toBe(200);

    expect((await pushTinyImage(running.url, 'group/demo', 'root', auth)).status).toBe(201);
    expect((await pushTinyImage(running.url, 'group/demo/app', 'v1', auth)).status).toBe(201);

    for (const elsewhere of ['group/other', 'group/demo-evil/app', 'group', 'library/busybox']) {
      const refused = await pushTinyImage(running.url, elsewhere, 'v1', auth);
      expect(refused.status, elsewhere).toBe(403);
      expect(JSON.parse(refused.body).errors[0].code).toBe('DENIED');
    }
    const wrongUser = await pushTinyImage(running.url, 'group/demo/app', 'v2', basic('root', payload.token));
    expect(wrongUser.status).toBe(401);
    expect(JSON.parse(wrongUser.body).errors[0].code).toBe('UNAUTHORIZED');
    const anonymous = await pushTinyImage(running.url, 'group/demo/app', 'v2');
    expect(anonymous.status).toBe(401);

    // Anonymous pulls.
    const manifest = await fetch(`${running.url}/v2/group/demo/app/manifests/v1`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status).toBe(200);
    const tags = await fetch(`${running.url}/v2/group/demo/app/tags/list`);
    expect(await tags.json()).toEqual({ name: 'group/demo/app', tags: ['v1'] });

    expect(await runner.finish(payload.id, payload.token, '')).toBe(200);
    expect(running.runnerApi.job(payload.id)?.state).toBe('success');
    const after = await pushTinyImage(running.url, 'group/demo/app', 'v3', auth);
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body).errors[0].code).toBe('UNAUTHORIZED');
    expect((await fetch(`${running.url}/v2/`, { headers: { Authorization: auth } })).status).toBe(401);
    // Stale credentials do not break reads.
    const stale = await fetch(`${running.url}/v2/group/demo/app/manifests/v1`, {
      headers: { Authorization: auth, Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(stale.status).toBe(200);
    expect(logged).toContain('job queued');
    expect(logged).not.toContain(payload.token);
    expect(logged).not.toContain(SECRET);
  });

  it("cleans one project's repositories through /internal/registry/clean and keeps the others", async () => {
    const { payload } = await claimJob('group/demo');
    const auth = basic('gitlab-ci-token', payload.token);
    expect((await pushTinyImage(running.url, 'group/demo', 'v1', auth)).status).toBe(201);
    expect((await pushTinyImage(running.url, 'group/demo/app', 'v1', auth)).status).toBe(201);
    const other = await claimJob('group/demo-two');
    const otherAuth = basic('gitlab-ci-token', other.payload.token);
    expect((await pushTinyImage(running.url, 'group/demo-two', 'v1', otherAuth)).status).toBe(201);

    const clean = (body: unknown) =>
      internal('/internal/registry/clean', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await clean({ project: '../etc' })).status).toBe(400);
    const cleaned = await clean({ project: 'Group/Demo' });
    expect(cleaned.status).toBe(200);
    expect(await cleaned.json()).toMatchObject({
      repositories: ['group/demo', 'group/demo/app'],
      manifestsDeleted: 2,
      // Two manifests and two layers; the config (same tag, same bytes) is group/demo-two's too.
      blobsDeleted: 4,
    });
    const catalog = await fetch(`${running.url}/v2/_catalog`);
    expect(await catalog.json()).toEqual({ repositories: ['group/demo-two'] });
    const gone = await fetch(`${running.url}/v2/group/demo/app/manifests/v1`);
    expect(gone.status).toBe(404);
    const kept = await fetch(`${running.url}/v2/group/demo-two/manifests/v1`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(kept.status).toBe(200);
    expect((await fetch(`${running.url}/internal/registry/clean`, { method: 'POST' })).status).toBe(401);
  });

  it('refuses forged tokens and the token of another project', async () => {
    const { payload } = await claimJob('group/demo');
    const forged = `${payload.token.slice(0, -1)}${payload.token.endsWith('A') ? 'B' : 'A'}`;
    expect(
      (await pushTinyImage(running.url, 'group/demo/app', 'x', basic('gitlab-ci-token', forged))).status,
    ).toBe(401);
    const { payload: second } = await claimJob('team/other');
    const cross = await pushTinyImage(
      running.url,
      'group/demo/app',
      'x',
      basic('gitlab-ci-token', second.token),
    );
    expect(cross.status).toBe(403);
    expect(
      (await pushTinyImage(running.url, 'team/other/img', 'x', basic('gitlab-ci-token', second.token)))
        .status,
    ).toBe(201);
  });
});

describe('routing', () => {
  it('serves the Runner API, the cache bucket, git and a JSON 404 for everything else', async () => {
    const api = await fetch(`${running.url}/api/v4/nothing`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    const cacheMiss = await fetch(`${running.url}/runner-cache/project/1/key`, { method: 'HEAD' });
    expect(cacheMiss.status).toBe(404);
    const put = await fetch(`${running.url}/runner-cache/project/1/key`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: 'cached bytes',
    });
    expect(put.status).toBe(200);
    expect(await (await fetch(`${running.url}/runner-cache/project/1/key`)).text()).toBe('cached bytes');
    const git = await fetch(`${running.url}/group/demo.git/info/refs?service=git-upload-pack`);
    expect(git.status).toBe(401);
    expect(git.headers.get('www-authenticate')).toMatch(/^Basic /);
    const other = await fetch(`${running.url}/somewhere/else`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ message: '404 GET /somewhere/else not found' });
  });
});

describe('storage', () => {
  it('keeps pushed images on the configured filesystem storage across restarts', async () => {
    const root = path.join(dataDir, 'registry');
    const config = configSchema.parse({ registry: { storage: { root }, upstreams: [] } });
    const first = await createMockServer({ secret: SECRET, dataDir, config, longPollMs: 0 }).listen({
      closeTimeoutMs: 100,
    });
    const { token } = first.runnerApi.registerRunner();
    first.runnerApi.enqueue({
      name: 'x',
      project: { path: 'keep/me' },
      pipeline: { id: 1 },
      git: { ref: 'main', sha: SHA },
      script: ['true'],
    });
    const payload = await new SimulatedRunner(first.url, token).requestJob();
    expect(
      (await pushTinyImage(first.url, 'keep/me', 'v1', basic('gitlab-ci-token', payload.token))).status,
    ).toBe(201);
    await first.close();
    const second = await createMockServer({ secret: SECRET, dataDir, config, longPollMs: 0 }).listen({
      closeTimeoutMs: 100,
    });
    try {
      const tags = await fetch(`${second.url}/v2/keep/me/tags/list`);
      expect(await tags.json()).toEqual({ name: 'keep/me', tags: ['v1'] });
    } finally {
      await second.close();
    }
  });
});

/** An in-memory registry on a free loopback port: an upstream or a push-through mirror. */
function startMemoryRegistry() {
  return createRegistry({ storage: new MemoryDriver(), logger: createSilentLogger() }).listen({ port: 0 });
}

describe('pull-through and push-through', () => {
  it('serves an upstream image anonymously and mirrors job pushes to the push-through upstream', async () => {
    const upstream = await startMemoryRegistry();
    const mirror = await startMemoryRegistry();
    try {
      expect((await pushTinyImage(upstream.url, 'vendor/base', '1')).status).toBe(201);
      const config = configSchema.parse({
        registry: {
          storage: { driver: 'memory' },
          upstreams: [{ url: upstream.url }],
          push_through: true,
          upstream: { url: mirror.url },
        },
      });
      const proxied = await createMockServer({ secret: SECRET, dataDir, config, longPollMs: 0 }).listen({
        closeTimeoutMs: 100,
      });
      try {
        const pulled = await fetch(`${proxied.url}/v2/vendor/base/manifests/1`, {
          headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
        });
        expect(pulled.status).toBe(200);
        const stats = (await (
          await fetch(`${proxied.url}/internal/stats`, { headers: { Authorization: `Bearer ${SECRET}` } })
        ).json()) as { proxy: { upstreams: { misses: number }[] }; pushThrough: unknown };
        expect(stats.proxy.upstreams[0]!.misses).toBeGreaterThan(0);
        expect(stats.pushThrough).toEqual({ enabled: true, url: mirror.url });

        const { token } = proxied.runnerApi.registerRunner();
        proxied.runnerApi.enqueue({
          name: 'x',
          project: { path: 'team/app' },
          pipeline: { id: 1 },
          git: { ref: 'main', sha: SHA },
          script: ['true'],
        });
        const payload = await new SimulatedRunner(proxied.url, token).requestJob();
        const pushed = await pushTinyImage(
          proxied.url,
          'team/app',
          'v1',
          basic('gitlab-ci-token', payload.token),
        );
        expect(pushed.status).toBe(201);
        expect(await (await fetch(`${mirror.url}/v2/team/app/tags/list`)).json()).toEqual({
          name: 'team/app',
          tags: ['v1'],
        });
      } finally {
        await proxied.close();
      }
    } finally {
      await upstream.close();
      await mirror.close();
    }
  });

  it('bounds the pull-through cache by [registry.proxy_cache] and keeps its index across restarts', async () => {
    const upstream = await startMemoryRegistry();
    const root = path.join(dataDir, 'registry');
    const manifest = (url: string, name: string) =>
      fetch(`${url}/v2/${name}/manifests/1`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
    const cachedBytes = async (url: string) =>
      (
        (await (
          await fetch(`${url}/internal/stats`, { headers: { Authorization: `Bearer ${SECRET}` } })
        ).json()) as { proxy: { cache: { bytes: number } } }
      ).proxy.cache.bytes;
    let upstreamOpen = true;
    try {
      for (const name of ['vendor/first', 'vendor/second']) {
        expect((await pushTinyImage(upstream.url, name, '1')).status).toBe(201);
      }
      const size = (await (await manifest(upstream.url, 'vendor/first')).arrayBuffer()).byteLength;
      // Room for one cached manifest, not two.
      const config = configSchema.parse({
        registry: {
          storage: { root },
          upstreams: [{ url: upstream.url }],
          proxy_cache: { max_size: size + 10 },
        },
      });
      const first = await createMockServer({ secret: SECRET, dataDir, config, longPollMs: 0 }).listen({
        closeTimeoutMs: 100,
      });
      try {
        expect((await manifest(first.url, 'vendor/first')).status).toBe(200);
        expect((await manifest(first.url, 'vendor/second')).status).toBe(200);
        await waitFor(
          'the cache to evict down to its bound',
          async () => (await cachedBytes(first.url)) <= size + 10,
        );
      } finally {
        await first.close();
      }
      // A new mock on the same storage: the saved index says what is cached, with the upstream gone.
      await upstream.close();
      upstreamOpen = false;
      const second = await createMockServer({ secret: SECRET, dataDir, config, longPollMs: 0 }).listen({
        closeTimeoutMs: 100,
      });
      try {
        expect(await cachedBytes(second.url)).toBeGreaterThan(0);
        expect((await manifest(second.url, 'vendor/second')).status).toBe(200);
        expect((await manifest(second.url, 'vendor/first')).status).toBeGreaterThanOrEqual(400);
      } finally {
        await second.close();
      }
    } finally {
      if (upstreamOpen) await upstream.close();
    }
  });

  it('cleaning a project also forgets what the pull-through cache holds for it', async () => {
    const upstream = await startMemoryRegistry();
    let upstreamOpen = true;
    try {
      expect((await pushTinyImage(upstream.url, 'vendor/base', '1')).status).toBe(201);
      expect((await pushTinyImage(upstream.url, 'vendor/other', '1')).status).toBe(201);
      const config = configSchema.parse({
        registry: { storage: { driver: 'memory' }, upstreams: [{ url: upstream.url }] },
      });
      const proxied = await createMockServer({ secret: SECRET, dataDir, config, longPollMs: 0 }).listen({
        closeTimeoutMs: 100,
      });
      try {
        const manifest = (name: string) =>
          fetch(`${proxied.url}/v2/${name}/manifests/1`, {
            headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
          });
        expect((await manifest('vendor/base')).status).toBe(200);
        expect((await manifest('vendor/other')).status).toBe(200);
        const cleaned = await fetch(`${proxied.url}/internal/registry/clean`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ project: 'vendor/base' }),
        });
        expect(cleaned.status).toBe(200);
        const report = (await cleaned.json()) as { repositories: string[]; blobsDeleted: number };
        expect(report.repositories).toEqual(['vendor/base']);
        // Its manifest: only manifests were pulled, so no layer or config blob was cached.
        expect(report.blobsDeleted).toBe(1);
        // With the upstream away, only what the cache still holds can be served.
        await upstream.close();
        upstreamOpen = false;
        expect((await manifest('vendor/base')).status).toBeGreaterThanOrEqual(400);
        expect((await manifest('vendor/other')).status).toBe(200);
      } finally {
        await proxied.close();
      }
    } finally {
      if (upstreamOpen) await upstream.close();
    }
  });
});
