import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildInfo, readBuildInfo } from '@glci/daemon/client';
import { locateCliFiles } from './cli-files.js';

/**
 * This CLI's build: `build-info.json` in the compiled CLI's `dist/` (`pnpm build` writes it), else
 * computed with git from the checkout the sources run from (`pnpm glci`).
 */
export function cliBuildInfo(): BuildInfo {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const { buildDir } = locateCliFiles(import.meta.url);
  return readBuildInfo({ file: path.join(buildDir ?? here, 'build-info.json'), repoDir: here });
}

/** Whether this CLI runs from its compiled `dist/` (an installed glci) rather than from sources. */
export function runsFromBuild(): boolean {
  return locateCliFiles(import.meta.url).buildDir !== undefined;
}
