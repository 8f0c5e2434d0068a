import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildInfo, readBuildInfo } from '@glci/daemon/client';

/**
 * This CLI's build: `build-info.json` beside the compiled CLI (`pnpm build` writes it into
 * `dist/`), else computed with git from the checkout the sources run from (`pnpm glci`).
 */
export function cliBuildInfo(): BuildInfo {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return readBuildInfo({ file: path.join(here, 'build-info.json'), repoDir: here });
}

/** Whether this CLI runs from its compiled `dist/` (an installed glci) rather than from sources. */
export function runsFromBuild(): boolean {
  return existsSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'build-info.json'));
}
