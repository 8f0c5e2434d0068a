import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP forwarder put in front of a real upstream (CNCF distribution) that records every
 * request (method and path) it forwards, so tests count exactly what the proxy asked upstream. It
 * can also answer in the upstream's place: `failWith({ status: 429 })` plays a rate-limiting
 * upstream, `failWith({ status: 503 })` a failing one; `stop()` makes it unreachable.
 */
export interface CountingProxy extends AsyncDisposable {
  readonly url: string;
  readonly host: string;
  /** `METHOD /path STATUS` of each request, in arrival order (query strings dropped). */
  readonly requests: string[];
  count(pattern?: RegExp): number;
  reset(): void;
  failWith(failure: { status: number; retryAfter?: string } | undefined): void;
  /** Cuts every blob GET response after `bytes` bytes (the connection drops mid-body). */
  cutBlobsAfter(bytes: number | undefined): void;
  /** Holds the next request matching `pattern` (`METHOD /path`) until `release()`. */
  hold(pattern: RegExp): { arrived: Promise<void>; release(): void };
  /** Stops listening (the upstream becomes unreachable); `start()` listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** `host`: where it listens (default 127.0.0.1; containers need the bridge gateway's address). */
export async function startCountingProxy(
  target: string,
  options: { host?: string } = {},
): Promise<CountingProxy> {
  const host = options.host ?? '127.0.0.1';
  const requests: string[] = [];
  const upstream = new URL(target);
  let failure: { status: number; retryAfter?: string } | undefined;
  let cutAfter: number | undefined;
  const holds: { pattern: RegExp; arrive: () => void; released: Promise<void> }[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const held = holds.findIndex((hold) => hold.pattern.test(`${req.method} ${path}`));
    if (held >= 0) {
      const [hold] = holds.splice(held, 1);
      hold!.arrive();
      await hold!.released;
    }
    const record = (status: number | undefined) =>
      requests.push(`${req.method} ${path} ${status ?? 'error'}`);
    if (failure) {
      record(failure.status);
      const body = JSON.stringify({
        errors: [{ code: failure.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected' }],
      });
      res.writeHead(failure.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}),
      });
      res.end(body);
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        record(answer.statusCode);
        const headers = { ...answer.headers };
        // Keep redirects and upload locations pointing at this proxy.
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(upstream.origin, '');
        res.writeHead(answer.statusCode ?? 502, headers);
        const limit = cutAfter;
        if (
          limit !== undefined &&
          req.method === 'GET' &&
          path.includes('/blobs/') &&
          answer.statusCode === 200
        ) {
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            if (sent >= limit) return;
            const part = chunk.subarray(0, limit - sent);
            sent += part.length;
            res.write(part);
            if (sent >= limit) {
              answer.destroy();
              res.socket?.destroy();
            }
          });
          return;
        }
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => {
      record(undefined);
      res.destroy();
    });
    req.pipe(forwarded);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const start = async () => {
    if (!stopped) return;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    stopped = false;
  };
  return {
    url: `http://${host}:${port}`,
    host: `${host}:${port}`,
    requests,
    count: (pattern) => (pattern ? requests.filter((line) => pattern.test(line)).length : requests.length),
    reset: () => {
      requests.length = 0;
    },
    hold: (pattern) => {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.push({ pattern, arrive, released });
      return { arrived, release };
    },
    cutBlobsAfter: (bytes) => {
      cutAfter = bytes;
    },
    failWith: (next) => {
      failure = next;
    },
    stop,
    start,
    [Symbol.asyncDispose]: stop,
  };
}
