import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from './auth/basic-auth.js';
import { HtpasswdUsers } from './auth/htpasswd.js';
import { readsAnonymous } from './auth/reads-anonymous.js';
import { createRegistry } from './create-registry.js';
import { MemoryDriver } from './driver/memory-driver.js';
import { logger, pushBlob, sha256, startTestRegistry } from './http/test-support/fixture.js';
import { RegistryMetrics } from './metrics.js';
import type { Namespace } from './store/contracts.js';
import { createNamespace } from './store/index.js';

describe('createRegistry', () => {
  it('listen({ port: 0 }) binds 127.0.0.1 on a free port and close() stops it', async () => {
    const registry = createRegistry({
      logger,
      namespace: createNamespace({ driver: new MemoryDriver(), logger }),
    });
    const running = await registry.listen({ port: 0 });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.port).toBeGreaterThan(0);
    const response = await fetch(`${running.url}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await response.json()).toEqual({});
    await running.close();
    await expect(fetch(`${running.url}/v2/`)).rejects.toThrow();
  });

  it('two registries listen side by side', async () => {
    await using a = await startTestRegistry();
    await using b = await startTestRegistry();
    expect(a.url).not.toBe(b.url);
    await pushBlob(a, 'only/a', 'content');
    expect((await b.fetch(`/v2/only/a/blobs/${sha256('content')}`)).status).toBe(404);
  });

  it('embeds as an express app next to other routes', async () => {
    const registry = createRegistry({
      logger,
      namespace: createNamespace({ driver: new MemoryDriver(), logger }),
    });
    const outer = express();
    outer.get('/health', (_req, res) => {
      res.send('ok');
    });
    outer.use(registry.app);
    const server = outer.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok');
      const digest = sha256('via express');
      const pushed = await fetch(`http://127.0.0.1:${port}/v2/ex/app/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        body: 'via express',
      });
      expect(pushed.status).toBe(201);
      expect(await (await fetch(`http://127.0.0.1:${port}/v2/ex/app/blobs/${digest}`)).text()).toBe(
        'via express',
      );
      expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('/metrics reports requests by route and status, bytes and upload sessions', async () => {
    await using registry = await startTestRegistry();
    await pushBlob(registry, 'm/app', 'twelve bytes');
    await registry.fetch(`/v2/m/app/blobs/${sha256('twelve bytes')}`).then((r) => r.text());
    await registry.fetch('/v2/m/app/manifests/missing').then((r) => r.text());
    const started = await registry.fetch('/v2/m/app/blobs/uploads/', { method: 'POST' });
    await registry.fetch(started.headers.get('location') as string, { method: 'DELETE' });
    const response = await registry.fetch('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('glci_registry_http_requests_total{route="uploads",method="POST",status="201"} 1');
    expect(text).toContain('glci_registry_http_requests_total{route="blobs",method="GET",status="200"} 1');
    expect(text).toContain(
      'glci_registry_http_requests_total{route="manifests",method="GET",status="404"} 1',
    );
    expect(text).toContain('glci_registry_http_received_bytes_total{route="uploads"} 12');
    expect(text).toContain('glci_registry_http_sent_bytes_total{route="blobs"} 12');
    expect(text).toContain('glci_registry_upload_sessions_total{outcome="completed"} 1');
    expect(text).toContain('glci_registry_upload_sessions_total{outcome="cancelled"} 1');
    expect(text).toContain('glci_registry_process_resident_memory_bytes');
  });

  it('/metrics appends the text of added sources, read at each request', async () => {
    const metrics = new RegistryMetrics({ defaultMetrics: false });
    await using registry = await startTestRegistry({ metrics });
    let hits = 1;
    metrics.addTextSource(() => `# TYPE extra_hits counter\nextra_hits ${hits}\n`);
    expect(await (await registry.fetch('/metrics')).text()).toMatch(/^extra_hits 1$/m);
    hits = 2;
    const text = await (await registry.fetch('/metrics')).text();
    expect(text).toMatch(/^extra_hits 2$/m);
    expect(text).toContain('glci_registry_http_requests_total');
  });

  it('metrics: false serves no /metrics', async () => {
    await using registry = await startTestRegistry({ metrics: false });
    expect((await registry.fetch('/metrics')).status).toBe(404);
  });

  it('metricsEndpoint: false collects metrics for a listener of your own and serves none next to the API', async () => {
    const metrics = new RegistryMetrics({ defaultMetrics: false });
    await using registry = await startTestRegistry({ metrics, metricsEndpoint: false });
    expect((await registry.fetch('/metrics')).status).toBe(404);
    expect((await registry.fetch('/v2/')).status).toBe(200);
    expect(await metrics.text()).toMatch(
      /glci_registry_http_requests_total\{route="base",method="GET",status="200"\} 1/,
    );
  });

  it('/metrics asks the auth hook like /v2/: Basic auth wants the password there too', async () => {
    const users = HtpasswdUsers.parse(`ci:${bcrypt.hashSync('ci-password', 4)}`);
    await using registry = await startTestRegistry({ auth: basicAuth({ users, realm: 'glci' }) });
    expect((await registry.fetch('/metrics')).status).toBe(401);
    const authorized = await registry.fetch('/metrics', {
      headers: { Authorization: `Basic ${Buffer.from('ci:ci-password').toString('base64')}` },
    });
    expect(authorized.status).toBe(200);
  });

  it('a mount reads only from a repository the client may pull: else a plain upload (202)', async () => {
    // The hook lets an admin (any Basic credentials) do anything; the client under test, without
    // credentials, may write team-b/* and read team-b/* and shared/*, never team-a/*.
    const readable = (name: string) => name.startsWith('team-b/') || name.startsWith('shared/');
    await using registry = await startTestRegistry({
      auth: ({ repository, actions, credentials }) =>
        credentials.kind === 'basic' ||
        !repository ||
        repository.startsWith('team-b/') ||
        (readable(repository) && actions.every((action) => action === 'pull'))
          ? { kind: 'allow' }
          : { kind: 'deny' },
    });
    const admin = { Authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` };
    const seed = async (name: string, content: string) => {
      const digest = sha256(content);
      const response = await registry.fetch(`/v2/${name}/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        headers: admin,
        body: content,
      });
      expect(response.status).toBe(201);
      return digest;
    };
    const secret = await seed('team-a/app', 'team-a only');
    const open = await seed('shared/base', 'shared layer');
    const mount = (query: string) =>
      registry.fetch(`/v2/team-b/app/blobs/uploads/?${query}`, { method: 'POST' });

    for (const query of [`mount=${secret}&from=team-a/app`, `mount=${secret}`, `mount=${secret}&from=../a`]) {
      const refused = await mount(query);
      expect(refused.status, query).toBe(202);
      expect(refused.headers.get('location'), query).toMatch(/\/v2\/team-b\/app\/blobs\/uploads\//);
    }
    expect((await registry.fetch(`/v2/team-b/app/blobs/${secret}`, { method: 'HEAD' })).status).toBe(404);

    const allowed = await mount(`mount=${open}&from=shared/base`);
    expect(allowed.status).toBe(201);
    expect(await (await registry.fetch(`/v2/team-b/app/blobs/${open}`)).text()).toBe('shared layer');
  });

  it('Basic auth with anonymous reads: pulls need nothing, pushes need the password', async () => {
    const users = HtpasswdUsers.parse(`ci:${bcrypt.hashSync('ci-password', 4)}`);
    await using registry = await startTestRegistry({
      auth: readsAnonymous(basicAuth({ users, realm: 'glci' })),
    });
    const ping = await registry.fetch('/v2/');
    expect(ping.status).toBe(401);
    expect(ping.headers.get('www-authenticate')).toBe('Basic realm="glci"');
    const authorization = `Basic ${Buffer.from('ci:ci-password').toString('base64')}`;
    expect((await registry.fetch('/v2/', { headers: { Authorization: authorization } })).status).toBe(200);
    const digest = sha256('public');
    const anonymousPush = await registry.fetch(`/v2/pub/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: 'public',
    });
    expect(anonymousPush.status).toBe(401);
    const push = await registry.fetch(`/v2/pub/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: 'public',
      headers: { Authorization: authorization },
    });
    expect(push.status).toBe(201);
    expect(await (await registry.fetch(`/v2/pub/blobs/${digest}`)).text()).toBe('public');
    const wrong = `Basic ${Buffer.from('ci:nope').toString('base64')}`;
    expect(
      (await registry.fetch(`/v2/pub/blobs/${digest}`, { headers: { Authorization: wrong } })).status,
    ).toBe(401);
  });

  it('passes ?ns= to a proxying namespace and answers its Warning and OCI-Namespace hints', async () => {
    const local = createNamespace({ driver: new MemoryDriver(), logger });
    const seen: (string | undefined)[] = [];
    const proxying: Namespace = {
      ...local,
      hasRepository: (name) => local.hasRepository(name),
      catalog: (options) => local.catalog(options),
      blobExists: (digest) => local.blobExists(digest),
      repository: (async (name: string, options?: { namespace?: string }) => {
        seen.push(options?.namespace);
        const repository = await local.repository(name);
        const warnings: string[] = [];
        return {
          name,
          blobs: repository.blobs,
          tags: {
            ...repository.tags,
            resolve: async (tag: string) => {
              warnings.push('299 - "served a stale copy: upstream unreachable"');
              return repository.tags.resolve(tag);
            },
            tag: (t: string, d: Parameters<typeof repository.tags.tag>[1]) => repository.tags.tag(t, d),
            untag: (t: string) => repository.tags.untag(t),
            list: (o?: { last?: string; n?: number }) => repository.tags.list(o),
            lookup: (d: Parameters<typeof repository.tags.lookup>[0]) => repository.tags.lookup(d),
          },
          manifests: repository.manifests,
          referrers: repository.referrers,
          warnings,
          ...(options?.namespace ? { ociNamespace: options.namespace } : {}),
        };
      }) as Namespace['repository'],
    };
    const registry = createRegistry({ logger, namespace: proxying });
    await using running = await registry.listen({ port: 0 });
    const response = await fetch(`${running.url}/v2/library/alpine/manifests/3?ns=docker.io`);
    expect(response.status).toBe(404);
    expect(seen).toEqual(['docker.io']);
    expect(response.headers.get('oci-namespace')).toBe('docker.io');
    expect(response.headers.get('warning')).toBe('299 - "served a stale copy: upstream unreachable"');
    const plain = await fetch(`${running.url}/v2/library/alpine/tags/list`);
    expect(plain.headers.get('oci-namespace')).toBeNull();
    expect(seen).toEqual(['docker.io', undefined]);
  });

  describe('HTTPS', () => {
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'glci-tls-'));
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ]);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('serves HTTPS when given a certificate and key (paths or PEM text)', async () => {
      const registry = createRegistry({
        logger,
        namespace: createNamespace({ driver: new MemoryDriver(), logger }),
      });
      await using running = await registry.listen({
        port: 0,
        tls: { cert: path.join(dir, 'cert.pem'), key: readFileSync(path.join(dir, 'key.pem'), 'utf8') },
      });
      expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const result = await new Promise<{ status: number; version: string | undefined }>((resolve, reject) => {
        httpsGet(`${running.url}/v2/`, { ca: readFileSync(path.join(dir, 'cert.pem')) }, (res) => {
          res.resume();
          resolve({
            status: res.statusCode ?? 0,
            version: res.headers['docker-distribution-api-version'] as string | undefined,
          });
        }).on('error', reject);
      });
      expect(result).toEqual({ status: 200, version: 'registry/2.0' });
    });
  });
});
