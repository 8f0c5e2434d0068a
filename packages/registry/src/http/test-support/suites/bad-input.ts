import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../../create-registry.js';
import { TooManyRequestsError, UpstreamError } from '../../../errors.js';
import type { Namespace } from '../../../store/contracts.js';
import { createNamespace } from '../../../store/index.js';
import {
  imageManifest,
  logger,
  putManifest,
  sha256,
  snapshot,
  startTestRegistry,
  type TestRegistry,
} from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path exactly as given (fetch would normalise `..` and encodings away). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const DIGEST = sha256('x');

/** Malformed requests, disabled features and failing hooks: the spec's error codes, and no change to `storage`. */
export function describeBadInput(storage: TestStorage): void {
  describe(`bad input is refused with a clear OCI error and changes nothing (${storage.kind})`, () => {
    let registry: TestRegistry;
    let session: string;

    beforeAll(async () => {
      registry = await startTestRegistry({ storage });
      const manifest = await imageManifest(registry, 'safe/app');
      await putManifest(registry, 'safe/app', 'v1', manifest);
      const started = await registry.fetch('/v2/safe/app/blobs/uploads/', { method: 'POST' });
      session = started.headers.get('location') as string;
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    const cases: [string, string, string, Record<string, string>, string | undefined, number, string][] = [
      ['dot-dot in the name', 'GET', '/v2/safe/../app/manifests/v1', {}, undefined, 400, 'NAME_INVALID'],
      ['dot-dot as the whole name', 'GET', '/v2/../manifests/v1', {}, undefined, 400, 'NAME_INVALID'],
      ['an encoded slash', 'GET', '/v2/safe%2Fapp/manifests/v1', {}, undefined, 400, 'NAME_INVALID'],
      ['an encoded dot-dot', 'GET', '/v2/safe/%2e%2e/app/manifests/v1', {}, undefined, 400, 'NAME_INVALID'],
      ['upper case in the name', 'GET', '/v2/Safe/App/manifests/v1', {}, undefined, 400, 'NAME_INVALID'],
      ['an empty component', 'GET', '/v2/safe//app/manifests/v1', {}, undefined, 400, 'NAME_INVALID'],
      [
        'a 300-character name',
        'GET',
        `/v2/${'a'.repeat(300)}/manifests/v1`,
        {},
        undefined,
        400,
        'NAME_INVALID',
      ],
      ['an 8 KiB path', 'GET', `/v2/${'a/'.repeat(4096)}manifests/v1`, {}, undefined, 400, 'NAME_INVALID'],
      [
        'a push into a bad name',
        'POST',
        '/v2/safe/../../x/blobs/uploads/',
        {},
        undefined,
        400,
        'NAME_INVALID',
      ],
      ['a short digest', 'GET', '/v2/safe/app/blobs/sha256:abc', {}, undefined, 400, 'DIGEST_INVALID'],
      [
        'an unknown algorithm',
        'GET',
        `/v2/safe/app/blobs/md5:${'a'.repeat(32)}`,
        {},
        undefined,
        400,
        'DIGEST_INVALID',
      ],
      [
        'upper-case hex',
        'HEAD',
        `/v2/safe/app/blobs/sha256:${'A'.repeat(64)}`,
        {},
        undefined,
        400,
        'DIGEST_INVALID',
      ],
      [
        'a digest with a path',
        'GET',
        '/v2/safe/app/blobs/sha256:..%2f..',
        {},
        undefined,
        400,
        'NAME_INVALID',
      ],
      // A reference that is no valid tag names nothing that can exist: 404, as the spec's end-3
      // lists and distribution answers (see the README, "HTTP API").
      ['an invalid tag', 'GET', '/v2/safe/app/manifests/.hidden', {}, undefined, 404, 'MANIFEST_UNKNOWN'],
      ['dot-dot as the tag', 'GET', '/v2/safe/app/manifests/..', {}, undefined, 404, 'MANIFEST_UNKNOWN'],
      ['dot-dot as the tag, HEAD', 'HEAD', '/v2/safe/app/manifests/..', {}, undefined, 404, ''],
      [
        'a 129-character tag',
        'GET',
        `/v2/safe/app/manifests/${'t'.repeat(129)}`,
        {},
        undefined,
        404,
        'MANIFEST_UNKNOWN',
      ],
      [
        'an invalid tag, DELETE',
        'DELETE',
        '/v2/safe/app/manifests/-v1',
        {},
        undefined,
        404,
        'MANIFEST_UNKNOWN',
      ],
      [
        'an encoded path in the tag',
        'GET',
        '/v2/safe/app/manifests/..%2f..%2fblobs',
        {},
        undefined,
        400,
        'NAME_INVALID',
      ],
      [
        'an invalid tag on PUT (a push gets the reason)',
        'PUT',
        '/v2/safe/app/manifests/.hidden',
        { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        '{}',
        400,
        'TAG_INVALID',
      ],
      [
        'a bad ?digest= on POST',
        'POST',
        '/v2/safe/app/blobs/uploads/?digest=sha256:zz',
        {},
        'x',
        400,
        'DIGEST_INVALID',
      ],
      [
        'a monolithic push whose digest does not match',
        'POST',
        `/v2/safe/app/blobs/uploads/?digest=${DIGEST}`,
        { 'Content-Type': 'application/octet-stream' },
        'not x',
        400,
        'DIGEST_INVALID',
      ],
      ['a closing PUT without digest', 'PUT', 'SESSION', {}, undefined, 400, 'DIGEST_INVALID'],
      [
        'Content-Range with a bytes= prefix',
        'PATCH',
        'SESSION',
        { 'Content-Range': 'bytes=0-0' },
        'x',
        416,
        'BLOB_UPLOAD_INVALID',
      ],
      [
        'Content-Range backwards',
        'PATCH',
        'SESSION',
        { 'Content-Range': '5-2' },
        'x',
        416,
        'BLOB_UPLOAD_INVALID',
      ],
      [
        'Content-Range not at the end',
        'PATCH',
        'SESSION',
        { 'Content-Range': '4-4' },
        'x',
        416,
        'BLOB_UPLOAD_INVALID',
      ],
      [
        'Content-Range garbage',
        'PATCH',
        'SESSION',
        { 'Content-Range': '0-' },
        'x',
        416,
        'BLOB_UPLOAD_INVALID',
      ],
      [
        'Content-Length ≠ Content-Range',
        'PATCH',
        'SESSION',
        { 'Content-Range': '0-3' },
        'xy',
        400,
        'SIZE_INVALID',
      ],
      [
        'a session id with dots',
        'PATCH',
        '/v2/safe/app/blobs/uploads/..?_state=x',
        {},
        'x',
        404,
        'BLOB_UPLOAD_UNKNOWN',
      ],
      [
        'an unknown session',
        'GET',
        '/v2/safe/app/blobs/uploads/0000',
        {},
        undefined,
        404,
        'BLOB_UPLOAD_UNKNOWN',
      ],
      ['an unknown endpoint', 'GET', '/v2/safe/app/whatever/x', {}, undefined, 404, 'NOT_FOUND'],
      [
        'a method a resource does not have',
        'PATCH',
        '/v2/safe/app/manifests/v1',
        {},
        undefined,
        405,
        'UNSUPPORTED',
      ],
      ['an unknown blob', 'GET', `/v2/safe/app/blobs/${DIGEST}`, {}, undefined, 404, 'BLOB_UNKNOWN'],
      ['an unknown manifest', 'GET', '/v2/safe/app/manifests/v2', {}, undefined, 404, 'MANIFEST_UNKNOWN'],
      [
        'tags of an unknown repository',
        'GET',
        '/v2/safe/other/tags/list',
        {},
        undefined,
        404,
        'NAME_UNKNOWN',
      ],
      [
        'a manifest that is not JSON',
        'PUT',
        '/v2/safe/app/manifests/v2',
        { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        '<xml/>',
        400,
        'MANIFEST_INVALID',
      ],
    ];

    it.each(cases)('%s (%s %s)', async (_label, method, path, headers, body, status, code) => {
      const target = path === 'SESSION' ? session : path;
      const before = await registry.snapshot();
      const response = await raw(registry.url, method, target, headers, body);
      expect(response.status).toBe(status);
      if (method !== 'HEAD') {
        const parsed = JSON.parse(response.body) as { errors: { code: string; message: string }[] };
        expect(parsed.errors[0]?.code).toBe(code);
        expect(parsed.errors[0]?.message).toBeTruthy();
      }
      expect(await registry.snapshot()).toEqual(before);
    });
  });

  describe(`manifest references that are no valid tag never reach storage (${storage.kind})`, () => {
    it.each([
      ['GET', '..'],
      ['HEAD', '..'],
      ['GET', '.'],
      ['GET', '...'],
      ['GET', '-rf'],
      ['HEAD', '.hidden'],
      ['GET', 'a\\b'],
      ['GET', `${'t'.repeat(129)}`],
      ['DELETE', '..'],
    ])('%s /manifests/%s → 404 MANIFEST_UNKNOWN, no driver call', async (method, reference) => {
      const calls: string[] = [];
      const inner = await storage.create();
      const recording = new Proxy(inner, {
        get(target, property) {
          const value = Reflect.get(target, property);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(`${String(property)} ${String(args[0])}`);
            return value.apply(target, args);
          };
        },
      });
      await using registry = await startTestRegistry({ storage, driver: recording });
      const response = await raw(registry.url, method, `/v2/safe/app/manifests/${reference}`);
      expect(response.status).toBe(404);
      if (method !== 'HEAD') {
        expect((JSON.parse(response.body) as { errors: { code: string }[] }).errors[0]?.code).toBe(
          'MANIFEST_UNKNOWN',
        );
      }
      expect(calls).toEqual([]);
    });
  });

  describe(`registry configuration and hooks produce the spec codes (${storage.kind})`, () => {
    it('deletes disabled → 405 UNSUPPORTED on every DELETE, and nothing is deleted', async () => {
      await using registry = await startTestRegistry({ storage, deleteEnabled: false });
      const manifest = await imageManifest(registry, 'keep/app');
      await putManifest(registry, 'keep/app', 'v1', manifest);
      const before = await registry.snapshot();
      for (const path of ['/v2/keep/app/manifests/v1', `/v2/keep/app/manifests/${sha256(manifest)}`]) {
        const response = await registry.fetch(path, { method: 'DELETE' });
        expect(response.status).toBe(405);
        expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(
          'UNSUPPORTED',
        );
      }
      const config = JSON.parse(manifest).config.digest as string;
      expect((await registry.fetch(`/v2/keep/app/blobs/${config}`, { method: 'DELETE' })).status).toBe(405);
      expect(await registry.snapshot()).toEqual(before);
    });

    it('read-only → uploads and manifest PUTs are 405, reads work', async () => {
      await using registry = await startTestRegistry({ storage, readOnly: true });
      const response = await registry.fetch('/v2/ro/app/blobs/uploads/', { method: 'POST' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBeNull();
      expect((await registry.fetch('/v2/ro/app/manifests/v1', { method: 'PUT', body: '{}' })).status).toBe(
        405,
      );
      expect((await registry.fetch('/v2/')).status).toBe(200);
      expect(await registry.snapshot()).toEqual({});
    });

    it('auth hook: challenge → 401 UNAUTHORIZED with WWW-Authenticate; deny → 403 DENIED', async () => {
      await using registry = await startTestRegistry({
        storage,
        auth: (request) =>
          request.actions.includes('push')
            ? { kind: 'deny', message: 'no pushes here' }
            : { kind: 'challenge', challenge: 'Basic realm="t"' },
      });
      const pull = await registry.fetch('/v2/a/manifests/v1');
      expect(pull.status).toBe(401);
      expect(pull.headers.get('www-authenticate')).toBe('Basic realm="t"');
      expect(((await pull.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAUTHORIZED');
      const push = await registry.fetch('/v2/a/blobs/uploads/', { method: 'POST' });
      expect(push.status).toBe(403);
      expect(((await push.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DENIED');
      expect(await registry.snapshot()).toEqual({});
    });

    /** A namespace decorator that fails every repository lookup, as an upstream-backed one might. */
    function failing(namespace: Namespace, error: Error): Namespace {
      return {
        repository: async () => {
          throw error;
        },
        hasRepository: (name) => namespace.hasRepository(name),
        catalog: (options) => namespace.catalog(options),
        blobExists: (digest) => namespace.blobExists(digest),
      };
    }

    it.each([
      [new TooManyRequestsError('upstream rate limit', 30), 429, 'TOOMANYREQUESTS', { 'retry-after': '30' }],
      [new UpstreamError('upstream registry.example failed', 503), 503, 'UNAVAILABLE', {}],
      [new Error('EACCES: /var/lib/glci/secret-path/data'), 500, 'UNKNOWN', {}],
    ] as const)('%s → %i %s', async (error, status, code, headers) => {
      const driver = await storage.create();
      const registry = createRegistry({
        logger,
        namespace: failing(createNamespace({ driver, logger, hashing: storage.hashing }), error),
      });
      await using running = await registry.listen({ port: 0 });
      const response = await fetch(`${running.url}/v2/a/manifests/v1`);
      expect(response.status).toBe(status);
      for (const [name, value] of Object.entries(headers)) expect(response.headers.get(name)).toBe(value);
      const text = await response.text();
      expect((JSON.parse(text) as { errors: { code: string }[] }).errors[0]?.code).toBe(code);
      if (status === 500) {
        expect(text).not.toContain('secret-path');
        expect(text).not.toContain('EACCES');
      }
      expect(await snapshot(driver)).toEqual({});
    });
  });
}
