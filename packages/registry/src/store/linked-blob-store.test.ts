import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { InvalidOffsetError } from '../driver/storage-driver.js';
import { BlobUnknownError } from '../errors.js';
import type { BlobWriter, MountedBlob } from './contracts.js';
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

  it('mounts from anywhere without from when the blob exists, else starts a session', async () => {
    const namespace = testNamespace();
    const pushed = await pushBlob(await namespace.repository('holder'), 'content');
    const target = await namespace.repository('target');
    const mounted = await target.blobs.createUpload({ mount: { digest: pushed.digest } });
    expect(mounted.mounted).toBe(true);
    const unknown = await target.blobs.createUpload({ mount: { digest: sha256('unknown') } });
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
});
