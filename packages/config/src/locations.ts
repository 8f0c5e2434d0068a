import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Environment } from './env.js';

export const PROJECT_CONFIG_NAME = '.glciconfig.toml';
export const GLOBAL_CONFIG_NAME = 'config.toml';

/** `~/.glci`, or wherever `GLCI_HOME` moves it. */
export function glciHome(env: Environment = process.env, home: string = os.homedir()): string {
  const configured = env.GLCI_HOME;
  if (configured) return path.resolve(expandTilde(configured, home));
  return path.join(home, '.glci');
}

/** The project's `.glciconfig.toml`, found by walking up from `cwd`; `undefined` when there is none. */
export function findProjectConfig(cwd: string): string | undefined {
  let directory = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(directory, PROJECT_CONFIG_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export function expandTilde(value: string, home: string = os.homedir()): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return path.join(home, value.slice(2));
  return value;
}

/**
 * Resolves a configured path: `~/.glci/...` follows `GLCI_HOME`, any other `~/` is the home
 * directory, and relative paths are relative to the file that set them.
 */
export function resolveConfigPath(
  value: string,
  options: { glciHome: string; home: string; relativeTo: string },
): string {
  if (value === '~/.glci' || value.startsWith('~/.glci/')) {
    return path.join(options.glciHome, value.slice('~/.glci'.length));
  }
  const expanded = expandTilde(value, options.home);
  return path.resolve(options.relativeTo, expanded);
}
