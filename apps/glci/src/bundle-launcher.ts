import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { glciHome } from '@glci/config/locations';
import { BundleLoader } from './code-cache/bundle-loader.js';
import { createCodeCacheStore } from './code-cache/code-cache-store.js';

/** The hash of the bundle's files, written in by `bundle-cli.ts`: one code cache per build. */
declare const __GLCI_BUNDLE_HASH__: string;

/** A long-running command (the daemon, `registry serve`) keeps its start's code after this long. */
const SAVE_WHILE_RUNNING_MS = 10_000;

/**
 * `dist/bin.js` of the build (`bundle-cli.ts` bundles this file there): runs the bundled CLI
 * (`dist/cli.cjs` and its chunks) with V8's code cache kept under
 * `$GLCI_HOME/code-cache/<build>` (see `code-cache/`); `GLCI_NO_CODE_CACHE=1` turns the cache off.
 */
const dist = path.dirname(fileURLToPath(import.meta.url));
const cache =
  process.env.GLCI_NO_CODE_CACHE === '1'
    ? undefined
    : createCodeCacheStore(
        path.join(glciHome(), 'code-cache', `${__GLCI_BUNDLE_HASH__}-${process.version}-${process.arch}`),
      );
const loader = new BundleLoader({ root: dist, cache });
const { main } = loader.load(path.join(dist, 'cli.cjs')) as {
  main(argv: readonly string[]): Promise<number>;
};
const saveLater = setTimeout(() => loader.saveCache(), SAVE_WHILE_RUNNING_MS);
saveLater.unref();
try {
  process.exitCode = await main(process.argv);
} finally {
  clearTimeout(saveLater);
  loader.saveCache();
}
