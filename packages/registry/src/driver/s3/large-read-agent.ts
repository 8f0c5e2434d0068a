import { Agent, type ClientRequestArgs } from 'node:http';
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const MIN_READ = 64 * 1024;
const DEFAULT_MAX_READ = 512 * 1024;

/**
 * An HTTP agent whose sockets read up to `maxReadBytes` (512 KiB) per `read(2)`, where Node's own
 * sockets read 64 KiB at most, and reuse their read buffer whenever they safely can.
 *
 * Why: relaying a blob from S3 to a client costs Node a fixed amount of work per chunk (the socket
 * callback, the HTTP parser, two streams, a write), and every chunk is garbage that external-memory
 * pressure makes V8 collect with full GCs. At 64 KiB per read the glci node spent 1.09 s of CPU
 * per GiB relayed, against 0.31–0.43 s for distribution; with this agent 0.40–0.53 s (`pnpm bench`,
 * row `s3-pull`; the package README has the numbers). 256 KiB reads cost about 0.55 s, and 1 MiB
 * no less than 512 KiB.
 *
 * How: Node's `onread` option hands each read to a callback, in a buffer we supply. The callback
 * pushes the bytes into the socket's ordinary readable side, so the HTTP client above sees an
 * ordinary socket, with its back-pressure: the callback's `false` (the stream is full) stops the
 * reads until the stream is read again.
 * - The size adapts per socket: it doubles while reads fill the buffer (a large body streaming)
 *   and halves when a read fills less than a quarter of it (small answers, the end of a body).
 * - When the pushed bytes went straight through to the HTTP parser (nothing is left in the
 *   stream), the next read reuses the buffer: Node's HTTP parser copies the body and the headers
 *   it keeps. Otherwise the stream still holds a view of the buffer, and the next read gets a new
 *   one. This relies on the consumer being Node's HTTP client, and on no response upgrading the
 *   connection (S3 never answers 101), which would hand the socket's bytes on without a copy.
 * - An idle keep-alive socket holds one read buffer, `maxReadBytes` at most.
 *
 * Plain HTTP only: TLS decrypts in records of at most 16 KiB, so an `https` endpoint keeps Node's
 * own agent.
 */
export class LargeReadAgent extends Agent {
  readonly #maxReadBytes: number;

  constructor(options: ConstructorParameters<typeof Agent>[0] & { maxReadBytes?: number } = {}) {
    const { maxReadBytes = DEFAULT_MAX_READ, ...agentOptions } = options;
    super(agentOptions);
    this.#maxReadBytes = Math.max(MIN_READ, maxReadBytes);
  }

  override createConnection(options: ClientRequestArgs): Duplex {
    const maxReadBytes = this.#maxReadBytes;
    let readBytes = MIN_READ;
    let reusable: Buffer | undefined;
    const nextBuffer = (): Buffer => {
      if (reusable?.length === readBytes) return reusable;
      reusable = undefined;
      return Buffer.allocUnsafe(readBytes);
    };
    const socket: Socket = connect({
      ...(options as NetConnectOpts),
      onread: {
        buffer: nextBuffer,
        callback(bytesRead: number, buffer: Buffer): boolean {
          if (bytesRead === buffer.length) readBytes = Math.min(readBytes * 2, maxReadBytes);
          else if (bytesRead < buffer.length / 4) readBytes = Math.max(MIN_READ, readBytes / 2);
          const wantsMore = socket.push(buffer.subarray(0, bytesRead));
          reusable = socket.readableLength === 0 ? buffer : undefined;
          return wantsMore;
        },
      },
    });
    return socket;
  }
}
