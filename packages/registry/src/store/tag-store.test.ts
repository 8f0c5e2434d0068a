import { describe, expect, it } from 'vitest';
import { ManifestUnknownError, TagInvalidError } from '../errors.js';
import { pushImage, sha256, testNamespace } from './test-support/fixtures.js';

describe('tag store', () => {
  it('tags, resolves, retags and untags', async () => {
    const repository = await testNamespace().repository('app');
    const one = await pushImage(repository, 'one', { tag: 'latest' });
    expect((await repository.tags.resolve('latest')).digest.toString()).toBe(one.digest.toString());
    const two = await pushImage(repository, 'two');
    await repository.tags.tag('latest', { mediaType: 'x', digest: two.digest, size: 1 });
    const resolved = await repository.tags.resolve('latest');
    // The stored descriptor is the manifest's own, whatever the caller passed.
    expect(resolved.digest.toString()).toBe(two.digest.toString());
    expect(resolved.size).toBe(two.content.length);
    await repository.tags.untag('latest');
    await expect(repository.tags.resolve('latest')).rejects.toBeInstanceOf(ManifestUnknownError);
    await expect(repository.tags.untag('latest')).rejects.toBeInstanceOf(ManifestUnknownError);
    // The manifest stays.
    expect(await repository.manifests.exists(two.digest)).toBe(true);
  });

  it('refuses to tag a manifest the repository does not have', async () => {
    const repository = await testNamespace().repository('app');
    await expect(
      repository.tags.tag('v1', { mediaType: 'x', digest: sha256('nothing'), size: 1 }),
    ).rejects.toBeInstanceOf(ManifestUnknownError);
  });

  it('refuses invalid tags', async () => {
    const repository = await testNamespace().repository('app');
    const image = await pushImage(repository, 'x');
    for (const tag of ['', '.hidden', '-dash', '..', 'a/b', 'a:b', 't'.repeat(129), 'ä']) {
      await expect(repository.tags.resolve(tag)).rejects.toBeInstanceOf(TagInvalidError);
      await expect(
        repository.tags.tag(tag, { mediaType: 'x', digest: image.digest, size: 1 }),
      ).rejects.toBeInstanceOf(TagInvalidError);
    }
  });

  it('lists in lexical order with n / last / more', async () => {
    const repository = await testNamespace().repository('app');
    const image = await pushImage(repository, 'x');
    const tags = ['v1', 'v10', 'v2', 'latest', 'Latest', '1.0', '_a', 'v1.0-rc'];
    for (const tag of tags) await repository.tags.tag(tag, { mediaType: 'x', digest: image.digest, size: 1 });
    const sorted = [...tags].sort();
    expect(await repository.tags.list()).toEqual({ tags: sorted, more: false });
    expect(await repository.tags.list({ n: 3 })).toEqual({ tags: sorted.slice(0, 3), more: true });
    expect(await repository.tags.list({ n: 3, last: sorted[2] })).toEqual({
      tags: sorted.slice(3, 6),
      more: true,
    });
    expect(await repository.tags.list({ n: 2, last: sorted[5] })).toEqual({
      tags: sorted.slice(6),
      more: false,
    });
    expect(await repository.tags.list({ n: 100, last: sorted.at(-1) })).toEqual({ tags: [], more: false });
    // `last` need not be an existing tag.
    expect((await repository.tags.list({ last: 'v' })).tags).toEqual(sorted.filter((tag) => tag > 'v'));
    expect(await repository.tags.list({ n: 0 })).toEqual({ tags: [], more: false });
    expect(await (await testNamespace().repository('empty')).tags.list()).toEqual({ tags: [], more: false });
  });

  it('looks up every tag pointing at a digest', async () => {
    const repository = await testNamespace().repository('app');
    const one = await pushImage(repository, 'one', { tag: 'a' });
    await pushImage(repository, 'two', { tag: 'b' });
    await repository.tags.tag('c', { mediaType: 'x', digest: one.digest, size: 1 });
    expect(await repository.tags.lookup(one.digest)).toEqual(['a', 'c']);
    expect(await repository.tags.lookup(sha256('none'))).toEqual([]);
  });
});
