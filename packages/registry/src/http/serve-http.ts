import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServeHttpOptions {
  /** Default `127.0.0.1`: nothing listens beyond loopback unless asked to. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  readonly scheme?: 'http' | 'https';
  /** How long `close()` waits for requests in flight before cutting connections (default 5 s). */
  readonly closeTimeoutMs?: number;
}

export interface ServedHttp {
  readonly address: AddressInfo;
  /** `scheme://host:port` of the bound address (IPv6 hosts in brackets). */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish (cut after `closeTimeoutMs`); idempotent. */
  close(): Promise<void>;
}

/**
 * Binds `server` with the timeouts a registry needs (layer uploads and artifacts may take long, so
 * only the headers have a deadline) and returns its URL and a graceful `close()`. Shared by the
 * registry's `listen()` and the mock server, which put different handlers on the same kind of server.
 */
export async function serveHttp(server: Server, options: ServeHttpOptions = {}): Promise<ServedHttp> {
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.scheme ?? 'http'}://${urlHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), options.closeTimeoutMs ?? 5000);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { address, url, close };
}
