import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

/**
 * Runs a TypeScript module (the workspace's sources, through tsx's loader) as ONE node process,
 * so that killing it kills what holds the resources (the `tsx` command would put a second
 * process in between).
 */
export function spawnTs(
  file: string,
  args: readonly string[] = [],
  options: { env?: NodeJS.ProcessEnv; stdio?: 'pipe' | 'ignore' } = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=source', file, ...args], {
    cwd: REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'],
  });
}

/** Writes `source` to `dir/name` and returns its path (for spawnTs; name it `.mts` outside the workspace). */
export function writeScript(dir: string, name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}
