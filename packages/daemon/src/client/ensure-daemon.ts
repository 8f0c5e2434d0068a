import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BuildInfo, buildIdentity, shortBuildIdentity } from '../build-info.js';
import type { DaemonStatus } from '../server/daemon-api.js';
import { DaemonClient } from './daemon-client.js';

/** How to start a daemon process: `glci daemon run`, with the same node, loader and entry as this CLI. */
export interface DaemonCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface EnsureDaemonOptions {
  readonly socketPath: string;
  /** This CLI's build; a daemon of another build is restarted when it is idle. */
  readonly build: BuildInfo;
  readonly command: DaemonCommand;
  /** How long a new daemon may take to answer (default 20 s). */
  readonly startTimeoutMs?: number;
  /** How long to wait for an old daemon to stop before starting the new one (default 60 s). */
  readonly stopTimeoutMs?: number;
  /** Messages for the user ("restarting the daemon …"); the CLI prints them on stderr. */
  readonly notify?: (message: string) => void;
}

export interface EnsuredDaemon {
  readonly client: DaemonClient;
  readonly status: DaemonStatus;
  /** `running`: it was already there; `started`: this call started it; `restarted`: it replaced one of another build. */
  readonly outcome: 'running' | 'started' | 'restarted';
  /** The pid of the process this call spawned, when it spawned one (it may have lost the race and exited). */
  readonly spawnedPid?: number;
}

export class DaemonStartError extends Error {
  override name = 'DaemonStartError';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(stderr.trim() ? `${message}:\n${stderr.trim()}` : message);
  }
}

/**
 * Returns a client for a running daemon of this build, starting one when needed:
 * - none answers (no socket, or a stale one): spawn `glci daemon run` detached and wait until it
 *   answers. When two CLIs do this at once, both daemons race for the daemon lock; the loser exits
 *   and both CLIs end up talking to the winner;
 * - one of another build answers: if it has no active work it is stopped and replaced (saying so);
 *   if it is busy it stays, with a warning, since killing its pipelines would be worse;
 * - one that is stopping answers: wait until it is gone, then start a new one.
 */
export async function ensureDaemon(options: EnsureDaemonOptions): Promise<EnsuredDaemon> {
  const client = new DaemonClient({ socketPath: options.socketPath });
  const notify = options.notify ?? (() => undefined);
  const identity = buildIdentity(options.build);
  let status = await client.ping();
  let replaced = false;

  if (status?.stopping) {
    await client.waitUntilStopped({ pid: status.pid, timeoutMs: options.stopTimeoutMs ?? 60_000 });
    status = undefined;
  }
  if (status && status.build.identity !== identity) {
    const versions = `the daemon runs ${shortBuildIdentity(status.build)}, this glci is ${shortBuildIdentity(options.build)}`;
    if (status.activeWork.length > 0) {
      notify(
        `warning: ${versions}, but it has ${describeWork(status)}; it keeps running. Run "glci daemon stop" when they are done to update it.`,
      );
      return { client, status, outcome: 'running' };
    }
    notify(`restarting the glci daemon: ${versions}`);
    await client.stop({ graceful: true }).catch(() => undefined);
    await client.waitUntilStopped({ pid: status.pid, timeoutMs: options.stopTimeoutMs ?? 60_000 });
    status = undefined;
    replaced = true;
  }
  if (status) return { client, status, outcome: 'running' };

  const started = await spawnDaemon(client, options);
  return {
    client,
    status: started.status,
    outcome: replaced ? 'restarted' : 'started',
    ...(started.pid !== undefined ? { spawnedPid: started.pid } : {}),
  };
}

/**
 * Spawns the daemon detached (its own session: Ctrl-C in this terminal does not reach it), with
 * stderr piped to this process until it answers, so a daemon that fails to start can say why.
 */
async function spawnDaemon(
  client: DaemonClient,
  options: EnsureDaemonOptions,
): Promise<{ status: DaemonStatus; pid: number | undefined }> {
  const child = spawn(options.command.command, options.command.args as string[], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: options.command.env ?? process.env,
    ...(options.command.cwd ? { cwd: options.command.cwd } : {}),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 16_384) stderr += chunk;
  });
  let exited = false;
  let spawnError: Error | undefined;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', (error) => {
    spawnError = error;
    exited = true;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  let delay = 20;
  try {
    for (;;) {
      const status = await client.ping({ timeoutMs: 2000 }).catch(() => undefined);
      if (status && !status.stopping) return { status, pid: child.pid };
      if (exited) {
        // It exited: a daemon that lost the race to another one, or a failure. Give the winner
        // a moment to answer before calling it a failure.
        const winner = await waitForAnswer(client, 2000);
        if (winner) return { status: winner, pid: child.pid };
        throw new DaemonStartError(
          spawnError
            ? `cannot start the glci daemon (${spawnError.message})`
            : `the glci daemon exited before it answered on ${client.socketPath}`,
          stderr,
        );
      }
      if (Date.now() > deadline) {
        throw new DaemonStartError(
          `the glci daemon did not answer on ${client.socketPath} within ${options.startTimeoutMs ?? 20_000} ms`,
          stderr,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 200);
    }
  } finally {
    child.stderr?.destroy();
    child.unref();
  }
}

async function waitForAnswer(client: DaemonClient, timeoutMs: number): Promise<DaemonStatus | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await client.ping({ timeoutMs: 1000 }).catch(() => undefined);
    if (status && !status.stopping) return status;
    await sleep(50);
  }
  return undefined;
}

function describeWork(status: DaemonStatus): string {
  const pipelines = status.activeWork.filter((work) => work.kind === 'pipeline').length;
  const other = status.activeWork.length - pipelines;
  const parts = [
    ...(pipelines > 0 ? [`${pipelines} active pipeline${pipelines === 1 ? '' : 's'}`] : []),
    ...(other > 0 ? [`${other} other active task${other === 1 ? '' : 's'}`] : []),
  ];
  return parts.join(' and ');
}
