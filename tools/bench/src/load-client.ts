import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly method: 'GET' | 'HEAD';
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Concurrent keep-alive connections, each with one request in flight. */
  readonly connections: number;
  /** Every response must be 200 with this `Content-Length` (and, for GET, this many body bytes). */
  readonly contentLength: number;
}

/** Open connections ready to send one request after another. */
export interface Load {
  /** Sends requests back to back on every connection for `seconds`; returns how many completed. */
  run(seconds: number): Promise<number>;
  close(): void;
}

/**
 * A minimal HTTP/1.1 load generator on raw sockets, for the requests-per-second rows. General
 * clients cost more CPU per request than the registries under test spend (on a 2-core machine the
 * client competes with the server), and undici closes the connection after every HEAD, which would
 * measure TCP set-up instead of the registry. This one writes a prepared request, reads the status
 * line and `Content-Length`, skips that many body bytes (none for HEAD), and sends the next request.
 */
export async function openLoad(options: LoadOptions): Promise<Load> {
  const head = Object.entries({ host: `${options.host}:${options.port}`, ...options.headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request = Buffer.from(`${options.method} ${options.path} HTTP/1.1\r\n${head}\r\n`);
  const bodyLength = options.method === 'HEAD' ? 0 : options.contentLength;
  const sockets = await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
          socket.once('connect', () => {
            socket.off('error', reject);
            resolve(socket);
          });
          socket.once('error', reject);
        }),
    ),
  );

  const drive = (socket: net.Socket, deadline: number) =>
    new Promise<number>((resolve, reject) => {
      let completed = 0;
      let pending: Buffer = Buffer.alloc(0);
      let remaining = -1; // body bytes still to skip; -1 while reading the head
      const fail = (message: string) => {
        cleanup();
        reject(new Error(`${options.method} ${options.path}: ${message}`));
      };
      const onData = (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          if (remaining < 0) {
            const end = pending.indexOf('\r\n\r\n');
            if (end < 0) return;
            const text = pending.toString('latin1', 0, end);
            const status = Number(text.slice(9, 12));
            if (status !== 200) return fail(`answered ${text.split('\r\n')[0]}`);
            const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
            if (!length || Number(length[1]) !== options.contentLength) {
              return fail(`answered Content-Length ${length?.[1]} instead of ${options.contentLength}`);
            }
            remaining = bodyLength;
            pending = pending.subarray(end + 4);
          }
          if (pending.length < remaining) {
            remaining -= pending.length;
            pending = Buffer.alloc(0);
            return;
          }
          pending = pending.subarray(remaining);
          remaining = -1;
          completed++;
          if (performance.now() >= deadline) {
            cleanup();
            return resolve(completed);
          }
          socket.write(request);
        }
      };
      const onClose = () => fail(`the registry closed the connection after ${completed} requests`);
      const onError = (error: Error) => fail(error.message);
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.off('error', onError);
      };
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.on('error', onError);
      socket.write(request);
    });

  return {
    async run(seconds) {
      const deadline = performance.now() + seconds * 1000;
      const counts = await Promise.all(sockets.map((socket) => drive(socket, deadline)));
      return counts.reduce((sum, count) => sum + count, 0);
    },
    close() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
