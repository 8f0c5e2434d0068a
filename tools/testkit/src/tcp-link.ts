import net from 'node:net';

/**
 * A TCP link on a loopback port to `target`, that a test can cut and mend: the network between a
 * client and a remote host. Cut, every connection through it is destroyed and new ones are
 * refused (nothing listens on the port), as when the host or the route to it goes down; mended,
 * it listens on the same port again. The bytes pass untouched (TLS end to end).
 */
export interface TcpLink extends AsyncDisposable {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  cut(): Promise<void>;
  mend(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpLink(target: { host: string; port: number }): Promise<TcpLink> {
  const open = new Set<net.Socket>();
  let connections = 0;
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    const created = net.createServer((client) => {
      connections += 1;
      const upstream = net.connect(target.port, target.host);
      open.add(client);
      open.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        open.delete(client);
        open.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => resolve());
    });
    port = (created.address() as net.AddressInfo).port;
    server = created;
  };
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const socket of open) socket.destroy();
    open.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  const link: TcpLink = {
    get address() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get connections() {
      return connections;
    },
    cut,
    mend: async () => {
      if (!server) await listen();
    },
    close: cut,
    [Symbol.asyncDispose]: cut,
  };
  return link;
}
