import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { delayOf, type Latency, sleep } from './latency.js';
import type { TestCertificates } from './tls.js';

/** A canned answer for one path: a status, headers (a redirect's `location`) and a body. */
export interface CannedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface RunningRemoteServer {
  /** `https://127.0.0.1:PORT` (or `http://`). */
  readonly url: string;
  /** Paths asked for, in order. */
  readonly requests: string[];
  /** Answers `path` with `answer` instead of a fixture file (redirects, errors, oversize bodies). */
  route(path: string, answer: CannedAnswer): void;
  setLatency(latency: Latency): void;
  close(): Promise<void>;
}

/**
 * A real HTTP(S) server on loopback for `include:remote`: it serves the files under `root`
 * (`fixtures/remote`) and any canned answers a test adds. Over HTTPS it uses the stand-in's test CA.
 */
export async function startRemoteServer(options: {
  root: string;
  tls?: TestCertificates | undefined;
  latency?: Latency;
}): Promise<RunningRemoteServer> {
  const routes = new Map<string, CannedAnswer>();
  const requests: string[] = [];
  let latency: Latency = options.latency ?? 0;
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(pathname);
    const delay = delayOf(latency);
    if (delay > 0) await sleep(delay);
    const canned = routes.get(pathname);
    if (canned) {
      res.writeHead(canned.status, { 'content-type': 'text/plain', ...canned.headers });
      res.end(canned.body ?? '');
      return;
    }
    const file = path.join(options.root, decodeURIComponent(pathname));
    if (!file.startsWith(`${options.root}${path.sep}`) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/yaml; charset=utf-8' });
    res.end(readFileSync(file));
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    route: (routePath, answer) => routes.set(routePath, answer),
    setLatency: (next) => {
      latency = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
