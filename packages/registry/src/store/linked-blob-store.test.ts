import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsDriver } from '../driver/fs-driver.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import { InvalidOffsetError } from '../driver/storage-driver.js';
import { BlobUnknownError } from '../errors.js';
import type { BlobWriter, MountedBlob } from './contracts.js';
import { blobDataPath } from './paths.js';
import { bytes, pushBlob, readAll, sha256, testNamespace } from './test-support/fixtures.js';

describe('linked blob store', () => {
  it('mounts from a named repository that has the blob', async () => {
    const namespace = testNamespace();
    const source = await namespace.repository('source');
    const target = await namespace.repository('target');
    const pushed = await pushBlob(source, 'mountable');
    const result = (await target.blobs.createUpload({
      mount: { digest: pushed.digest, from: 'source' },
    })) as MountedBlob;
    expect(result.mounted).toBe(true);
    expect(result.descriptor).toMatchObject({ size: 9 });
    expect((await readAll(await target.blobs.open(pushed.digest))).toString()).toBe('mountable');
  });

  it('starts a normal session when the named repository lacks the blob, or the name is invalid', async () => {
    const namespace = testNamespace();
    const pushed = await pushBlob(await namespace.repository('holder'), 'content');
    const target = await namespace.repository('target');
    for (const from of ['elsewhere', '../holder', 'HOLDER']) {
      const result = (await target.blobs.createUpload({
        mount: { digest: pushed.digest, from },
      })) as BlobWriter;
      expect(result.mounted).toBeFalsy();
      expect(typeof result.id).toBe('string');
      await result.cancel();
    }
    await expect(target.blobs.stat(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
  });

  it('mounts without from only what the repository links already, never from elsewhere', async () => {
    const namespace = testNamespace();
    const holder = await namespace.repository('holder');
    const pushed = await pushBlob(holder, 'content');
    const target = await namespace.repository('target');
    const elsewhere = await target.blobs.createUpload({ mount: { digest: pushed.digest } });
    expect(elsewhere.mounted).toBeFalsy();
    await expect(target.blobs.stat(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    const own = await holder.blobs.createUpload({ mount: { digest: pushed.digest } });
    expect(own.mounted).toBe(true);
    const fromHolder = await target.blobs.createUpload({ mount: { digest: pushed.digest, from: 'holder' } });
    expect(fromHolder.mounted).toBe(true);
    const unknown = await target.blobs.createUpload({ mount: { digest: sha256('unknown'), from: 'holder' } });
    expect(unknown.mounted).toBeFalsy();
  });

  it('reads ranges', async () => {
    const repository = await testNamespace().repository('app');
    const pushed = await pushBlob(repository, '0123456789');
    const read = async (offset: number, length: number) =>
      (await readAll(await repository.blobs.open(pushed.digest, { range: { offset, length } }))).toString();
    expect(await read(0, 10)).toBe('0123456789');
    expect(await read(3, 4)).toBe('3456');
    expect(await read(9, 1)).toBe('9');
    expect(await read(8, 100)).toBe('89');
    await expect(
      repository.blobs.open(pushed.digest, { range: { offset: 11, length: 1 } }),
    ).rejects.toBeInstanceOf(InvalidOffsetError);
  });

  it('puts small blobs whole and gets them back', async () => {
    const repository = await testNamespace().repository('app');
    const descriptor = await repository.blobs.put('application/vnd.oci.image.config.v1+json', bytes('{}'));
    expect(descriptor).toMatchObject({ mediaType: 'application/vnd.oci.image.config.v1+json', size: 2 });
    expect(descriptor.digest.toString()).toBe(sha256('{}').toString());
    expect(Buffer.from(await repository.blobs.get(descriptor.digest)).toString()).toBe('{}');
    await expect(repository.blobs.get(sha256('nope'))).rejects.toBeInstanceOf(BlobUnknownError);
  });

  it('unlinks on delete, leaving other repositories and the global copy alone', async () => {
    const namespace = testNamespace();
    const a = await namespace.repository('a');
    const b = await namespace.repository('b');
    const pushed = await pushBlob(a, 'shared');
    await pushBlob(b, 'shared');
    await a.blobs.delete(pushed.digest);
    await expect(a.blobs.stat(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    await expect(a.blobs.delete(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
    expect((await b.blobs.stat(pushed.digest)).size).toBe(6);
    expect(await namespace.blobExists(pushed.digest)).toBe(true);
  });

  it('delegates redirect URLs to the driver, and only for linked blobs', async () => {
    class RedirectingDriver extends MemoryDriver {
      async redirectUrl(path: string, options: { method: string; expiresInSeconds: number }) {
        return `https://cdn.example.invalid${path}?method=${options.method}&expires=${options.expiresInSeconds}`;
      }
    }
    const redirecting = new RedirectingDriver();
    const driver = new MemoryDriver();
    await pushBlob(await testNamespace({ driver }).repository('app'), 'redirected');
    const namespace = testNamespace({ driver: redirecting, redirectExpirySeconds: 60 });
    const repository = await namespace.repository('app');
    const pushed = await pushBlob(repository, 'redirected');
    const url = await repository.blobs.redirectUrl?.(pushed.digest, { method: 'GET' });
    expect(url).toBe(
      `https://cdn.example.invalid/v1/blobs/sha256/${pushed.digest.hex.slice(0, 2)}/${pushed.digest.hex}/data?method=GET&expires=60`,
    );
    await expect(repository.blobs.redirectUrl?.(sha256('x'), { method: 'GET' })).rejects.toBeInstanceOf(
      BlobUnknownError,
    );
    const plain = await (await testNamespace({ driver }).repository('app')).blobs.redirectUrl?.(
      pushed.digest,
      {
        method: 'GET',
      },
    );
    expect(plain).toBeUndefined();
  });

  describe('racing a garbage collection (GC trashes the blob right after a link is written)', () => {
    /** A driver on which a GC moves a blob to its trash just after the next layer link lands. */
    class RacingDriver extends MemoryDriver {
      trashNext: string | undefined;
      override async putContent(path: string, content: Uint8Array): Promise<void> {
        await super.putContent(path, content);
        if (this.trashNext && path.includes('/_layers/')) {
          const victim = this.trashNext;
          this.trashNext = undefined;
          await this.delete(victim);
        }
      }
    }

    it('withdraws a mount whose blob vanished and starts a normal upload instead', async () => {
      const driver = new RacingDriver();
      const namespace = testNamespace({ driver });
      const pushed = await pushBlob(await namespace.repository('holder'), 'content');
      const target = await namespace.repository('target');
      driver.trashNext = blobDataPath(pushed.digest);
      const result = await target.blobs.createUpload({ mount: { digest: pushed.digest } });
      expect(result.mounted).toBeFalsy();
      // No link to nothing was left behind.
      await expect(target.blobs.stat(pushed.digest)).rejects.toBeInstanceOf(BlobUnknownError);
      await (result as BlobWriter).cancel();
    });

    it('writes a small blob again when it vanished before its link was checked', async () => {
      const driver = new RacingDriver();
      const repository = await testNamespace({ driver }).repository('app');
      driver.trashNext = blobDataPath(sha256('{}'));
      const descriptor = await repository.blobs.put('application/json', bytes('{}'));
      expect(Buffer.from(await repository.blobs.get(descriptor.digest)).toString()).toBe('{}');
    });

    it('fails an upload commit rather than leave a link to nothing', async () => {
      const driver = new RacingDriver();
      const repository = await testNamespace({ driver }).repository('app');
      const writer = (await repository.blobs.createUpload()) as BlobWriter;
      await writer.write(bytes('committed'));
      driver.trashNext = blobDataPath(sha256('committed'));
      await expect(writer.commit(sha256('committed'))).rejects.toThrow(/garbage-collected/);
      await expect(repository.blobs.stat(sha256('committed'))).rejects.toBeInstanceOf(BlobUnknownError);
    });
  });

  describe('local files (a filesystem store)', () => {
    async function withFsNamespace(test: (namespace: ReturnType<typeof testNamespace>) => Promise<void>) {
      const root = await mkdtemp(path.join(tmpdir(), 'glci-linked-local-'));
      try {
        await test(testNamespace({ driver: new FsDriver({ root }) }));
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    }

    it('adopts a verified file as the blob and links it into the repository only', async () => {
      await withFsNamespace(async (namespace) => {
        const repository = await namespace.repository('cache');
        const files = repository.blobs.localFiles!;
        const file = await files.stagingPath();
        await writeFile(file, 'layer bytes');
        const descriptor = { mediaType: 'application/octet-stream', digest: sha256('layer bytes'), size: 11 };
        expect(await files.adopt(file, descriptor)).toEqual(descriptor);
        expect((await readAll(await repository.blobs.open(descriptor.digest))).toString()).toBe(
          'layer bytes',
        );
        const other = await namespace.repository('other');
        await expect(other.blobs.stat(descriptor.digest)).rejects.toBeInstanceOf(BlobUnknownError);
      });
    });

    it("refuses a file whose size is not the descriptor's, and publishes nothing", async () => {
      await withFsNamespace(async (namespace) => {
        const repository = await namespace.repository('cache');
        const file = await repository.blobs.localFiles!.stagingPath();
        await writeFile(file, 'short');
        const descriptor = {
          mediaType: 'application/octet-stream',
          digest: sha256('longer bytes'),
          size: 12,
        };
        await expect(repository.blobs.localFiles!.adopt(file, descriptor)).rejects.toThrow(
          /holds 5 bytes, not 12/,
        );
        await expect(repository.blobs.stat(descriptor.digest)).rejects.toBeInstanceOf(BlobUnknownError);
      });
    });

    it('is absent on stores that are not local files', async () => {
      const repository = await testNamespace({ driver: new MemoryDriver() }).repository('app');
      expect(repository.blobs.localFiles).toBeUndefined();
    });
  });
});
