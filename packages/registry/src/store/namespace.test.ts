import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { BlobUnknownError, NameInvalidError } from '../errors.js';
import { blobDataPath } from './paths.js';
import { pushBlob, pushImage, readAll, sha256, testNamespace } from './test-support/fixtures.js';

describe('RegistryNamespace', () => {
  it('pushes and pulls an image', async () => {
    const namespace = testNamespace();
    const repository = await namespace.repository('library/alpine');
    const image = await pushImage(repository, 'alpine', { tag: 'latest', layers: ['one', 'two'] });
    const resolved = await repository.tags.resolve('latest');
    expect(resolved.digest.toString()).toBe(image.digest.toString());
    const stored = await repository.manifests.get(image.digest);
    expect(Buffer.from(stored.content).equals(Buffer.from(image.content))).toBe(true);
    expect((await readAll(await repository.blobs.open(sha256('two')))).toString()).toBe('two');
  });

  it('refuses invalid names with NameInvalidError', async () => {
    const namespace = testNamespace();
    for (const name of ['', 'UPPER', '../etc', 'a//b', 'a/', '_x', 'a/_layers', `${'a'.repeat(256)}`]) {
      await expect(namespace.repository(name)).rejects.toBeInstanceOf(NameInvalidError);
      expect(await namespace.hasRepository(name)).toBe(false);
    }
  });

  it('stores identical content once across repositories, and scopes visibility by link', async () => {
    const driver = new MemoryDriver();
    const namespace = testNamespace({ driver });
    const a = await namespace.repository('team/a');
    const b = await namespace.repository('team/b');
    const c = await namespace.repository('team/c');
    await pushBlob(a, 'shared layer');
    await pushBlob(b, 'shared layer', 3);
    const digest = sha256('shared layer');
    expect((await driver.list('/v1/blobs/sha256')).length).toBe(1);
    expect((await driver.getContent(blobDataPath(digest))).length).toBe(12);
    expect((await b.blobs.stat(digest)).size).toBe(12);
    await expect(c.blobs.stat(digest)).rejects.toBeInstanceOf(BlobUnknownError);
    await expect(c.blobs.open(digest)).rejects.toBeInstanceOf(BlobUnknownError);
    expect(await namespace.blobExists(digest)).toBe(true);
  });

  it('pages the catalog in lexical order', async () => {
    const namespace = testNamespace();
    const names = ['a', 'a-b', 'a/b', 'a/b/c', 'b', 'z/y', 'a0'];
    for (const name of names) await pushBlob(await namespace.repository(name), name);
    const sorted = [...names].sort();
    expect((await namespace.catalog()).repositories).toEqual(sorted);
    const first = await namespace.catalog({ n: 3 });
    expect(first).toEqual({ repositories: sorted.slice(0, 3), more: true });
    const second = await namespace.catalog({ n: 3, last: first.repositories.at(-1) as string });
    expect(second).toEqual({ repositories: sorted.slice(3, 6), more: true });
    const third = await namespace.catalog({ n: 3, last: second.repositories.at(-1) as string });
    expect(third).toEqual({ repositories: sorted.slice(6), more: false });
    expect(await namespace.hasRepository('a/b')).toBe(true);
    expect(await namespace.hasRepository('z')).toBe(false);
  });

  it('does not list a repository that only has an upload in progress', async () => {
    const namespace = testNamespace();
    await (await namespace.repository('pending')).blobs.createUpload();
    expect((await namespace.catalog()).repositories).toEqual([]);
    expect(await namespace.hasRepository('pending')).toBe(false);
  });

  it('skips foreign directories in the repository tree', async () => {
    const driver = new MemoryDriver();
    const namespace = testNamespace({ driver });
    await pushBlob(await namespace.repository('good'), 'x');
    await driver.putContent('/v1/repositories/BAD/_layers/sha256/x/link', Buffer.from('{}'));
    expect((await namespace.catalog()).repositories).toEqual(['good']);
  });
});
