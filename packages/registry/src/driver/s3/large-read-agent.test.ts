import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LargeReadAgent } from './large-read-agent.js';

const MiB = 1024 * 1024;

let server: Server | undefined;
let agent: LargeReadAgent | undefined;

afterEach(async () => {
  agent?.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
  agent = undefined;
});

async function serve(handler: (response: ServerResponse) => unknown): Promise<string> {
  server = createServer((_request, response) => handler(response));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function request(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(url, { agent }, resolve).on('error', reject));
}

/** Reads the body and notes the size of each chunk the HTTP client handed over. */
async function readAll(
  response: IncomingMessage,
): Promise<{ digest: string; length: number; chunks: number[] }> {
  const hash = createHash('sha256');
  const chunks: number[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) {
    hash.update(chunk);
    chunks.push(chunk.length);
  }
  return { digest: hash.digest('hex'), length: chunks.reduce((a, b) => a + b, 0), chunks };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('LargeReadAgent', () => {
  it('delivers a large body intact, in reads larger than the 64 KiB Node uses and at most 512 KiB', async () => {
    const body = randomBytes(24 * MiB);
    const url = await serve((response) => response.end(body));
    agent = new LargeReadAgent({ keepAlive: true });
    const response = await request(url);
    // Let the kernel's socket buffer fill, so that each read finds more than 64 KiB waiting.
    response.pause();
    await sleep(100);
    const { digest, length, chunks } = await readAll(response);
    expect(length).toBe(body.length);
    expect(digest).toBe(sha256(body));
    expect(Math.max(...chunks)).toBeGreaterThan(64 * 1024);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(512 * 1024);
  });

  it('honours maxReadBytes', async () => {
    const body = randomBytes(8 * MiB);
    const url = await serve((response) => response.end(body));
    agent = new LargeReadAgent({ maxReadBytes: 128 * 1024 });
    const response = await request(url);
    response.pause();
    await sleep(100);
    const { digest, chunks } = await readAll(response);
    expect(digest).toBe(sha256(body));
    expect(Math.max(...chunks)).toBe(128 * 1024);
  });

  it('stops reading while the consumer is paused, and finishes once it resumes', async () => {
    const body = randomBytes(96 * MiB);
    let sent = 0;
    const url = await serve(async (response) => {
      // Waits for 'drain' whenever the socket is full: `sent` stalls while nobody reads.
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        const chunk = body.subarray(offset, offset + 64 * 1024);
        if (!response.write(chunk)) await once(response, 'drain');
        sent += chunk.length;
      }
      response.end();
    });
    agent = new LargeReadAgent();
    const response = await request(url);
    response.pause();
    await sleep(300);
    // Without back-pressure the client would have drained all 96 MiB into memory by now; with it,
    // the sender waits on the kernel's buffers, a few MiB on loopback.
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(48 * MiB);
    const { digest, length } = await readAll(response);
    expect(length).toBe(body.length);
    expect(digest).toBe(sha256(body));
  });

  it('keeps bytes that wait in the stream intact while later reads arrive', async () => {
    // 32 KiB at once fills the response's buffer, so the HTTP client pauses the socket; the small
    // pieces that follow, one read each, then wait in the socket's stream while it keeps reading.
    // A read buffer reused under them would overwrite them.
    const head = randomBytes(32 * 1024);
    const pieces = Array.from({ length: 60 }, () => randomBytes(100));
    const body = Buffer.concat([head, ...pieces]);
    const url = await serve(async (response) => {
      response.writeHead(200, { 'content-length': body.length });
      response.write(head);
      for (const piece of pieces) {
        await sleep(2);
        response.write(piece);
      }
      response.end();
    });
    agent = new LargeReadAgent();
    const response = await request(url);
    response.pause();
    await sleep(400);
    const { digest } = await readAll(response);
    expect(digest).toBe(sha256(body));
  });

  it('reuses a keep-alive socket for the next request', async () => {
    const bodies = [randomBytes(4 * MiB), Buffer.from('small answer')];
    let served = 0;
    const url = await serve((response) => response.end(bodies[served++]));
    // Connections are counted where the server accepts them. A response's `socket` is no measure:
    // when the next request arrives before the server has seen its previous response finish (the
    // write callback is still queued, as happens under load), Node queues the new response and its
    // `socket` stays null until then, on the same connection.
    let connections = 0;
    server?.on('connection', () => connections++);
    agent = new LargeReadAgent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    for (const body of bodies) {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const sent = get(url, { agent }, resolve).on('error', reject);
        sent.on('socket', () => reused.push(sent.reusedSocket));
      });
      const { digest } = await readAll(response);
      expect(digest).toBe(sha256(body));
    }
    expect(reused).toEqual([false, true]);
    expect(connections).toBe(1);
  });

  it('ends the body when the server closes a connection without Content-Length', async () => {
    const body = randomBytes(3 * MiB + 17);
    const url = await serve((response) => {
      response.setHeader('connection', 'close');
      response.write(body.subarray(0, MiB));
      setTimeout(() => response.end(body.subarray(MiB)), 20);
    });
    agent = new LargeReadAgent();
    const { digest, length } = await readAll(await request(url));
    expect(length).toBe(body.length);
    expect(digest).toBe(sha256(body));
  });
});
