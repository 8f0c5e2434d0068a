import { readFileSync } from 'node:fs';
import path from 'node:path';
import { locateCliFiles } from '../cli-files.js';

/** This CLI's version, from its package.json (apart from version.ts, which loads the report lazily). */
export function cliVersion(): string {
  const { packageRoot } = locateCliFiles(import.meta.url);
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
