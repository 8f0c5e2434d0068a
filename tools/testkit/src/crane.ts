import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, type ManagedProcess, run, spawnManaged, waitFor } from './processes.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** go-containerregistry's `crane` v0.22.1, built by scripts/peers.sh. */
export const CRANE_BINARY = path.join(repoRoot, '.peers/bin/crane');

function requireCrane(): void {
  if (!existsSync(CRANE_BINARY)) {
    throw new Error(`crane is missing at ${CRANE_BINARY}: run bash scripts/peers.sh`);
  }
}

/** Runs `crane <args>` and returns its stdout; a failure throws with crane's stderr. */
export async function crane(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  requireCrane();
  return await run(CRANE_BINARY, args, options);
}

export interface RunningCraneRegistry extends AsyncDisposable {
  /** `127.0.0.1:PORT`, for image references (crane and docker speak plain HTTP to loopback). */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `crane registry serve` (go-containerregistry's registry, content in memory) on a free
 * loopback port: a small, fast registry that is neither of the two a benchmark compares, as the
 * source or destination of copies.
 */
export async function startCraneRegistry(): Promise<RunningCraneRegistry> {
  requireCrane();
  const port = await freePort();
  const child = spawnManaged(CRANE_BINARY, ['registry', 'serve', '--address', `127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('crane registry serve', async () => {
      if (child.child.exitCode !== null) throw new Error(`crane exited: ${child.output()}`);
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      return response.status === 200;
    });
  } catch (error) {
    await child.kill('SIGKILL');
    throw error;
  }
  const stop = () => child.kill('SIGTERM');
  return { host: `127.0.0.1:${port}`, url, process: child, stop, [Symbol.asyncDispose]: stop };
}
