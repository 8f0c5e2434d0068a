import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { BlobUnknownError } from '../errors.js';
import { GlobalBlobStore } from './blob-store.js';
import { bytes, readAll, sha256 } from './test-support/fixtures.js';

describe('GlobalBlobStore', () => {
  it('stores content at its address and reads it whole or by range', async () => {
    const blobs = new GlobalBlobStore(new MemoryDriver(), 60);
    const digest = sha256('content');
    expect(await blobs.exists(digest)).toBe(false);
    expect(await blobs.size(digest)).toBeUndefined();
    await blobs.put(digest, bytes('content'));
    expect(await blobs.size(digest)).toBe(7);
    expect(Buffer.from(await blobs.get(digest)).toString()).toBe('content');
    expect((await readAll(await blobs.open(digest, { range: { offset: 2, length: 3 } }))).toString()).toBe(
      'nte',
    );
  });

  it('answers BlobUnknownError for missing content and no redirect without driver support', async () => {
    const blobs = new GlobalBlobStore(new MemoryDriver(), 60);
    await expect(blobs.get(sha256('x'))).rejects.toBeInstanceOf(BlobUnknownError);
    await expect(blobs.open(sha256('x'))).rejects.toBeInstanceOf(BlobUnknownError);
    expect(await blobs.redirectUrl(sha256('x'), 'GET')).toBeUndefined();
  });
});
