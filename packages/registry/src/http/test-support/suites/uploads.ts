import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorsOf, pushBlob, sha256, startTestRegistry, type TestRegistry } from '../fixture.js';
import type { TestStorage } from '../test-storage.js';

const SECRET = 'a shared secret of enough length for hmac';

async function startSession(registry: TestRegistry, name: string): Promise<string> {
  const response = await registry.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
  expect(response.status).toBe(202);
  const location = response.headers.get('location');
  expect(location).toMatch(new RegExp(`^/v2/${name}/blobs/uploads/[A-Za-z0-9._-]+\\?_state=`));
  expect(response.headers.get('range')).toBe('0-0');
  expect(response.headers.get('docker-upload-uuid')).toBeTruthy();
  return location as string;
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`;
}

async function patch(
  registry: TestRegistry,
  location: string,
  chunk: string,
  range?: string,
): Promise<Response> {
  return registry.fetch(location, {
    method: 'PATCH',
    headers: {
      'Content-Type': 'application/octet-stream',
      ...(range ? { 'Content-Range': range } : {}),
    },
    body: chunk,
  });
}

/** Sends the head of a request on a raw socket and returns it, so the body can follow later. */
async function rawRequest(registry: TestRegistry, head: string): Promise<Socket> {
  const url = new URL(registry.url);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(head);
  return socket;
}

/** The status line and headers of the first response on `socket`. */
function responseHead(socket: Socket): Promise<{ status: number; headers: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ status: Number(text.slice(9, 12)), headers: text.slice(0, end).toLowerCase() });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** Upload sessions over HTTP (monolithic, chunked, resumed on another node, mounts), on `storage`. */
export function describeUploads(storage: TestStorage): void {
  describe(`uploads (${storage.kind})`, () => {
    let registry: TestRegistry;

    beforeAll(async () => {
      registry = await startTestRegistry({ storage, secret: SECRET });
    });
    afterAll(() => registry[Symbol.asyncDispose]());

    it('monolithic POST ?digest= → 201 with the blob location', async () => {
      const digest = sha256('mono');
      const response = await registry.fetch(`/v2/up/mono/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        body: 'mono',
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe(`/v2/up/mono/blobs/${digest}`);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(await (await registry.fetch(`/v2/up/mono/blobs/${digest}`)).text()).toBe('mono');
    });

    it('POST then PUT with the whole body', async () => {
      const location = await startSession(registry, 'up/postput');
      const digest = sha256('post then put');
      const response = await registry.fetch(withDigest(location, digest), {
        method: 'PUT',
        body: 'post then put',
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe(`/v2/up/postput/blobs/${digest}`);
    });

    it('chunked PATCHes with Content-Range, GET for the range, closing PUT without a body', async () => {
      const location = await startSession(registry, 'up/chunked');
      const first = await patch(registry, location, 'hello ', '0-5');
      expect(first.status).toBe(202);
      expect(first.headers.get('range')).toBe('0-5');
      const next = first.headers.get('location') as string;
      const second = await patch(registry, next, 'world', '6-10');
      expect(second.status).toBe(202);
      expect(second.headers.get('range')).toBe('0-10');

      const status = await registry.fetch(next);
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe('0-10');
      expect(status.headers.get('location')).toBe(next);

      const digest = sha256('hello world');
      const done = await registry.fetch(withDigest(next, digest), { method: 'PUT' });
      expect(done.status).toBe(201);
      expect(await (await registry.fetch(`/v2/up/chunked/blobs/${digest}`)).text()).toBe('hello world');
    });

    it('out-of-order chunk → 416 with the current Range, and the upload continues after resync', async () => {
      const location = await startSession(registry, 'up/order');
      expect((await patch(registry, location, 'abc', '0-2')).status).toBe(202);
      const before = await registry.snapshot();
      const wrong = await patch(registry, location, 'xyz', '5-7');
      expect(wrong.status).toBe(416);
      expect(wrong.headers.get('range')).toBe('0-2');
      expect(wrong.headers.get('location')).toBe(location);
      expect((await errorsOf(wrong))[0]?.code).toBe('BLOB_UPLOAD_INVALID');
      const replay = await patch(registry, location, 'abc', '0-2');
      expect(replay.status).toBe(416);
      expect(await registry.snapshot()).toEqual(before);

      const resync = await registry.fetch(location);
      expect(resync.headers.get('range')).toBe('0-2');
      expect((await patch(registry, location, 'def', '3-5')).status).toBe(202);
      const digest = sha256('abcdef');
      expect((await registry.fetch(withDigest(location, digest), { method: 'PUT' })).status).toBe(201);
    });

    it('closing PUT with a final chunk (and a wrong offset on it → 416)', async () => {
      const location = await startSession(registry, 'up/final');
      expect((await patch(registry, location, 'first-', '0-5')).status).toBe(202);
      const digest = sha256('first-last');
      const wrong = await registry.fetch(withDigest(location, digest), {
        method: 'PUT',
        headers: { 'Content-Range': '7-10' },
        body: 'last',
      });
      expect(wrong.status).toBe(416);
      const response = await registry.fetch(withDigest(location, digest), {
        method: 'PUT',
        headers: { 'Content-Range': '6-9' },
        body: 'last',
      });
      expect(response.status).toBe(201);
      expect(await (await registry.fetch(`/v2/up/final/blobs/${digest}`)).text()).toBe('first-last');
    });

    it('streamed PATCH with chunked transfer encoding (no Content-Length)', async () => {
      const location = await startSession(registry, 'up/stream');
      const parts = ['stream', 'ed ', 'body'];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const part = parts.shift();
          if (part === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(part));
        },
      });
      const response = await registry.fetch(location, {
        method: 'PATCH',
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(202);
      expect(response.headers.get('range')).toBe('0-12');
      const digest = sha256('streamed body');
      expect((await registry.fetch(withDigest(location, digest), { method: 'PUT' })).status).toBe(201);
    });

    it('a wrong digest on the closing PUT → 400 DIGEST_INVALID and no blob', async () => {
      const location = await startSession(registry, 'up/mismatch');
      const claimed = sha256('something else');
      const response = await registry.fetch(withDigest(location, claimed), { method: 'PUT', body: 'actual' });
      expect(response.status).toBe(400);
      expect((await errorsOf(response))[0]?.code).toBe('DIGEST_INVALID');
      expect((await registry.fetch(`/v2/up/mismatch/blobs/${claimed}`, { method: 'HEAD' })).status).toBe(404);
      expect(
        (await registry.fetch(`/v2/up/mismatch/blobs/${sha256('actual')}`, { method: 'HEAD' })).status,
      ).toBe(404);
    });

    it('a Content-Length that disagrees with Content-Range → 400 SIZE_INVALID, nothing written', async () => {
      const location = await startSession(registry, 'up/length');
      const before = await registry.snapshot();
      const response = await patch(registry, location, 'abcd', '0-9');
      expect(response.status).toBe(400);
      expect((await errorsOf(response))[0]?.code).toBe('SIZE_INVALID');
      expect(await registry.snapshot()).toEqual(before);
      expect((await registry.fetch(location)).headers.get('range')).toBe('0-0');
    });

    it('a body shorter than its Content-Length is not committed', async () => {
      const location = await startSession(registry, 'up/short');
      const url = new URL(withDigest(location, sha256('0123456789')), registry.url);
      await new Promise<void>((resolve) => {
        const req = httpRequest(url, { method: 'PUT', headers: { 'Content-Length': '10' } });
        req.on('error', () => resolve());
        req.on('response', (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.write('01234');
        setTimeout(() => req.destroy(), 50);
      });
      const head = await registry.fetch(`/v2/up/short/blobs/${sha256('0123456789')}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
    });

    it('an interrupted monolithic POST leaves no session behind (the client never saw its location)', async () => {
      await using fresh = await startTestRegistry({ storage, secret: SECRET });
      const digest = sha256('0123456789');
      const url = new URL(`/v2/up/abort/blobs/uploads/?digest=${digest}`, fresh.url);
      await new Promise<void>((resolve) => {
        const req = httpRequest(url, { method: 'POST', headers: { 'Content-Length': '10' } });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.write('01234', () => setTimeout(() => req.destroy(), 50));
      });
      let files: string[] = [];
      for (let attempt = 0; attempt < 100; attempt++) {
        files = Object.keys(await fresh.snapshot());
        if (!files.some((file) => file.includes('/_uploads/'))) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(files.filter((file) => file.includes('/_uploads/'))).toEqual([]);
      expect((await fresh.fetch(`/v2/up/abort/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    });

    it('DELETE cancels the session → 204, then the session is unknown', async () => {
      const location = await startSession(registry, 'up/cancel');
      expect((await patch(registry, location, 'bytes', '0-4')).status).toBe(202);
      const response = await registry.fetch(location, { method: 'DELETE' });
      expect(response.status).toBe(204);
      const after = await registry.fetch(location);
      expect(after.status).toBe(404);
      expect((await errorsOf(after))[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
    });

    it('refuses locations whose signature was tampered with, or used in another repository', async () => {
      const location = await startSession(registry, 'up/signed');
      const id = new URL(location, registry.url).pathname.split('/').at(-1) as string;
      const forged = `/v2/up/signed/blobs/uploads/${id}?_state=${'A'.repeat(43)}`;
      const unsigned = `/v2/up/signed/blobs/uploads/${id}`;
      const elsewhere = location.replace('/v2/up/signed/', '/v2/up/other/');
      for (const target of [forged, unsigned, elsewhere]) {
        const response = await patch(registry, target, 'x');
        expect(response.status).toBe(404);
        expect((await errorsOf(response))[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
      }
      expect((await registry.fetch(location)).headers.get('range')).toBe('0-0');
    });

    it('another node with the same secret and storage accepts the location; one with another secret does not', async () => {
      await using a = await startTestRegistry({ storage, secret: SECRET });
      await using b = await startTestRegistry({ storage, driver: storage.sibling(a.driver), secret: SECRET });
      await using c = await startTestRegistry({
        storage,
        driver: storage.sibling(a.driver),
        secret: `${SECRET} but different`,
      });
      const location = await startSession(a, 'multi/node');
      expect((await patch(a, location, 'from a ', '0-6')).status).toBe(202);
      expect((await patch(c, location, 'from c', '7-12')).status).toBe(404);
      expect((await patch(b, location, 'from b', '7-12')).status).toBe(202);
      const digest = sha256('from a from b');
      expect((await b.fetch(withDigest(location, digest), { method: 'PUT' })).status).toBe(201);
      expect(await (await a.fetch(`/v2/multi/node/blobs/${digest}`)).text()).toBe('from a from b');
    });

    it('two concurrent uploads of the same blob both succeed, in one or two repositories', async () => {
      const content = Buffer.alloc(3 * 1024 * 1024, 7);
      const digest = sha256(content);
      const push = (name: string) =>
        registry.fetch(`/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: content });
      const responses = await Promise.all([push('race/one'), push('race/one'), push('race/two')]);
      expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
      for (const name of ['race/one', 'race/two']) {
        const response = await registry.fetch(`/v2/${name}/blobs/${digest}`);
        expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(digest);
      }
    });

    describe('one writer per session', () => {
      it('a second PATCH while one streams → 416 with the range; its client, sending its whole body first, gets that answer; the first goes on untouched', async () => {
        const location = await startSession(registry, 'up/race');
        const x = randomBytes(2 * 1024 * 1024);
        const y = randomBytes(1024 * 1024);
        const first = await rawRequest(
          registry,
          `PATCH ${location} HTTP/1.1\r\nHost: h\r\nContent-Length: ${x.length}\r\n\r\n`,
        );
        first.write(x.subarray(0, 512 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const second = await rawRequest(
          registry,
          `PATCH ${location} HTTP/1.1\r\nHost: h\r\nContent-Length: ${y.length}\r\n\r\n`,
        );
        const secondAnswer = responseHead(second);
        second.write(y); // the whole body, before reading: no broken pipe
        const refused = await secondAnswer;
        expect(refused.status).toBe(416);
        expect(refused.headers).toMatch(/\r\nrange: 0-\d+/);
        expect(refused.headers).not.toContain('connection: close');
        second.destroy();
        // A closing PUT meanwhile is refused too.
        const put = await registry.fetch(withDigest(location, sha256(x)), { method: 'PUT' });
        expect(put.status).toBe(416);
        expect((await errorsOf(put))[0]?.code).toBe('BLOB_UPLOAD_INVALID');
        const firstAnswer = responseHead(first);
        first.write(x.subarray(512 * 1024));
        expect((await firstAnswer).status).toBe(202);
        first.destroy();
        const done = await registry.fetch(withDigest(location, sha256(x)), { method: 'PUT' });
        expect(done.status).toBe(201);
        const blob = Buffer.from(
          await (await registry.fetch(`/v2/up/race/blobs/${sha256(x)}`)).arrayBuffer(),
        );
        expect(blob.equals(x)).toBe(true);
      });

      it('a refused PATCH announcing a body over 64 MiB gets its answer and the connection closed, not a download', async () => {
        const location = await startSession(registry, 'up/race-big');
        const first = await rawRequest(
          registry,
          `PATCH ${location} HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n`,
        );
        first.write('12345');
        await new Promise((resolve) => setTimeout(resolve, 100));
        const second = await rawRequest(
          registry,
          `PATCH ${location} HTTP/1.1\r\nHost: h\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
        );
        const refused = await responseHead(second);
        expect(refused.status).toBe(416);
        expect(refused.headers).toContain('connection: close');
        second.destroy();
        const firstAnswer = responseHead(first);
        first.write('67890');
        expect((await firstAnswer).status).toBe(202);
        first.destroy();
      });
    });

    describe('cross-repository mount', () => {
      it('mounts from a named repository → 201 without uploading', async () => {
        const digest = await pushBlob(registry, 'mount/source', 'shared layer');
        const response = await registry.fetch(
          `/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`,
          {
            method: 'POST',
          },
        );
        expect(response.status).toBe(201);
        expect(response.headers.get('location')).toBe(`/v2/mount/target/blobs/${digest}`);
        expect(response.headers.get('docker-content-digest')).toBe(digest);
        expect(await (await registry.fetch(`/v2/mount/target/blobs/${digest}`)).text()).toBe('shared layer');
      });

      it('never mounts from another repository without from: 202 and a plain session, as distribution does', async () => {
        const digest = await pushBlob(registry, 'mount/anywhere', 'known somewhere');
        const response = await registry.fetch(`/v2/mount/nofrom/blobs/uploads/?mount=${digest}`, {
          method: 'POST',
        });
        expect(response.status).toBe(202);
        expect(response.headers.get('location')).toContain('/v2/mount/nofrom/blobs/uploads/');
        expect((await registry.fetch(`/v2/mount/nofrom/blobs/${digest}`, { method: 'HEAD' })).status).toBe(
          404,
        );
        // A blob the repository links already is "mounted" in place.
        const own = await registry.fetch(`/v2/mount/anywhere/blobs/uploads/?mount=${digest}`, {
          method: 'POST',
        });
        expect(own.status).toBe(201);
      });

      it('falls back to an upload session (202) for an unknown blob or a repository that lacks it', async () => {
        const unknown = sha256('never pushed');
        const response = await registry.fetch(
          `/v2/mount/target/blobs/uploads/?mount=${unknown}&from=mount/source`,
          {
            method: 'POST',
          },
        );
        expect(response.status).toBe(202);
        expect(response.headers.get('location')).toContain('/v2/mount/target/blobs/uploads/');
      });

      it('a mount with an invalid digest → 400 DIGEST_INVALID', async () => {
        const response = await registry.fetch(
          '/v2/mount/target/blobs/uploads/?mount=sha256:xyz&from=mount/source',
          {
            method: 'POST',
          },
        );
        expect(response.status).toBe(400);
        expect((await errorsOf(response))[0]?.code).toBe('DIGEST_INVALID');
      });
    });

    it('an unsupported ?digest-algorithm= → 400', async () => {
      const response = await registry.fetch('/v2/up/algo/blobs/uploads/?digest-algorithm=md5', {
        method: 'POST',
      });
      expect(response.status).toBe(400);
      expect((await errorsOf(response))[0]?.code).toBe('DIGEST_INVALID');
    });

    it('accepts sha512 blobs', async () => {
      const { createHash } = await import('node:crypto');
      const digest = `sha512:${createHash('sha512').update('five twelve').digest('hex')}`;
      const response = await registry.fetch(`/v2/up/sha512/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        body: 'five twelve',
      });
      expect(response.status).toBe(201);
      const get = await registry.fetch(`/v2/up/sha512/blobs/${digest}`);
      expect(get.headers.get('docker-content-digest')).toBe(digest);
      expect(await get.text()).toBe('five twelve');
    });
  });
}
