import os from 'node:os';
import path from 'node:path';
import type { Environment } from './env.js';
import { expandTilde } from './locations.js';
import type { GlciConfig } from './schema.js';

export type DaemonSocketSource = 'GLCI_DAEMON_SOCK' | 'daemon.socket' | 'network.daemon_socket';

/** The daemon's settings, resolved: paths absolute, sizes in bytes, durations in milliseconds. */
export interface ResolvedDaemon {
  readonly socket: string;
  readonly socketSource: DaemonSocketSource;
  readonly logFile: string;
  /** 0: never stop for idleness. */
  readonly idleTimeoutMs: number;
  /** 0: never rotate. */
  readonly maxLogSize: number;
  readonly maxLogFiles: number;
}

/**
 * Where the daemon listens and logs. The socket: `GLCI_DAEMON_SOCK` (a path; `~` and relative
 * paths allowed), else `[daemon] socket`. The docs also name `[network] daemon_socket`; when only
 * that one was changed from the default, it is used, so either key works.
 */
export function resolveDaemon(
  loaded: { readonly config: GlciConfig; readonly glciHome: string },
  env: Environment = process.env,
  options: { readonly cwd?: string; readonly home?: string } = {},
): ResolvedDaemon {
  const { daemon, network } = loaded.config;
  const defaultSocket = path.join(loaded.glciHome, 'daemon.sock');
  const fromEnv = env.GLCI_DAEMON_SOCK?.trim();
  const socket = fromEnv
    ? {
        path: path.resolve(options.cwd ?? process.cwd(), expandTilde(fromEnv, options.home ?? os.homedir())),
        source: 'GLCI_DAEMON_SOCK' as const,
      }
    : daemon.socket === defaultSocket && network.daemon_socket !== defaultSocket
      ? { path: network.daemon_socket, source: 'network.daemon_socket' as const }
      : { path: daemon.socket, source: 'daemon.socket' as const };
  return {
    socket: socket.path,
    socketSource: socket.source,
    logFile: daemon.log_file,
    idleTimeoutMs: daemon.idle_timeout,
    maxLogSize: daemon.max_log_size,
    maxLogFiles: daemon.max_log_files,
  };
}
