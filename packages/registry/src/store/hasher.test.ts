import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestOf, nodeHashing, wasmHashing } from './hasher.js';

const content = Buffer.from('The quick brown fox jumps over the lazy dog');

describe('hashing strategies', () => {
  for (const strategy of [nodeHashing, wasmHashing]) {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      it(`${strategy.name} computes ${algorithm} incrementally`, async () => {
        const hasher = await strategy.create(algorithm);
        hasher.update(content.subarray(0, 10));
        hasher.update(content.subarray(10));
        expect(hasher.digest().toString()).toBe(
          `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`,
        );
      });
    }
  }

  it('wasm hashing saves its state and resumes it in a new hasher', async () => {
    const first = await wasmHashing.create('sha256');
    first.update(content.subarray(0, 17));
    const state = first.save?.();
    expect(state).toBeInstanceOf(Uint8Array);
    const resumed = await wasmHashing.restore!('sha256', state!);
    resumed.update(content.subarray(17));
    expect(resumed.digest().toString()).toBe(digestOf(content).toString());
  });

  it('node hashing offers no saved state (sessions re-hash after a restart)', async () => {
    const hasher = await nodeHashing.create('sha256');
    expect(hasher.save).toBeUndefined();
    expect(nodeHashing.restore).toBeUndefined();
  });

  it('digests whole content with either algorithm', () => {
    expect(digestOf(content, 'sha512').hex).toBe(createHash('sha512').update(content).digest('hex'));
  });
});
