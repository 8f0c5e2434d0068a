import { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@glci/config';
import type Docker from 'dockerode';
import { StreamDemuxer } from './stream-demuxer.js';

/** The tunnel's process failed (non-zero exit, killed) or its stream broke; `stderr` says what it said. */
export class ExecTunnelError extends Error {
  override readonly name = 'ExecTunnelError';
  constructor(
    message: string,
    readonly container: string,
    readonly execId: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** What a raw hijacked connection offers beyond Duplex (a net.Socket, or a TLS socket). */
type RawConnection = Duplex & {
  setTimeout?(ms: number): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
  setKeepAlive?(enable?: boolean, delay?: number): unknown;
  ref?(): unknown;
  unref?(): unknown;
};

const MAX_STDERR = 8 * 1024;

/** A started exec and its hijacked connection. */
export interface ExecConnection {
  readonly raw: Duplex;
  readonly exec: Docker.Exec;
}

/**
 * One `docker exec -i` as a byte stream, so an HTTP client can use it as its connection: writes
 * go to the process's stdin, its stdout is the readable side (demultiplexed from Docker's frames;
 * its stderr is kept for errors), ending the writable side closes its stdin (a TCP half-close on
 * the hijacked connection), and the readable side ends when the process's stdout does. If the
 * process then turns out to have failed (a non-zero exit, killed by a signal), the stream is
 * destroyed with an ExecTunnelError carrying its exit code and stderr instead of ending cleanly,
 * so a request in flight fails with that reason, not a bare "socket hang up".
 *
 * It exists before the exec does (`connection` resolves once Docker has started it): http.Agent
 * counts a connection only once it has the stream, so handing it over at once keeps `maxSockets`
 * true. Writes wait for the connection. It also answers the socket methods http.Agent calls
 * (setTimeout, setKeepAlive, ref, unref…).
 */
export class ExecStream extends Duplex {
  readonly container: string;
  readonly #logger: Logger;
  readonly #demuxer = new StreamDemuxer();
  readonly #connection: Promise<ExecConnection>;
  #raw: RawConnection | undefined;
  #exec: Docker.Exec | undefined;
  /** Socket settings asked for before the connection existed, applied when it does. */
  readonly #pendingSettings: ((raw: RawConnection) => void)[] = [];
  #stderr = '';
  #ending = false;
  /** How the connection broke, once it has (see #fail). */
  #failure: Promise<ExecTunnelError> | undefined;

  constructor(options: { connection: Promise<ExecConnection>; container: string; logger: Logger }) {
    // Like a net.Socket: when the output ends, the input is ended too and the stream closes, which
    // is what takes a dead connection out of an http.Agent's pool.
    super({ allowHalfOpen: false });
    this.container = options.container;
    this.#logger = options.logger;
    this.#connection = options.connection;
    this.#connection.then(
      (connection) => this.#attach(connection),
      (error: Error) => this.destroy(error),
    );
  }

  /** The exec's id; empty until Docker has started it. */
  get execId(): string {
    return this.#exec?.id ?? '';
  }

  /** What the process wrote on stderr so far (the first 8 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // A write into a process that died fails with EPIPE or ECONNRESET; the request fails with how
    // the process ended instead (that is what the user can act on).
    const written = (error?: Error | null) => {
      if (!error) callback();
      else
        void this.#fail(`the tunnel connection to ${this.container} failed: ${error.message}`, error).then(
          callback,
        );
    };
    if (this.#raw) {
      this.#raw.write(chunk, written);
      return;
    }
    this.#connection.then(
      ({ raw }) => raw.write(chunk, written),
      (error: Error) => callback(error),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Half-close: dockerd closes the process's stdin, and the tunnel half-closes its connection.
    this.#connection.then(
      ({ raw }) => {
        raw.end();
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _read(): void {
    this.#raw?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#raw) this.#raw.destroy();
    else
      this.#connection.then(
        ({ raw }) => raw.destroy(),
        () => undefined,
      );
    callback(error);
  }

  setTimeout(ms: number, listener?: () => void): this {
    this.#setting((raw) => raw.setTimeout?.(ms));
    if (listener) this.once('timeout', listener);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.#setting((raw) => raw.setNoDelay?.(noDelay));
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.#setting((raw) => raw.setKeepAlive?.(enable, delay));
    return this;
  }

  ref(): this {
    this.#setting((raw) => raw.ref?.());
    return this;
  }

  unref(): this {
    this.#setting((raw) => raw.unref?.());
    return this;
  }

  #setting(apply: (raw: RawConnection) => void): void {
    if (this.#raw) apply(this.#raw);
    else this.#pendingSettings.push(apply);
  }

  #attach(connection: ExecConnection): void {
    const raw = connection.raw as RawConnection;
    if (this.destroyed) {
      raw.destroy();
      return;
    }
    this.#raw = raw;
    this.#exec = connection.exec;
    for (const apply of this.#pendingSettings.splice(0)) apply(raw);
    raw.on('data', (chunk: Buffer) => this.#onData(chunk));
    raw.once('end', () => {
      void this.#onEnd();
    });
    raw.once('error', (error: Error) => {
      void this.#fail(`the tunnel connection to ${this.container} failed: ${error.message}`, error);
    });
    raw.on('timeout', () => this.emit('timeout'));
    raw.once('close', () => {
      if (!this.#ending) void this.#fail(`the tunnel connection to ${this.container} closed unexpectedly`);
    });
  }

  #onData(chunk: Buffer): void {
    let frames: ReturnType<StreamDemuxer['push']>;
    try {
      frames = this.#demuxer.push(chunk);
    } catch (error) {
      this.destroy(this.#error((error as Error).message, undefined, error));
      return;
    }
    for (const piece of frames.stderr) {
      if (this.#stderr.length < MAX_STDERR)
        this.#stderr += piece.toString('utf8').slice(0, MAX_STDERR - this.#stderr.length);
    }
    for (const piece of frames.stdout) {
      if (!this.push(piece)) this.#raw?.pause();
    }
  }

  /**
   * The connection broke (an error, a failed write, a close before the end): destroys the stream
   * with how the process ended when Docker knows it (killed, an exit code), else with `what`.
   * Once only: the error, the failed write and the close of one break all resolve to one error.
   */
  #fail(what: string, cause?: Error): Promise<ExecTunnelError> {
    this.#failure ??= (async () => {
      let exitCode: number | undefined;
      try {
        exitCode = this.#exec ? await this.#exitCode() : undefined;
      } catch {
        exitCode = undefined; // Docker cannot say: report the break itself
      }
      const failed =
        exitCode === undefined || exitCode === 0
          ? this.#error(what, exitCode, cause)
          : this.#error(`the tunnel into ${this.container} ${describeExit(exitCode)}`, exitCode, cause);
      if (!this.destroyed) this.destroy(failed);
      return failed;
    })();
    return this.#failure;
  }

  /** Docker closed the output: the process ended. Ends cleanly only if it exited 0. */
  async #onEnd(): Promise<void> {
    this.#ending = true;
    if (this.destroyed || this.#failure) return;
    let exitCode: number | undefined;
    try {
      exitCode = await this.#exitCode();
    } catch (error) {
      this.destroy(this.#error(`cannot tell how the tunnel into ${this.container} ended`, undefined, error));
      return;
    }
    if (this.destroyed || this.#failure) return;
    if (this.#demuxer.incomplete) {
      this.destroy(this.#error(`the tunnel into ${this.container} ended in the middle of a frame`, exitCode));
      return;
    }
    if (exitCode !== 0) {
      const how = exitCode === undefined ? 'ended without an exit code' : describeExit(exitCode);
      this.destroy(this.#error(`the tunnel into ${this.container} ${how}`, exitCode));
      return;
    }
    if (this.#stderr) this.#logger.debug('the tunnel wrote on stderr', { stderr: this.#stderr });
    this.push(null);
  }

  /** The exit code; the stream can end a moment before Docker has reaped the process. */
  async #exitCode(): Promise<number | undefined> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const info = await this.#exec!.inspect();
      if (!info.Running) return info.ExitCode ?? undefined;
      await sleep(20);
    }
    return undefined;
  }

  #error(message: string, exitCode: number | undefined, cause?: unknown): ExecTunnelError {
    const stderr = this.#stderr.trim();
    return new ExecTunnelError(
      stderr ? `${message}: ${stderr}` : message,
      this.container,
      this.execId,
      exitCode,
      this.#stderr,
      cause,
    );
  }
}

function describeExit(code: number): string {
  return code > 128 && code < 160
    ? `was killed (exit code ${code}, signal ${code - 128})`
    : `exited with code ${code}`;
}
