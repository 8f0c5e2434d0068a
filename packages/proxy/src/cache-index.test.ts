import { describe, expect, it } from 'vitest';
import { CacheIndex } from './cache-index.js';

const d = (name: string) => `sha256:${name.padEnd(64, '0')}`;

function image(index: CacheIndex, repo: string, manifest: string, blobs: string[], now: number, size = 100) {
  index.add(
    {
      kind: 'manifest',
      digest: d(manifest),
      size: 1,
      upstream: 'u',
      mediaType: 'm',
      references: blobs.map(d),
    },
    repo,
    now,
  );
  for (const blob of blobs) {
    index.add(
      { kind: 'blob', digest: d(blob), size, upstream: 'u', mediaType: 'b', references: [] },
      repo,
      now,
    );
  }
}

describe('CacheIndex eviction plan', () => {
  it('evicts by last access, not by fill time, and frees an image with its blobs', () => {
    const index = new CacheIndex();
    image(index, 'r/a', 'a', ['a1', 'a2'], 1);
    image(index, 'r/b', 'b', ['b1', 'b2'], 2);
    index.touch(d('a'), 10); // a read after b was cached
    expect(index.bytes).toBe(402);
    const plan = index.plan({ maxBytes: 250, now: 20 });
    expect(plan.map((e) => e.entry.digest)).toEqual([d('b'), d('b1'), d('b2')]);
    expect(plan.every((e) => e.reason === 'size')).toBe(true);
  });

  it('keeps a blob shared by two cached images until neither needs it', () => {
    const index = new CacheIndex();
    image(index, 'r/a', 'a', ['shared', 'a1'], 1);
    image(index, 'r/b', 'b', ['shared', 'b1'], 5);
    const plan = index.plan({ maxBytes: 150, now: 6 });
    const evicted = plan.map((e) => e.entry.digest);
    expect(evicted.slice(0, 2)).toEqual([d('a'), d('a1')]);
    expect(evicted.indexOf(d('shared'))).toBeGreaterThan(evicted.indexOf(d('b')));
    // with room for one image, the shared blob stays
    const partial = index.plan({ maxBytes: 300, now: 6 }).map((e) => e.entry.digest);
    expect(partial).toEqual([d('a'), d('a1')]);
  });

  it('never evicts content a local push references', () => {
    const index = new CacheIndex();
    image(index, 'r/a', 'a', ['base', 'a1'], 1);
    index.protect('r/a', [d('base')]);
    const evicted = index.plan({ maxBytes: 0, now: 2 }).map((e) => e.entry.digest);
    expect(evicted).toEqual([d('a'), d('a1')]);
  });

  it('expires entries unused for longer than the expiry, whatever the size', () => {
    const index = new CacheIndex();
    image(index, 'r/a', 'a', ['a1'], 0);
    image(index, 'r/b', 'b', ['b1'], 100);
    const plan = index.plan({ unusedExpiryMs: 50, now: 120 });
    expect(plan.map((e) => [e.entry.digest, e.reason])).toEqual([
      [d('a'), 'unused'],
      [d('a1'), 'unused'],
    ]);
    index.remove(d('a'));
    index.remove(d('a1'));
    expect(index.bytes).toBe(101);
  });

  it('drops tags with their manifest', () => {
    const index = new CacheIndex();
    image(index, 'r/a', 'a', [], 1);
    index.setTag('r/a', 'latest', { digest: d('a'), mediaType: 'm', size: 1, upstream: 'u', checkedAt: 1 });
    expect(index.tagsOf('r/a')).toEqual(['latest']);
    index.remove(d('a'));
    expect(index.tag('r/a', 'latest')).toBeUndefined();
  });
});

describe('CacheIndex.forgetRepository', () => {
  it("drops a repository's tags and the entries only it held, keeping what another still holds", () => {
    const index = new CacheIndex();
    image(index, 'g/app', 'a', ['shared', 'a1'], 1);
    image(index, 'g/other', 'b', ['shared'], 1);
    index.setTag('g/app', 'latest', { digest: d('a'), mediaType: 'm', size: 1, upstream: 'u', checkedAt: 1 });
    index.setTagList('g/app', { tags: ['latest'], fetchedAt: 1, upstream: 'u' });
    index.setOrigin('g/app', 'u');

    expect(index.forgetRepository('g/app').sort()).toEqual([d('a'), d('a1')].sort());
    expect(index.tag('g/app', 'latest')).toBeUndefined();
    expect(index.tagList('g/app')).toBeUndefined();
    expect(index.origin('g/app')).toBeUndefined();
    expect(index.entry(d('shared'))?.repositories).toEqual(new Set(['g/other']));
    expect(index.repositories()).toEqual(['g/other']);
    expect(index.bytes).toBe(101);
  });
});

describe('CacheIndex persistence', () => {
  it('round-trips through JSON', () => {
    const index = new CacheIndex();
    image(index, 'r/a', 'a', ['a1', 'a2'], 7);
    index.setTag('r/a', 'latest', { digest: d('a'), mediaType: 'm', size: 1, upstream: 'u', checkedAt: 5 });
    index.setOrigin('r/a', 'u');
    index.protect('r/b', [d('a1')]);
    const restored = new CacheIndex();
    restored.restore(JSON.parse(JSON.stringify(index)));
    expect(restored.bytes).toBe(index.bytes);
    expect(restored.tag('r/a', 'latest')).toEqual(index.tag('r/a', 'latest'));
    expect(restored.entry(d('a1'))!.repositories).toEqual(new Set(['r/a']));
    expect(restored.origin('r/a')).toBe('u');
    expect(restored.toJSON()).toEqual(index.toJSON());
    expect(() => restored.restore({ ...index.toJSON(), version: 2 as 1 })).toThrow(/version/);
  });

  it('counts revisions so a saver knows when to write', () => {
    const index = new CacheIndex();
    const start = index.revision;
    index.setOrigin('r', 'u');
    index.touch(d('none'), 1);
    expect(index.revision).toBeGreaterThan(start);
  });
});
