import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, createBlobFactory } from './blob-source.js';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('BlobSource', () => {
  const blobOf = createBlobFactory();

  it('streams the bytes its digest was computed over, in blocks of at most 1 MiB', () => {
    const blob = blobOf(3 * BLOCK_SIZE + 12345);
    const blocks = [...blob.blocks()];
    expect(blocks.every((block) => block.length <= BLOCK_SIZE)).toBe(true);
    const whole = Buffer.concat(blocks);
    expect(whole.length).toBe(blob.size);
    expect(blob.digest).toBe(sha256(whole));
  });

  it('gives any range the same bytes as the whole blob, so chunked and monolithic pushes agree', () => {
    const blob = blobOf(2 * BLOCK_SIZE + 7);
    const whole = blob.slice();
    for (const [start, end] of [
      [0, 10],
      [BLOCK_SIZE - 3, BLOCK_SIZE + 5],
      [BLOCK_SIZE, 2 * BLOCK_SIZE + 7],
      [5, 5],
    ] as const) {
      expect(blob.slice(start, end).equals(whole.subarray(start, end))).toBe(true);
    }
    expect(() => [...blob.blocks(0, blob.size + 1)]).toThrow(RangeError);
  });

  it('makes a different blob every time, and blocks that do not repeat', () => {
    const a = blobOf(2 * BLOCK_SIZE);
    const b = blobOf(2 * BLOCK_SIZE);
    expect(a.digest).not.toBe(b.digest);
    const [first, second] = [...a.blocks()];
    expect(first!.subarray(16).equals(second!.subarray(16))).toBe(false);
  });
});
