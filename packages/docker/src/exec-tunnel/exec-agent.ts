import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@glci/config';
import type Docker from 'dockerode';
import { dockerCall } from '../docker-call.js';
import { type ExecConnection, ExecStream } from './exec-stream.js';

export interface ExecAgentOptions extends AgentOptions {
  readonly docker: Docker;
  /** The container (id or name) to run the command in. */
  readonly container: string;
  /** Relays its stdin and stdout to the service, e.g. `MOCK_TUNNEL_COMMAND` for the glci mock. */
  readonly command: readonly string[];
  /** Extra environment for the command (the container's own environment applies too). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

/**
 * An http.Agent whose connections are `docker exec -i <container> <command>` processes instead
 * of TCP connections: an HTTP client with this agent reaches a server inside a container through
 * the Docker API, wherever Docker runs (unix socket, `tcp://`, `ssh://`), without a published
 * port. Keep-alive is on by default, so one exec carries many requests; each further concurrent
 * connection is one more exec.
 *
 * ```ts
 * const agent = createExecAgent({ docker, container: 'glci-mock', command: MOCK_TUNNEL_COMMAND, logger });
 * await fetchLikeRequest('http://glci-mock/internal/health', { agent }); // the host part is not used
 * agent.destroy();
 * ```
 */
export class ExecTunnelAgent extends Agent {
  readonly #options: ExecAgentOptions;
  readonly #logger: Logger;
  #opened = 0;

  constructor(options: ExecAgentOptions) {
    super({ keepAlive: true, maxSockets: 8, ...options });
    this.#options = options;
    this.#logger = options.logger.child({ module: 'exec-tunnel', container: options.container });
  }

  /** Connections (execs) opened so far. */
  get connectionsOpened(): number {
    return this.#opened;
  }

  override createConnection(_options: ClientRequestArgs): Duplex {
    // Handed over at once, so the agent counts it against maxSockets while the exec starts.
    const stream = new ExecStream({
      connection: this.#open(),
      container: this.#options.container,
      logger: this.#logger,
    });
    return stream;
  }

  async #open(): Promise<ExecConnection> {
    const { docker, container, command, env } = this.#options;
    const action = `opening a tunnel into container ${container}`;
    const exec = await dockerCall(this.#logger, action, { command }, () =>
      docker.getContainer(container).exec({
        Cmd: [...command],
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Env: Object.entries(env ?? {}).map(([key, value]) => `${key}=${value}`),
      }),
    );
    // hijack: the HTTP connection is upgraded to a raw one; stdin: it stays open for writing.
    const raw = (await dockerCall(this.#logger, action, { execId: exec.id.slice(0, 12) }, () =>
      exec.start({ hijack: true, stdin: true }),
    )) as unknown as Duplex;
    this.#opened++;
    return { raw, exec };
  }
}

export function createExecAgent(options: ExecAgentOptions): ExecTunnelAgent {
  return new ExecTunnelAgent(options);
}
