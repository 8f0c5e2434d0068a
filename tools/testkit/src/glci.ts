import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ManagedProcess, spawnManaged, waitFor } from './processes.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** Node arguments that run the glci CLI from its TypeScript sources (no build needed). */
export const GLCI_FROM_SOURCE: readonly string[] = [
  '--import',
  pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href,
  '--conditions=source',
  path.join(repoRoot, 'apps/glci/src/bin.ts'),
];

export interface RunningGlciRegistry {
  /** `http://127.0.0.1:PORT` (or https with TLS), as the process printed it. */
  readonly url: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly process: ManagedProcess;
}

/**
 * Starts `glci registry serve --listen 127.0.0.1:0 <args>` from source and waits for the URL it
 * prints. The caller owns the process (kill it when done); `env` is the whole environment.
 */
export async function startGlciRegistry(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number } = {},
): Promise<RunningGlciRegistry> {
  const child = spawnManaged(
    process.execPath,
    [...GLCI_FROM_SOURCE, 'registry', 'serve', '--listen', '127.0.0.1:0', ...args],
    env,
  );
  let url = '';
  try {
    await waitFor(
      'the registry URL on stdout',
      async () => {
        if (child.child.exitCode !== null) throw new Error(`glci exited: ${child.output()}`);
        url = /^(https?:\/\/127\.0\.0\.1:\d+)$/m.exec(child.output())?.[1] ?? '';
        return url !== '';
      },
      options.timeoutMs,
    );
  } catch (error) {
    await child.kill('SIGKILL');
    throw error;
  }
  return { url, host: url.replace(/^https?:\/\//, ''), process: child };
}
