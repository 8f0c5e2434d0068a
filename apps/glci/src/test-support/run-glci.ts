import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
const bin = path.join(repoRoot, 'apps/glci/src/bin.ts');
/** The built CLI, as installed: the bundle `pnpm build` writes. */
export const BUILT_BIN = path.join(repoRoot, 'apps/glci/dist/bin.js');

export interface GlciResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A throwaway machine for one CLI run: `home` (HOME, with `~/.glci` inside), a Docker config
 * directory with no contexts, and `project` (a repository under the home directory) with a nested
 * `cwd`. Nothing of the real user's environment leaks in.
 */
export interface CliSandbox {
  readonly home: string;
  readonly glciHome: string;
  readonly dockerConfig: string;
  readonly project: string;
  readonly cwd: string;
  writeUserConfig(toml: string): void;
  writeProjectConfig(toml: string): void;
  /**
   * Runs `glci <args>` from source (or, with `{ built: true }`, the built `dist/bin.js`) in `cwd`
   * (or `inDir`), with only PATH, HOME and DOCKER_CONFIG set, plus `env`.
   */
  run(args: readonly string[], env?: Record<string, string>, inDir?: string): Promise<GlciResult>;
  /** Deletes the sandbox. */
  remove(): void;
}

export function createCliSandbox(options: { readonly built?: boolean } = {}): CliSandbox {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-cli-'));
  const home = path.join(root, 'home');
  const glciHome = path.join(home, '.glci');
  const dockerConfig = path.join(root, 'docker-config');
  const project = path.join(home, 'work', 'app');
  const cwd = path.join(project, 'src', 'deep');
  for (const dir of [glciHome, dockerConfig, cwd]) mkdirSync(dir, { recursive: true });
  return {
    home,
    glciHome,
    dockerConfig,
    project,
    cwd,
    writeUserConfig: (toml) => writeFileSync(path.join(glciHome, 'config.toml'), toml),
    writeProjectConfig: (toml) => writeFileSync(path.join(project, '.glciconfig.toml'), toml),
    run: (args, env = {}, inDir = cwd) =>
      new Promise((resolve) => {
        execFile(
          options.built ? process.execPath : tsx,
          options.built ? [BUILT_BIN, ...args] : ['--conditions=source', bin, ...args],
          {
            cwd: inDir,
            env: { PATH: process.env.PATH ?? '', HOME: home, DOCKER_CONFIG: dockerConfig, ...env },
            encoding: 'utf8',
          },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Lines that look like a JavaScript stack frame; a user mistake must never print one. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s+at\s/.test(line));
}
