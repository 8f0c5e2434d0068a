import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { HttpUpstreamClient } from './http-upstream-client.js';

/**
 * Behaviours CNCF distribution cannot show on loopback (Docker Hub's rate-limit headers, a blob
 * redirected to another host, a 429 with Retry-After) are played by small local servers here; the
 * rest of the client is exercised against real distribution in the *.docker.test.ts files.
 */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const logger = createLogger({ silent: true });
const clock = { now: () => Date.parse('2026-01-01T00:00:00Z') };
const blob = Buffer.from('layer bytes');
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

describe('HttpUpstreamClient', () => {
  it('does not forward Authorization when a blob redirects to another host', async () => {
    const seenByStorage: (string | undefined)[] = [];
    await using storage = await serve((req, res) => {
      seenByStorage.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': blob.length });
      res.end(blob);
    });
    const seenByRegistry: (string | undefined)[] = [];
    await using registry = await serve((req, res) => {
      seenByRegistry.push(req.headers.authorization);
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' });
        res.end();
        return;
      }
      res.writeHead(307, { location: `${storage.url}/blob-data` });
      res.end();
    });
    const client = new HttpUpstreamClient({ url: registry.url, username: 'u', password: 'p', logger, clock });
    const answer = await client.getBlob('r', digest);
    const chunks: Buffer[] = [];
    for await (const chunk of answer!.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    expect(seenByRegistry).toEqual([undefined, `Basic ${Buffer.from('u:p').toString('base64')}`]);
    expect(seenByStorage).toEqual([undefined]);
  });

  it('reports ratelimit-remaining and turns a 429 into a rate-limited failure with Retry-After', async () => {
    let limited = false;
    await using registry = await serve((_req, res) => {
      if (limited) {
        res.writeHead(429, { 'retry-after': '3600', 'ratelimit-remaining': '0;w=21600' });
        res.end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
        return;
      }
      res.writeHead(200, {
        'docker-content-digest': digest,
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'content-length': '11',
        'ratelimit-remaining': '76;w=21600',
      });
      res.end();
    });
    const seen: string[] = [];
    const client = new HttpUpstreamClient({
      url: registry.url,
      logger,
      clock,
      onRateLimit: (value) => seen.push(value),
    });
    const head = await client.headManifest('library/alpine', 'latest');
    expect(String(head!.digest)).toBe(digest);
    limited = true;
    const failure = await client.headManifest('library/alpine', 'latest').catch((error: unknown) => error);
    expect(failure).toMatchObject({
      kind: 'rate-limited',
      status: 429,
      retryAfterSeconds: 3600,
      allowsStale: true,
    });
    expect(seen).toEqual(['76;w=21600', '0;w=21600']);
  });

  it('reports an unreachable upstream as such', async () => {
    const registry = await serve(() => {});
    const url = registry.url;
    await registry[Symbol.asyncDispose]();
    const client = new HttpUpstreamClient({ url, logger, clock });
    await expect(client.headManifest('a', 'b')).rejects.toMatchObject({
      kind: 'unreachable',
      allowsStale: true,
    });
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    await using registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end('{"schemaVersion":2}');
    });
    const client = new HttpUpstreamClient({ url: registry.url, logger, clock });
    await expect(client.getManifest('a', digest)).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('takes credentials out of the URL so it can be shown, and still uses them', async () => {
    const seen: (string | undefined)[] = [];
    await using registry = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(req.headers.authorization ? 200 : 401, { 'www-authenticate': 'Basic realm="r"' });
      res.end();
    });
    const withSecret = registry.url.replace('http://', 'http://ci%40corp:s3cr%3At@');
    const client = new HttpUpstreamClient({ url: withSecret, logger, clock });
    expect(client.url).toBe(registry.url);
    await client.ping();
    expect(seen).toEqual([undefined, `Basic ${Buffer.from('ci@corp:s3cr:t').toString('base64')}`]);
  });

  it('follows the pages of the referrers API, and goes to the referrers tag only when the API is missing', async () => {
    const index = (manifests: unknown[]) =>
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
    const referrer = (n: number) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${String(n).repeat(64)}`,
      size: n,
      artifactType: 'application/vnd.example.sbom',
    });
    const seen: string[] = [];
    await using registry = await serve((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === `/v2/paged/referrers/${digest}`) {
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.index.v1+json',
          link: `</v2/paged/referrers/${digest}?n=1&last=x>; rel="next"`,
        });
        res.end(index([referrer(1)]));
      } else if (req.url === `/v2/paged/referrers/${digest}?n=1&last=x`) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
        res.end(index([referrer(2)]));
      } else if (req.url?.startsWith('/v2/unknown/referrers/')) {
        // An API that exists, for a repository that does not: the OCI error format.
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('404 page not found');
      }
    });
    const client = new HttpUpstreamClient({ url: registry.url, logger, clock });
    const paged = await client.getReferrers('paged', digest);
    expect(paged?.source).toBe('api');
    expect(paged?.descriptors.map((descriptor) => descriptor.size)).toEqual([1, 2]);
    expect(await client.getReferrers('unknown', digest)).toBeUndefined();
    expect(seen.slice(2)).toEqual([
      `/v2/unknown/referrers/${digest}`,
      `/v2/unknown/manifests/${digest.replace(':', '-')}`,
    ]);
    // The JSON 404 did not make the client give up on the API; a route it does not know does.
    seen.length = 0;
    expect(await client.getReferrers('unknown', digest)).toBeUndefined();
    expect(seen[0]).toBe(`/v2/unknown/referrers/${digest}`);
    const withoutApi = new HttpUpstreamClient({ url: registry.url, logger, clock });
    await withoutApi.getReferrers('plain', digest);
    seen.length = 0;
    await withoutApi.getReferrers('plain', digest);
    expect(seen).toEqual([`/v2/plain/manifests/${digest.replace(':', '-')}`]);
  });
});
