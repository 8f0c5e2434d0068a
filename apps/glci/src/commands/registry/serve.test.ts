import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { get as httpsGet } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ManagedProcess, pushTinyImage, startGlciRegistry } from '@glci/testkit';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createCliSandbox } from '../../test-support/run-glci.js';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Every test here starts one to three `glci registry serve` processes from source (through tsx):
 * 3–5 s each on an idle machine, up to 15 s on a loaded 2-core one, where the push-through test
 * once ran past vitest's default 30 s. The time is not what these tests check.
 */
const PROCESSES = { timeout: 180_000 };

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-serve-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts `glci registry serve` from source in a throwaway HOME and waits for the URL it prints. */
async function serve(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; process: ManagedProcess }> {
  const sandbox = createCliSandbox();
  cleanups.push(() => sandbox.remove());
  const running = await startGlciRegistry(args, { PATH: process.env.PATH ?? '', HOME: sandbox.home, ...env });
  cleanups.push(() => running.process.kill('SIGKILL'));
  return running;
}

describe('glci registry serve', PROCESSES, () => {
  it('serves the storage directory, survives a restart, and stops cleanly on SIGTERM', async () => {
    const storage = tempDir();
    const first = await serve(['--storage', storage]);
    expect((await fetch(`${first.url}/v2/`)).status).toBe(200);
    const digest = sha256('kept across restarts');
    const pushed = await fetch(`${first.url}/v2/cli/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: 'kept across restarts',
    });
    expect(pushed.status).toBe(201);
    await first.process.kill('SIGTERM');
    expect(first.process.child.exitCode).toBe(0);
    expect(first.process.output()).toContain('shutting down');

    const second = await serve(['--storage', storage]);
    expect(await (await fetch(`${second.url}/v2/cli/app/blobs/${digest}`)).text()).toBe(
      'kept across restarts',
    );
    await second.process.kill('SIGINT');
    expect(second.process.child.exitCode).toBe(0);
  });

  it('uses registry.storage from the configuration by default', async () => {
    const storage = tempDir();
    const configHome = tempDir();
    writeFileSync(path.join(configHome, 'config.toml'), `[registry.storage]\nroot = "${storage}"\n`);
    const { url } = await serve([], { GLCI_HOME: configHome });
    const digest = sha256('configured');
    await fetch(`${url}/v2/cfg/blobs/uploads/?digest=${digest}`, { method: 'POST', body: 'configured' });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(storage)).not.toHaveLength(0);
  });

  it('--auth basic:FILE --anonymous-pull: anonymous pulls, authenticated pushes', async () => {
    const dir = tempDir();
    const users = path.join(dir, 'users.htpasswd');
    writeFileSync(users, `ci:${bcrypt.hashSync('ci-secret-password', 4)}\n`);
    const { url, process: child } = await serve([
      '--storage',
      'memory:',
      '--auth',
      `basic:${users}`,
      '--anonymous-pull',
    ]);
    const digest = sha256('auth');
    const anonymous = await fetch(`${url}/v2/a/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: 'auth',
    });
    expect(anonymous.status).toBe(401);
    const push = await fetch(`${url}/v2/a/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: 'auth',
      headers: { Authorization: `Basic ${Buffer.from('ci:ci-secret-password').toString('base64')}` },
    });
    expect(push.status).toBe(201);
    expect((await fetch(`${url}/v2/a/blobs/${digest}`)).status).toBe(200);
    expect(child.output()).not.toContain('ci-secret-password');
  });
});

describe('glci registry serve: token auth and TLS', PROCESSES, () => {
  it('--auth token:FILE answers the Bearer challenge and issues tokens for the users in FILE', async () => {
    const dir = tempDir();
    const users = path.join(dir, 'users.htpasswd');
    writeFileSync(users, `ci:${bcrypt.hashSync('token-password', 4)}\n`);
    const { url } = await serve(['--storage', 'memory:', '--auth', `token:${users}`]);
    const challenge = (await fetch(`${url}/v2/team/app/tags/list`)).headers.get('www-authenticate') ?? '';
    expect(challenge).toBe(
      `Bearer realm="${url}/auth/token",service="glci-registry",scope="repository:team/app:pull"`,
    );
    const token = await fetch(`${url}/auth/token?service=glci-registry&scope=repository:team/app:pull`, {
      headers: { Authorization: `Basic ${Buffer.from('ci:token-password').toString('base64')}` },
    });
    expect(token.status).toBe(200);
    const { token: jwt } = (await token.json()) as { token: string };
    const listed = await fetch(`${url}/v2/team/app/tags/list`, {
      headers: { Authorization: `Bearer ${jwt}` },
    });
    expect(listed.status).toBe(404); // authorized; the repository does not exist
  });

  it('--auth token: the realm is the bound address or --token-realm, never the Host header; /metrics wants a token', async () => {
    const dir = tempDir();
    const users = path.join(dir, 'users.htpasswd');
    writeFileSync(users, `ci:${bcrypt.hashSync('token-password', 4)}\n`);
    const { url } = await serve(['--storage', 'memory:', '--auth', `token:${users}`]);
    const { request } = await import('node:http');
    // fetch cannot set Host: a raw request claiming to be evil.example gets our realm anyway.
    const challenge = await new Promise<string>((resolve, reject) => {
      const req = request(`${url}/v2/`, { headers: { Host: 'evil.example:1' } }, (res) => {
        res.resume();
        resolve(String(res.headers['www-authenticate']));
      });
      req.on('error', reject);
      req.end();
    });
    expect(challenge).toBe(`Bearer realm="${url}/auth/token",service="glci-registry"`);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const token = await fetch(`${url}/auth/token?service=glci-registry`, {
      headers: { Authorization: `Basic ${Buffer.from('ci:token-password').toString('base64')}` },
    });
    const { token: jwt } = (await token.json()) as { token: string };
    const metrics = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${jwt}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('glci_registry_http_requests_total');

    const realm = 'https://registry.example:8443/auth/token';
    const configured = await serve([
      '--storage',
      'memory:',
      '--auth',
      `token:${users}`,
      '--token-realm',
      realm,
    ]);
    expect((await fetch(`${configured.url}/v2/`)).headers.get('www-authenticate')).toBe(
      `Bearer realm="${realm}",service="glci-registry"`,
    );
  });

  it('--metrics-listen serves /metrics on its own address and not next to the API', async () => {
    const { freePort } = await import('@glci/testkit');
    const port = await freePort();
    const { url, process: child } = await serve([
      '--storage',
      'memory:',
      '--metrics-listen',
      `127.0.0.1:${port}`,
    ]);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('glci_registry_http_requests_total');
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(404);
    expect(child.output()).toContain('metrics listening');
  });

  it('--tls-cert/--tls-key serve HTTPS', async () => {
    const dir = tempDir();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
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
      key,
      '-out',
      cert,
    ]);
    const { url } = await serve(['--storage', 'memory:', '--tls-cert', cert, '--tls-key', key]);
    expect(url).toMatch(/^https:/);
    const status = await new Promise<number>((resolve, reject) => {
      httpsGet(`${url}/v2/`, { ca: readFileSync(cert) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });
});

describe('glci registry serve --upstream', PROCESSES, () => {
  it('serves content of the upstream registry through the pull-through cache', async () => {
    const upstream = await serve(['--storage', 'memory:']);
    const { manifest, layer } = await pushTinyImage(upstream.url, 'lib/app', '1', {
      layer: 'upstream layer',
    });

    const cache = await serve(['--storage', tempDir(), '--upstream', upstream.url]);
    const pulled = await fetch(`${cache.url}/v2/lib/app/manifests/1`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(pulled.status).toBe(200);
    expect(await pulled.text()).toBe(manifest);
    expect(await (await fetch(`${cache.url}/v2/lib/app/blobs/${sha256(layer)}`)).text()).toBe(layer);
  });
});

describe('glci registry serve with registry.push_through', PROCESSES, () => {
  it('mirrors each pushed manifest to the configured upstream before answering', async () => {
    const upstream = await serve(['--storage', 'memory:']);
    const configHome = tempDir();
    writeFileSync(
      path.join(configHome, 'config.toml'),
      `[registry]\npush_through = true\n\n[registry.upstream]\nurl = "${upstream.url}"\n`,
    );
    const mirror = await serve(['--storage', tempDir()], { GLCI_HOME: configHome });
    expect(mirror.process.output()).toContain('push-through mirror enabled');
    const { manifest, layer } = await pushTinyImage(mirror.url, 'team/app', 'v1', {
      layer: 'mirrored layer',
    });
    const mirrored = await fetch(`${upstream.url}/v2/team/app/manifests/v1`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(mirrored.status).toBe(200);
    expect(await mirrored.text()).toBe(manifest);
    expect(await (await fetch(`${upstream.url}/v2/team/app/blobs/${sha256(layer)}`)).text()).toBe(layer);
  });
});

describe('glci registry serve: housekeeping and logs', PROCESSES, () => {
  it('reclaims at start what a killed process left: stale temporary files and data of sessions that are gone', async () => {
    const storage = tempDir();
    const old = new Date(Date.now() - 60 * 60 * 1000);
    mkdirSync(path.join(storage, '~tmp'), { recursive: true });
    writeFileSync(path.join(storage, '~tmp', 'killed-put'), 'half a manifest');
    utimesSync(path.join(storage, '~tmp', 'killed-put'), old, old);
    const orphan = path.join(storage, '~pending/v1/repositories/app/_uploads/gone-session/data');
    mkdirSync(path.dirname(orphan), { recursive: true });
    writeFileSync(orphan, 'bytes of an upload whose session is gone');
    utimesSync(orphan, old, old);
    const { process: child } = await serve(['--storage', storage]);
    for (let attempt = 0; attempt < 100 && readdirSync(path.join(storage, '~tmp')).length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(readdirSync(path.join(storage, '~tmp'))).toEqual([]);
    expect(() => readFileSync(orphan)).toThrow(/ENOENT/);
    expect(child.output()).toMatch(/leftovers reclaimed.*"sessions":1.*"temporaryFiles":1/);
  });

  it('accepts a sparse index only with [registry] allow_sparse_index = true', async () => {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256('a platform never pushed here'),
          size: 100,
          platform: { os: 'linux', architecture: 'arm64' },
        },
      ],
    });
    const put = (url: string) =>
      fetch(`${url}/v2/mirror/app/manifests/multi`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
        body: index,
      });
    const strict = await serve(['--storage', 'memory:']);
    const refused = await put(strict.url);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('MANIFEST_BLOB_UNKNOWN');
    const home = tempDir();
    writeFileSync(path.join(home, 'config.toml'), '[registry]\nallow_sparse_index = true\n');
    const sparse = await serve(['--storage', 'memory:'], { GLCI_HOME: home });
    expect((await put(sparse.url)).status).toBe(201);
  });

  it('never logs the password of an --upstream URL', async () => {
    const { process: child } = await serve([
      '--storage',
      'memory:',
      '--upstream',
      'https://ci-bot:S3cr3t-Upstream-Pw@127.0.0.1:29999',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.output()).toContain('pull-through cache enabled');
    expect(child.output()).toContain('<redacted>@127.0.0.1:29999');
    expect(child.output()).not.toContain('S3cr3t-Upstream-Pw');
  });
});

describe('glci registry serve: command-line mistakes', PROCESSES, () => {
  it.each([
    [['--listen', 'nonsense'], 2, /--listen expects host:port/],
    [['--auth', 'ldap:x'], 2, /--auth expects none, basic:FILE or token:FILE/],
    [['--tls-cert', 'cert.pem'], 2, /--tls-cert and --tls-key go together/],
    [['--upstream', 'ftp://example'], 2, /--upstream expects an http\(s\) URL/],
    [['--storage', 'gopher://x/y'], 2, /--storage: .*gopher/],
    [['--auth', 'token:/nonexistent', '--listen', '0.0.0.0:0'], 2, /needs --token-realm/],
    [['--token-realm', 'https://r.example/auth/token'], 2, /--token-realm goes with --auth token/],
    [['--auth', 'token:/x', '--token-realm', 'ftp://r'], 2, /--token-realm expects an http\(s\) URL/],
    [['--metrics-listen', 'nonsense'], 2, /--metrics-listen expects host:port/],
    [
      ['--auth', 'basic:/nonexistent/users.htpasswd', '--storage', 'memory:'],
      1,
      /nonexistent\/users\.htpasswd/,
    ],
  ])('%j → exit %i', async (args, code, message) => {
    const sandbox = createCliSandbox();
    cleanups.push(() => sandbox.remove());
    const result = await sandbox.run(['registry', 'serve', '--listen', '127.0.0.1:0', ...args]);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at\s/m);
  });
});
