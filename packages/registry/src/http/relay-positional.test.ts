import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRangeStream, type PositionalRange } from '../driver/file-range-stream.js';
import { relayPositional } from './relay-positional.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A server whose handler relays what `range()` gives; records how each relay ended. */
async function serve(range: () => Promise<{ positional: PositionalRange; close?: () => void }>) {
  const outcomes: Array<'resolved' | 'rejected'> = [];
  // A high-water mark far above the relay's buffer size: writes then return true while still queued,
  // so only the write callbacks (not 'drain') stand between a buffer and its premature reuse.
  const server: Server = createServer(
    { highWaterMark: 8 * MiB },
    async (_req: IncomingMessage, res: ServerResponse) => {
      const { positional, close } = await range();
      res.writeHead(200, { 'Content-Length': positional.end - positional.start });
      try {
        await relayPositional(positional, res);
        outcomes.push('resolved');
      } catch {
        outcomes.push('rejected');
      } finally {
        close?.();
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, outcomes, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** GETs `url`, optionally pausing between chunks (so the server meets backpressure). */
function download(url: string, options: { pauseMs?: number; stopAfter?: number; stallMs?: number } = {}) {
  return new Promise<{ bytes: Buffer; error?: Error }>((resolve) => {
    get(url, (response) => {
      const chunks: Buffer[] = [];
      let received = 0;
      if (options.stallMs) {
        // Read nothing for a while: the kernel's buffers fill and the server's writes queue in
        // user space, holding its buffers (a buffer reused before its write completed shows here).
        response.pause();
        setTimeout(() => response.resume(), options.stallMs);
      }
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (options.stopAfter !== undefined && received >= options.stopAfter) {
          response.destroy();
          resolve({ bytes: Buffer.concat(chunks) });
          return;
        }
        if (options.pauseMs) {
          response.pause();
          setTimeout(() => response.resume(), options.pauseMs);
        }
      });
      response.on('end', () => resolve({ bytes: Buffer.concat(chunks) }));
      response.on('error', (error) => resolve({ bytes: Buffer.concat(chunks), error }));
    }).on('error', (error) => resolve({ bytes: Buffer.alloc(0), error }));
  });
}

describe('relayPositional and FileRangeStream', () => {
  let directory: string;
  let file: string;
  // 24.5 MiB of random bytes: far more than the relay's three 1 MiB buffers and the kernel's
  // socket buffers, so each buffer is reused many times while writes are queued.
  const content = randomBytes(24.5 * MiB);

  beforeAll(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'glci-relay-'));
    file = path.join(directory, 'blob');
    writeFileSync(file, content);
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const fileRange = async (start: number, end: number) => {
    const stream = FileRangeStream.fromHandle(await open(file, 'r'), start, end, MiB);
    return { positional: stream.positional, close: () => stream.destroy() };
  };

  it('sends the exact bytes of a range, through a slow client that makes the server wait for drain', async () => {
    const server = await serve(() => fileRange(12_345, content.length - 777));
    try {
      const { bytes, error } = await download(server.url, { stallMs: 300, pauseMs: 1 });
      expect(error).toBeUndefined();
      expect(bytes.length).toBe(content.length - 777 - 12_345);
      expect(sha256(bytes)).toBe(sha256(content.subarray(12_345, content.length - 777)));
      expect(server.outcomes).toEqual(['resolved']);
    } finally {
      await server.close();
    }
  });

  it('many relays at once each get their own bytes (pooled buffers are never shared)', async () => {
    const server = await serve(() => fileRange(0, content.length));
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, index) => download(server.url, { stallMs: 50 * index })),
      );
      for (const { bytes, error } of results) {
        expect(error).toBeUndefined();
        expect(sha256(bytes)).toBe(sha256(content));
      }
    } finally {
      await server.close();
    }
  });

  it('a client that leaves half-way ends the relay quietly', async () => {
    const server = await serve(() => fileRange(0, content.length));
    try {
      const { bytes } = await download(server.url, { stopAfter: 2 * MiB, pauseMs: 1 });
      expect(bytes.length).toBeGreaterThanOrEqual(2 * MiB);
      await expect.poll(() => server.outcomes, { timeout: 5_000 }).toEqual(['resolved']);
    } finally {
      await server.close();
    }
  });

  it('a read that fails cuts the connection (the headers are out) and rejects', async () => {
    let reads = 0;
    const failing: PositionalRange = {
      start: 0,
      end: 4 * MiB,
      read: async (buffer, length) => {
        if (++reads === 3) throw new Error('disk gone');
        buffer.fill(7, 0, length);
        return length;
      },
    };
    const server = await serve(async () => ({ positional: failing }));
    try {
      const { bytes, error } = await download(server.url);
      expect(error).toBeDefined();
      expect(bytes.length).toBeLessThan(4 * MiB);
      await expect.poll(() => server.outcomes, { timeout: 5_000 }).toEqual(['rejected']);
    } finally {
      await server.close();
    }
  });

  it('a file shorter than its range fails the relay rather than sending short', async () => {
    const short: PositionalRange = { start: 0, end: 3 * MiB, read: async () => 0 };
    const server = await serve(async () => ({ positional: short }));
    try {
      const { error } = await download(server.url);
      expect(error).toBeDefined();
      await expect.poll(() => server.outcomes, { timeout: 5_000 }).toEqual(['rejected']);
    } finally {
      await server.close();
    }
  });

  it('FileRangeStream read as a stream gives the range, and destroying it unread closes the file', async () => {
    const handle = await open(file, 'r');
    const stream = FileRangeStream.fromHandle(handle, MiB + 3, 3 * MiB + 5, 256 * 1024);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(content.subarray(MiB + 3, 3 * MiB + 5)));
    expect(chunks.length).toBe(9); // 2 MiB + 2 bytes in 256 KiB reads

    const unread = await open(file, 'r');
    const idle = FileRangeStream.fromHandle(unread, 0, 10, 1024);
    idle.destroy();
    await new Promise((resolve) => idle.once('close', resolve));
    expect(unread.fd).toBe(-1);
    await expect(idle.positional.read(Buffer.alloc(10), 10, 0)).rejects.toThrow(/closed/);
  });
});
