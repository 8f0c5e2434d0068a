import { describe, expect, it } from 'vitest';
import { ContentCache } from './content-cache.js';
import { bytes, sha256 } from './test-support/fixtures.js';

describe('ContentCache', () => {
  it('returns what was stored and evicts the least recently used past its byte budget', () => {
    const cache = new ContentCache(10, 10);
    const [a, b, c] = ['aaaa', 'bbbb', 'cccc'].map((text) => ({
      digest: sha256(text),
      content: bytes(text),
    }));
    cache.set(a!.digest, a!.content);
    cache.set(b!.digest, b!.content);
    expect(cache.get(a!.digest)).toBe(a!.content); // a is now the most recent
    cache.set(c!.digest, c!.content);
    expect(cache.get(b!.digest)).toBeUndefined();
    expect(cache.get(a!.digest)).toBe(a!.content);
    expect(cache.get(c!.digest)).toBe(c!.content);
    expect(cache.size).toEqual({ entries: 2, bytes: 8 });
  });

  it('skips entries larger than its per-entry limit, and caches nothing with a zero budget', () => {
    const cache = new ContentCache(100, 4);
    cache.set(sha256('big'), bytes('too big'));
    expect(cache.size.entries).toBe(0);
    const none = new ContentCache(0);
    none.set(sha256('x'), bytes('x'));
    expect(none.get(sha256('x'))).toBeUndefined();
  });

  it('replaces an entry without counting it twice', () => {
    const cache = new ContentCache(100, 100);
    cache.set(sha256('x'), bytes('xx'));
    cache.set(sha256('x'), bytes('xx'));
    expect(cache.size).toEqual({ entries: 1, bytes: 2 });
  });
});
