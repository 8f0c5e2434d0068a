import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';

/** Blob bodies reach the store in pieces of at least this much (the last may be smaller). */
export const BODY_CHUNK_BYTES = 1024 * 1024;

/**
 * The request body re-cut into ~1 MiB buffers. Sockets deliver 16–64 KiB at a time; a store that
 * awaits one storage write per piece pays the write latency 16–64 times per MiB, which on a
 * filesystem driver halved push throughput. One copy per MiB is far cheaper.
 *
 * The body is piped, not iterated: `read()` on a request that buffered several socket chunks while
 * the store was writing concatenates them all, a second copy of every byte (a tenth of the
 * registry's CPU in a `crane copy`), and a piece as large as whatever piled up.
 */
export function coalescedBody(req: IncomingMessage, chunkBytes = BODY_CHUNK_BYTES): Readable {
  let parts: Buffer[] = [];
  let size = 0;
  const take = (): Buffer => {
    const piece = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    return piece;
  };
  const pieces = new Transform({
    writableHighWaterMark: chunkBytes,
    // One finished piece waits for the store; the request pauses (TCP backpressure) until it is taken.
    readableObjectMode: true,
    readableHighWaterMark: 1,
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      parts.push(chunk);
      size += chunk.length;
      done(null, size >= chunkBytes ? take() : undefined);
    },
    flush(done: TransformCallback) {
      done(null, size > 0 ? take() : undefined);
    },
  });
  // pipeline carries a failed or cut-off request (client gone) to the store as an error, and a
  // destroyed `pieces` (aborted upload) stops reading the request. Its errors surface on `pieces`.
  pipeline(req, pieces, () => {});
  return pieces;
}
