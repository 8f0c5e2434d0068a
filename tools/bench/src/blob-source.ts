import { createHash, randomBytes } from 'node:crypto';

/** Size of the blocks a blob is streamed in; also the largest chunk handed to a socket write. */
export const BLOCK_SIZE = 1024 * 1024;

/**
 * A blob of pseudo-random bytes that is cheap to produce again and again: every block is a copy of
 * one shared random pattern with the blob's seed and the block's index stamped over its first 16
 * bytes, so blobs with different seeds (and blocks within a blob) differ, and nothing compresses.
 * The digest is computed once, by streaming the blob through sha256 before it is measured.
 */
export class BlobSource {
  readonly #pattern: Buffer;
  #digest: string | undefined;

  constructor(
    readonly seed: number,
    readonly size: number,
    pattern: Buffer,
  ) {
    if (pattern.length < BLOCK_SIZE) throw new Error(`the pattern must hold at least ${BLOCK_SIZE} bytes`);
    this.#pattern = pattern;
  }

  /** `sha256:<hex>` of the whole blob (computed on first use by streaming it once). */
  get digest(): string {
    if (this.#digest === undefined) {
      const hash = createHash('sha256');
      for (const block of this.blocks()) hash.update(block);
      this.#digest = `sha256:${hash.digest('hex')}`;
    }
    return this.#digest;
  }

  /** The bytes in `[start, end)` as fresh buffers of at most {@link BLOCK_SIZE} bytes. */
  *blocks(start = 0, end = this.size): Generator<Buffer> {
    if (start < 0 || end > this.size || start > end) throw new RangeError(`bad range ${start}-${end}`);
    let offset = start;
    while (offset < end) {
      const index = Math.floor(offset / BLOCK_SIZE);
      const blockStart = index * BLOCK_SIZE;
      const block = this.#block(index);
      const from = offset - blockStart;
      const to = Math.min(BLOCK_SIZE, end - blockStart);
      yield from === 0 && to === BLOCK_SIZE ? block : block.subarray(from, to);
      offset = blockStart + to;
    }
  }

  /** The bytes in `[start, end)` as one buffer (for chunked uploads and small blobs). */
  slice(start = 0, end = this.size): Buffer {
    return Buffer.concat([...this.blocks(start, end)], end - start);
  }

  #block(index: number): Buffer {
    const block = Buffer.allocUnsafe(BLOCK_SIZE);
    // Shift the pattern per block so blocks do not repeat every BLOCK_SIZE bytes either.
    const shift = (index * 4099) % (this.#pattern.length - BLOCK_SIZE + 1);
    this.#pattern.copy(block, 0, shift, shift + BLOCK_SIZE);
    block.writeUInt32BE(this.seed >>> 0, 0);
    block.writeUInt32BE(index >>> 0, 4);
    block.writeDoubleBE(this.size, 8);
    return block;
  }
}

/** Makes blobs that share one random pattern (a few MiB, generated once per run). */
export function createBlobFactory(patternSize = 4 * BLOCK_SIZE): (size: number) => BlobSource {
  const pattern = randomBytes(patternSize);
  // Seeds are random too, so two runs (or two sides of one run) never push identical content.
  let seed = pattern.readUInt32BE(0);
  return (size) => new BlobSource(seed++, size, pattern);
}
