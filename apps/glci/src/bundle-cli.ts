/**
 * Run by `pnpm build` after tsc and `write-build-info`: replaces tsc's `dist/bin.js` with the CLI
 * bundled by esbuild, so that starting `glci` reads a handful of files instead of some 440 modules
 * (resolving and loading them was most of a warm `glci show`; see tools/bench/README.md). Commands
 * that `import()` their code lazily stay lazy: esbuild splits each dynamic import into a chunk
 * under `dist/chunks/`. The rest of `dist/` (the library entry `index.js`, `write-build-info.js`)
 * stays tsc's output.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.dirname(dist);
const chunks = path.join(dist, 'chunks');

/**
 * Left to Node's resolution: dockerode, whose ssh2 loads a native binding relative to its own
 * files (bundled, ssh2 would silently lose it and the ciphers it provides).
 */
const EXTERNAL_PACKAGES = ['dockerode'];

/**
 * Bundled CommonJS dependencies (winston, yaml, …) `require()` Node's built-in modules; an ES
 * module has no `require`, so every output file gets one.
 */
const REQUIRE_BANNER =
  "import { createRequire as __glciCreateRequire } from 'node:module'; const require = __glciCreateRequire(import.meta.url);";

// Chunk names carry a content hash: drop the previous build's so none goes stale.
rmSync(chunks, { recursive: true, force: true });
const result = await build({
  absWorkingDir: appRoot,
  entryPoints: { bin: 'src/bin.ts' },
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL_PACKAGES,
  banner: { js: REQUIRE_BANNER },
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js'));
process.stdout.write(`bundled dist/bin.js: ${files.length} files\n`);
