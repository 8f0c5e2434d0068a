/**
 * Run by `pnpm build` after tsc and `write-build-info`: bundles the CLI with esbuild into
 * `dist/cli.cjs` and its chunks under `dist/chunks/`, and replaces tsc's `dist/bin.js` with the
 * launcher (`bundle-launcher.ts`), which runs them with V8's code cache. Starting `glci` then reads
 * a handful of files instead of some 440 modules, and compiles none of them again once their code
 * is cached (resolving, loading and compiling them was most of a warm `glci show`; see
 * tools/bench/README.md). Commands that `import()` their code lazily stay lazy: esbuild splits each
 * dynamic import into a chunk. The rest of `dist/` (the library entry `index.js`,
 * `write-build-info.js`) stays tsc's output.
 *
 * Why CommonJS: Node 20 can give V8 cached code only to a `vm.Script`, and a script cannot hold
 * `import` statements. esbuild splits code into chunks only in ES module format, so each output
 * file is bundled as an ES module first and then turned into CommonJS (its `import`s into
 * `require`s, its dynamic `import()`s into a `require` in a promise), which `BundleLoader` runs.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const dist = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.dirname(dist);
const chunks = path.join(dist, 'chunks');

/**
 * Left to Node's resolution: dockerode, whose ssh2 loads a native binding relative to its own
 * files (bundled, ssh2 would silently lose it and the ciphers it provides).
 */
const EXTERNAL_PACKAGES = ['dockerode'];

// Chunk names carry a content hash: drop the previous build's so none goes stale.
rmSync(chunks, { recursive: true, force: true });
const bundled = await build({
  absWorkingDir: appRoot,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: dist,
  outExtension: { '.js': '.cjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL_PACKAGES,
  // A parameter of the function each file runs in (`BundleLoader`): the file's own URL.
  define: { 'import.meta.url': '__glciImportMetaUrl' },
  write: false,
  logLevel: 'warning',
});

const hash = createHash('sha256');
for (const file of [...bundled.outputFiles].sort((a, b) => a.path.localeCompare(b.path))) {
  const relative = path.relative(dist, file.path);
  const commonJs = await transform(file.text, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
    sourcefile: relative,
    logLevel: 'warning',
  });
  mkdirSync(path.dirname(file.path), { recursive: true });
  writeFileSync(file.path, commonJs.code);
  hash.update(`${relative}\0${commonJs.code}\0`);
}

const bin = path.join(dist, 'bin.js');
await build({
  absWorkingDir: appRoot,
  entryPoints: ['src/bundle-launcher.ts'],
  outfile: bin,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  define: { __GLCI_BUNDLE_HASH__: JSON.stringify(hash.digest('hex').slice(0, 16)) },
  logLevel: 'warning',
});
chmodSync(bin, 0o755);
// tsc's map of the `bin.js` just replaced.
rmSync(`${bin}.map`, { force: true });
process.stdout.write(
  `bundled dist/cli.cjs: ${bundled.outputFiles.length} files; dist/bin.js: the launcher\n`,
);
