import { readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { DockerTls, Logger, ResolvedDockerHost } from '@glci/config';
import { createSilentLogger } from '@glci/config';
import type Docker from 'dockerode';
import { DockerConnectionError } from '../errors.js';
import { type SshDestination, SshDialAgent } from './ssh-dial.js';

export interface TransportOptions {
  readonly logger?: Logger;
  /** The environment of the `ssh` process for `ssh://` (HOME, SSH_AUTH_SOCK, PATH). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra `ssh` arguments (tests: `-F`, `-i`, `-o UserKnownHostsFile=`). */
  readonly sshArgs?: readonly string[];
}

/**
 * dockerode options for an endpoint resolved by `@glci/config`'s `resolveDockerHost`. Every
 * connection field is set explicitly, because docker-modem would otherwise fill the gaps from
 * `process.env.DOCKER_HOST` and friends. TLS and ssh:// go through an agent of ours (`agent`):
 * an https.Agent with the resolved files and `rejectUnauthorized` as the endpoint says, and
 * `SshDialAgent` for ssh:// (see there why not docker-modem's own ssh).
 */
export function dockerodeOptions(
  endpoint: Pick<ResolvedDockerHost, 'host' | 'tls'> & Partial<ResolvedDockerHost>,
  options: TransportOptions = {},
): DockerOptionsWithAgent {
  const cleared = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    username: undefined,
    sshOptions: undefined,
    agent: undefined,
  } as unknown as Docker.DockerOptions;
  const url = parseEndpoint(endpoint.host);
  switch (url.protocol) {
    case 'unix:': {
      const socketPath = decodeURIComponent(url.pathname) || '/var/run/docker.sock';
      return { ...cleared, socketPath };
    }
    case 'tcp:': {
      const tls = endpoint.tls;
      const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (!tls) return { ...cleared, host, port, protocol: 'http' };
      return withAgent({ ...cleared, host, port, protocol: 'https' }, tlsAgent(endpoint.host, tls));
    }
    case 'ssh:': {
      const destination: SshDestination = {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
        ...(url.port ? { port: Number(url.port) } : {}),
      };
      const agent = new SshDialAgent({
        endpoint: endpoint.host,
        destination,
        logger: options.logger ?? createSilentLogger(),
        ...(options.env ? { env: options.env } : {}),
        ...(options.sshArgs ? { sshArgs: options.sshArgs } : {}),
      });
      // docker-modem sends requests to host:port through the agent; the values only name the request.
      return withAgent({ ...cleared, host: 'docker', port: 80, protocol: 'http' }, agent);
    }
    default:
      throw new DockerConnectionError(
        endpoint.host,
        'unsupported',
        `${endpoint.host}: unsupported Docker endpoint: glci speaks unix://, tcp:// and ssh://`,
      );
  }
}

/** docker-modem takes an `agent` for every request; @types/dockerode does not declare it. */
export type DockerOptionsWithAgent = Docker.DockerOptions & { agent?: http.Agent };

function withAgent(options: Docker.DockerOptions, agent: http.Agent): DockerOptionsWithAgent {
  return { ...options, agent };
}

function parseEndpoint(host: string): URL {
  try {
    // `unix:///var/run/docker.sock` parses with an empty host and the socket as path.
    return new URL(host);
  } catch (error) {
    throw new DockerConnectionError(host, 'unsupported', `cannot parse the Docker endpoint "${host}"`, error);
  }
}

/** An https.Agent with the endpoint's CA, client certificate and key (read now), kept alive. */
function tlsAgent(host: string, tls: DockerTls): https.Agent {
  const read = (what: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new DockerConnectionError(
        host,
        'tls',
        `${host}: TLS: cannot read the ${what} ${file} (from ${tls.origin}): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        error,
      );
    }
  };
  const ca = read('CA certificate', tls.ca);
  const cert = read('client certificate', tls.cert);
  const key = read('client key', tls.key);
  return new https.Agent({
    keepAlive: true,
    rejectUnauthorized: tls.verify,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  });
}
