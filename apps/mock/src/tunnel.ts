import { connect } from 'node:net';

export interface TunnelOptions {
  readonly port: number;
  /** Default 127.0.0.1: the mock inside the same container. */
  readonly host?: string;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * `glci-mock tunnel`: one TCP connection to the mock, carried over stdin/stdout. The glci daemon
 * runs it with `docker exec -i` for each HTTP connection it opens to the mock, which reaches the
 * mock wherever Docker runs (a `tcp://` or `ssh://` host included) without a published port.
 * Bytes pass through unchanged in both directions; stdin's end half-closes the connection and
 * the mock's end ends stdout. Resolves with the exit code once both directions are done.
 */
export function runTunnel(options: TunnelOptions): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve) => {
    const socket = connect({ host, port: options.port, allowHalfOpen: true });
    let failed = false;
    socket.once('connect', () => {
      options.stdin.pipe(socket);
    });
    socket.pipe(options.stdout);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      failed = true;
      options.stderr.write(`glci-mock tunnel: ${host}:${options.port}: ${error.code ?? error.message}\n`);
      options.stdout.end();
    });
    socket.once('close', () => {
      // The connection is over: stop reading stdin, so the process can exit.
      options.stdin.unpipe(socket);
      (options.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      resolve(failed ? 1 : 0);
    });
  });
}

/** The port from GLCI_MOCK_PORT (what the mock in the image listens on), default 39741. */
export function tunnelPort(env: NodeJS.ProcessEnv): number {
  const text = env.GLCI_MOCK_PORT ?? '39741';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new Error(`GLCI_MOCK_PORT must be a port number (1-65535), got ${JSON.stringify(text)}`);
  }
  return port;
}
