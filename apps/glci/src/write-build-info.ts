/**
 * Run by `pnpm build` after tsc: embeds the build's identity (commit, and a hash of uncommitted
 * changes) as `dist/build-info.json`, so an installed CLI and its daemon know which build they
 * are without git.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeBuildInfo } from '@glci/daemon/client';

const dist = path.dirname(fileURLToPath(import.meta.url));
const info = computeBuildInfo(dist);
writeFileSync(
  path.join(dist, 'build-info.json'),
  `${JSON.stringify({ ...info, source: 'build' }, null, 2)}\n`,
);
process.stdout.write(`build-info.json: ${info.commit}${info.dirty ? `-dirty.${info.dirty}` : ''}\n`);
