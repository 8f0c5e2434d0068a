import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DistributionOptions,
  freePort,
  type ManagedProcess,
  spawnManaged,
  startDistribution,
} from '@glci/testkit';
import type { BlobSource } from './blob-source.js';
import type { NodeCacheControl } from './node-cache-control.js';

/** The repository root (this file is tools/bench/{src,dist}/registry-under-test.*). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
/** The built CLI the glci side runs (`pnpm bench` builds it first). */
export const GLCI_CLI = path.join(REPO_ROOT, 'apps/glci/dist/bin.js');

/** One running registry the benchmark talks to. */
export interface RegistryUnderTest extends AsyncDisposable {
  /** Short name for tables and progress lines (`distribution`, `glci`). */
  readonly name: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, for docker image references. */
  readonly host: string;
  /** The registry process itself (not a wrapper), whose RSS is sampled. */
  readonly pid: number;
  /** Where it stores data (removed by {@link stop}). */
  readonly storageDirectory: string;
  /** A glci node started with its node-local blob cache: the bench's handle on it. */
  readonly nodeCache?: NodeCacheControl;
  /**
   * Puts `blob` into `repository` by writing the registry's own storage layout directly (untimed
   * set-up, for a registry whose push is too slow to prepare a pull row with); absent: push it.
   */
  seedBlob?(repository: string, blob: BlobSource): Promise<void>;
  /** Last lines the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * How to start one kind of registry. Each scenario group starts a fresh instance of the baseline
 * and the candidate, so rows never see each other's data. Further kinds (S3 storage, proxy mode)
 * implement this interface in their own file.
 */
export interface RegistryLauncher {
  readonly name: string;
  /** One line for the report header: version, storage kind and location. */
  readonly description: string;
  start(): Promise<RegistryUnderTest>;
}

/** CNCF distribution 2.8.2 (Debian's `docker-registry`) with the filesystem driver under os.tmpdir(). */
export function distributionLauncher(name = 'distribution'): RegistryLauncher {
  return {
    name,
    description: `CNCF distribution 2.8.2 (docker-registry), filesystem storage under ${os.tmpdir()}`,
    start: () => startDistributionUnderTest(name),
  };
}

/**
 * Starts distribution 2.8.2 with `options` (proxy mode, S3 storage, ...) as a registry under test;
 * `storageDirectory` names where its data lands when that is not its filesystem root.
 */
export async function startDistributionUnderTest(
  name: string,
  options: DistributionOptions = {},
  storageDirectory?: string,
): Promise<RegistryUnderTest> {
  const registry = await startDistribution(options);
  const pid = registry.process.child.pid;
  if (pid === undefined) throw new Error('docker-registry started without a pid');
  return {
    name,
    url: registry.url,
    host: registry.host,
    pid,
    storageDirectory: storageDirectory ?? registry.rootDirectory,
    output: () => registry.process.output(),
    stop: () => registry.stop(),
    [Symbol.asyncDispose]: () => registry.stop(),
  };
}

export interface GlciLauncherOptions {
  /** The built CLI entry point (`apps/glci/dist/bin.js`). */
  readonly cliPath: string;
  readonly name?: string;
  /** Extra arguments for `glci registry serve`. */
  readonly extraArgs?: readonly string[];
  /** Arguments for node itself, before the CLI path (`--cpu-prof`, `--max-old-space-size=…`). */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * glci's registry from the built CLI: `node apps/glci/dist/bin.js registry serve --listen
 * 127.0.0.1:PORT --storage DIR`, filesystem storage under os.tmpdir() like distribution's.
 */
export function glciLauncher(options: GlciLauncherOptions): RegistryLauncher {
  const name = options.name ?? 'glci';
  return {
    name,
    description: `glci registry serve (${path.relative(process.cwd(), options.cliPath) || options.cliPath}, node ${process.version}), filesystem storage under ${os.tmpdir()}`,
    async start() {
      if (!existsSync(options.cliPath)) {
        throw new Error(
          `${options.cliPath} is missing: build the CLI first (pnpm --filter @glci/cli... build)`,
        );
      }
      const port = await freePort();
      const work = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-glci-'));
      const storageDirectory = path.join(work, 'data');
      const args = [
        ...(options.nodeArgs ?? []),
        options.cliPath,
        'registry',
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--storage',
        storageDirectory,
        ...(options.extraArgs ?? []),
      ];
      // Same verbosity as the distribution side (log level error, no access log).
      const env = { ...process.env, GLCI_LOG_LEVEL: 'error', ...options.env };
      const child: ManagedProcess = spawnManaged(process.execPath, args, env);
      const url = `http://127.0.0.1:${port}`;
      const stop = async () => {
        await child.kill('SIGTERM');
        rmSync(work, { recursive: true, force: true });
      };
      try {
        await waitUntilServing(url, child);
      } catch (error) {
        await child.kill('SIGKILL');
        rmSync(work, { recursive: true, force: true });
        throw error;
      }
      const pid = child.child.pid;
      if (pid === undefined) throw new Error('glci started without a pid');
      return {
        name,
        url,
        host: `127.0.0.1:${port}`,
        pid,
        storageDirectory,
        output: () => child.output(),
        stop,
        [Symbol.asyncDispose]: stop,
      };
    },
  };
}

/** Polls `GET /v2/` until it answers 200 or 401; fails at once when the process exits. */
async function waitUntilServing(url: string, child: ManagedProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.child.exitCode !== null || child.child.signalCode !== null) {
      throw new Error(
        `glci registry serve exited (${child.child.exitCode ?? child.child.signalCode}): ${child.output().trim().slice(-2000)}`,
      );
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `glci registry on ${url} did not answer within ${timeoutMs} ms: ${child.output().trim()}`,
      );
    }
    await sleep(100);
  }
}
