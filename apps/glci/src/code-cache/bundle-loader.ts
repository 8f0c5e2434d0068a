import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { type CodeCacheStore, type SourceStamp, sourceStamp } from './code-cache-store.js';

/**
 * Every bundled file is CommonJS code (see `bundle-cli.ts`) run inside this function: CommonJS's
 * five parameters, plus the URL that `import.meta.url` became at bundling. Strict, as the ES
 * modules it was bundled from were; on the source's first line, so line numbers stay right.
 */
const WRAPPER_HEAD =
  '(function (exports, require, module, __filename, __dirname, __glciImportMetaUrl) {"use strict";';
const WRAPPER_TAIL = '\n})';

/** A bundle file is asked for by a relative path ending in `.cjs` (`./chunks/chunk-X.cjs`). */
const BUNDLE_FILE = /^\.\.?\/.*\.cjs$/;

type ModuleFunction = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
  importMetaUrl: string,
) => void;

/** How many files were compiled from source and how many started from their cached code. */
export interface LoaderStats {
  compiled: number;
  fromCache: number;
  /** Caches V8 refused (another V8, other flags, another source): compiled and written again. */
  rejected: number;
}

export interface BundleLoaderOptions {
  /** The bundle's directory: cache entries are named by their path relative to it. */
  readonly root: string;
  /** Where compiled code is kept between runs; none compiles every file every time. */
  readonly cache?: CodeCacheStore;
}

/**
 * Loads the bundled CLI's CommonJS files through `vm.Script`, giving V8 the code it compiled in an
 * earlier run (`cachedData`) so that a start does not parse and compile some 2 MB of JavaScript
 * again. Node 22 does this for every module (`module.enableCompileCache`); Node 20, which glci
 * supports, has no such switch, and its ES module loader takes no cached data, so the bundle is
 * CommonJS and this loader resolves the bundle's own files between them. Everything else
 * (`node:` built-ins, external packages) goes to Node's `require`.
 */
export class BundleLoader {
  readonly stats: LoaderStats = { compiled: 0, fromCache: 0, rejected: 0 };
  readonly #root: string;
  readonly #cache: CodeCacheStore | undefined;
  readonly #modules = new Map<string, { exports: unknown }>();
  readonly #unsaved: { name: string; stamp: SourceStamp; script: vm.Script }[] = [];
  /**
   * Node's `require` for what is not the bundle's (built-ins, external packages): one for every
   * file, as they all sit in the bundle's directory or a directory below it, and resolve packages
   * the same way from either.
   */
  readonly #nodeRequire: NodeJS.Require;

  constructor(options: BundleLoaderOptions) {
    this.#root = options.root;
    this.#cache = options.cache;
    // Resolves from the bundle's directory (the file named need not exist).
    this.#nodeRequire = createRequire(path.join(options.root, 'bundle.cjs'));
  }

  /** Runs a bundle file (an absolute path) once, as `require` would, and returns its exports. */
  load(file: string): unknown {
    const known = this.#modules.get(file);
    if (known) return known.exports;
    const module = { exports: {} as unknown };
    // Registered before it runs, as Node does: a cycle sees the exports filled so far.
    this.#modules.set(file, module);
    try {
      const run = this.#compile(file).runInThisContext() as ModuleFunction;
      const nodeRequire = this.#nodeRequire;
      const requireHere = Object.assign(
        (id: string) =>
          BUNDLE_FILE.test(id) ? this.load(path.resolve(path.dirname(file), id)) : nodeRequire(id),
        {
          resolve: nodeRequire.resolve,
          cache: nodeRequire.cache,
          main: nodeRequire.main,
          extensions: nodeRequire.extensions,
        },
      ) as NodeJS.Require;
      run.call(
        module.exports,
        module.exports,
        requireHere,
        module,
        file,
        path.dirname(file),
        pathToFileURL(file).href,
      );
    } catch (error) {
      // As Node does: a file that failed to run is run again by the next require, not half-served.
      this.#modules.delete(file);
      throw error;
    }
    return module.exports;
  }

  /**
   * Writes the code of every file compiled from source in this run. Called once the command has
   * run, so the cache holds the functions the command used too, not only the files' top levels
   * (V8 compiles a function when it is first called). Returns how many caches were written.
   */
  saveCache(): number {
    if (!this.#cache) return 0;
    const unsaved = this.#unsaved.splice(0);
    for (const { name, stamp, script } of unsaved) this.#cache.write(name, stamp, script.createCachedData());
    return unsaved.length;
  }

  #compile(file: string): vm.Script {
    const source = readFileSync(file, 'utf8');
    const name = path.relative(this.#root, file);
    const stamp = this.#cache ? sourceStamp(file) : undefined;
    const cachedData = stamp ? this.#cache?.read(name, stamp) : undefined;
    const script = new vm.Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
      // A dynamic `import()` left in the code (none is expected: bundling turns them into
      // `require`) loads as in any module, where Node offers it (20.12 and later).
      ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER
        ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }
        : {}),
    });
    if (cachedData && !script.cachedDataRejected) {
      this.stats.fromCache++;
      return script;
    }
    this.stats.compiled++;
    if (cachedData) this.stats.rejected++;
    if (stamp) this.#unsaved.push({ name, stamp, script });
    return script;
  }
}
