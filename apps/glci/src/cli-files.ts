import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the CLI's own files are, found from the location of the code that asks. */
export interface CliFiles {
  /** The package's directory (the one holding its `package.json`). */
  readonly packageRoot: string;
  /** The compiled CLI's directory (`dist/`, holding `build-info.json`); none when running from sources. */
  readonly buildDir?: string;
}

/**
 * The same code runs from three places: `src/` (sources, through tsx), tsc's `dist/` tree, and
 * the bundle (`dist/cli.cjs` with its chunks in `dist/chunks/`). A fixed relative path from
 * `import.meta.url` is right in only some of them, so walk up from the asking module's directory:
 * the first directory holding `build-info.json` is the build, the first holding `package.json`
 * is the package root.
 */
export function locateCliFiles(moduleUrl: string): CliFiles {
  let directory = path.dirname(fileURLToPath(moduleUrl));
  let buildDir: string | undefined;
  for (;;) {
    if (!buildDir && existsSync(path.join(directory, 'build-info.json'))) buildDir = directory;
    if (existsSync(path.join(directory, 'package.json'))) return { packageRoot: directory, buildDir };
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    directory = parent;
  }
}
