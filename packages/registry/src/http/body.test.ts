import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coalescedBody } from './body.js';

function source(sizes: number[]): { stream: IncomingMessage; bytes: Buffer } {
  let next = 0;
  const chunks = sizes.map((size) => Buffer.from(Array.from({ length: size }, () => next++ % 251)));
  const stream = Readable.from(chunks) as unknown as IncomingMessage;
  return { stream, bytes: Buffer.concat(chunks) };
}

async function collect(stream: Readable): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(piece as Buffer);
  return pieces;
}

describe('coalescedBody', () => {
  it('re-cuts small socket chunks into pieces of at least the chunk size, bytes unchanged', async () => {
    const { stream, bytes } = source(Array.from({ length: 40 }, (_, i) => 700 + i));
    const pieces = await collect(coalescedBody(stream, 4096));
    expect(Buffer.concat(pieces).equals(bytes)).toBe(true);
    expect(pieces.slice(0, -1).every((piece) => piece.length >= 4096)).toBe(true);
    expect(pieces.length).toBeLessThan(10);
  });

  it('passes large chunks through and handles an empty body', async () => {
    const { stream, bytes } = source([10_000, 3]);
    const pieces = await collect(coalescedBody(stream, 4096));
    expect(pieces.map((p) => p.length)).toEqual([10_000, 3]);
    expect(Buffer.concat(pieces).equals(bytes)).toBe(true);
    expect(await collect(coalescedBody(source([]).stream, 4096))).toEqual([]);
  });
});

describe('coalescedBody with a slow store', () => {
  it('never hands over a piece much larger than the chunk size, however much the request buffered', async () => {
    // Every socket chunk is already buffered before the store reads: iterating the request would
    // join them all into one piece (a second copy of every byte).
    const request = new Readable({ read() {}, highWaterMark: 1 << 20 });
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(1000, i));
    for (const chunk of chunks) request.push(chunk);
    request.push(null);
    const pieces = await collect(coalescedBody(request as unknown as IncomingMessage, 4096));
    expect(Buffer.concat(pieces).equals(Buffer.concat(chunks))).toBe(true);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(4096 + 1000);
  });

  it('fails the body when the request fails mid-way', async () => {
    const request = new Readable({ read() {} });
    request.push(Buffer.alloc(100));
    setImmediate(() => request.destroy(new Error('aborted')));
    await expect(collect(coalescedBody(request as unknown as IncomingMessage, 4096))).rejects.toThrow(
      /aborted/,
    );
  });
});
