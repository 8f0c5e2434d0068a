import type { ServerResponse } from 'node:http';
import type { PositionalRange } from '../driver/file-range-stream.js';

/** Size of each relay buffer: one read and one socket write per MiB. */
const BUFFER_SIZE = 1024 * 1024;
/** Buffers per response: one being read while the others are written (double buffering and a spare). */
const BUFFERS_PER_RELAY = 3;
/** Free buffers kept between responses (at most 16 MiB); more concurrent relays allocate and drop theirs. */
const POOL_LIMIT = 16;

const pool: Buffer[] = [];

/**
 * Sends `range` as the body of `res` (headers already written) through a few reused buffers:
 * each buffer goes back into use only when the socket write that carried it has completed, so no
 * memory is allocated per chunk (see file-range-stream.ts for why that matters). Resolves when the
 * body is complete or the client went away; rejects when a read fails, after destroying `res`
 * (the headers are out, so the only honest signal left is a cut connection).
 */
export async function relayPositional(range: PositionalRange, res: ServerResponse): Promise<void> {
  const free: Buffer[] = [];
  for (let i = 0; i < BUFFERS_PER_RELAY; i++) free.push(pool.pop() ?? Buffer.allocUnsafeSlow(BUFFER_SIZE));
  let wakeBufferWaiter: (() => void) | undefined;
  let wakeDrainWaiter: (() => void) | undefined;
  let gone = false;
  const onGone = () => {
    gone = true;
    wakeBufferWaiter?.();
    wakeDrainWaiter?.();
  };
  res.once('close', onGone);
  const written = (buffer: Buffer) => () => {
    free.push(buffer);
    wakeBufferWaiter?.();
  };
  try {
    for (let position = range.start; position < range.end && !gone; ) {
      if (free.length === 0) {
        await new Promise<void>((resolve) => {
          wakeBufferWaiter = resolve;
        });
        wakeBufferWaiter = undefined;
        continue;
      }
      const buffer = free.pop() as Buffer;
      const length = Math.min(BUFFER_SIZE, range.end - position);
      let bytesRead: number;
      try {
        bytesRead = await range.read(buffer, length, position);
        if (bytesRead === 0) throw new Error(`the file ended at ${position}, before ${range.end}`);
      } catch (error) {
        free.push(buffer);
        if (gone) break; // the client left and the request's abort closed the file: nothing to report
        res.destroy(error as Error);
        throw error;
      }
      position += bytesRead;
      if (gone) {
        free.push(buffer);
        break;
      }
      const more = res.write(
        bytesRead === BUFFER_SIZE ? buffer : buffer.subarray(0, bytesRead),
        written(buffer),
      );
      if (!more && !gone) {
        await new Promise<void>((resolve) => {
          // Woken by 'drain' or by the client leaving; either way the other wake-up is removed.
          const wake = () => {
            res.off('drain', wake);
            wakeDrainWaiter = undefined;
            resolve();
          };
          wakeDrainWaiter = wake;
          res.once('drain', wake);
        });
      }
    }
    if (!gone) {
      // 'finish' when the last byte is handed to the socket; 'close' when the client left first.
      await new Promise<void>((resolve) => {
        res.once('close', resolve);
        res.end(resolve);
      });
    }
  } finally {
    res.off('close', onGone);
    // A buffer still in a pending write belongs to the socket until its callback runs (a destroyed
    // socket may never run it, and the buffer is then simply dropped): only free ones are pooled.
    while (free.length > 0 && pool.length < POOL_LIMIT) pool.push(free.pop() as Buffer);
  }
}
