import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@glci/config';
import { createNamespace, FsDriver, MemoryDriver, type Namespace } from '@glci/registry';
import { type CountingProxy, startCountingProxy, startDistribution } from '@glci/testkit';
import { afterAll } from 'vitest';
import { type CacheOptions, createProxyNamespace, type ProxyNamespace } from '../index.js';
import { startTokenServer, type TokenServer } from './token-server.js';
import { preloadImage, pushManifestList } from './upstreams.js';

export const credentials = { username: 'glci-user', password: 'glci-secret-password' };

/** A clock the tests move by hand (validity windows, token and cache expiry). */
export class TestClock {
  current = Date.now();
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface Upstreams extends AsyncDisposable {
  /** Anonymous distribution: glci/busybox:1. */
  readonly a: CountingProxy;
  /** Token-auth distribution: glci/multilayer:{1,busybox,multi,moving}. */
  readonly b: CountingProxy;
  readonly tokens: TokenServer;
  readonly multiDigest: string;
  readonly bUrl: string;
}

/**
 * Two real CNCF distribution upstreams on loopback, each behind a counting proxy: `a` anonymous,
 * `b` requiring token auth whose JWTs distribution itself validates. Preloaded with locally built
 * images and a multi-arch manifest list.
 */
export async function startUpstreams(): Promise<Upstreams> {
  const tokens = await startTokenServer(credentials);
  const distA = await startDistribution();
  const distB = await startDistribution({ extraConfig: tokens.distributionConfig() });
  await preloadImage(distA.host, 'glci-test/busybox:1', 'glci/busybox:1');
  await preloadImage(distB.host, 'glci-test/multilayer:1', 'glci/multilayer:1', credentials);
  await preloadImage(distB.host, 'glci-test/busybox:1', 'glci/multilayer:busybox', credentials);
  await preloadImage(distB.host, 'glci-test/busybox:1', 'glci/multilayer:moving', credentials);
  const multiDigest = await pushManifestList(
    distB.url,
    'glci/multilayer',
    'multi',
    [
      { tag: '1', architecture: 'amd64' },
      { tag: 'busybox', architecture: 'arm64' },
    ],
    credentials,
  );
  const a = await startCountingProxy(distA.url);
  const b = await startCountingProxy(distB.url);
  const stop = async () => {
    await a.stop();
    await b.stop();
    await distA.stop();
    await distB.stop();
    await tokens.stop();
  };
  return { a, b, tokens, multiDigest, bUrl: distB.url, [Symbol.asyncDispose]: stop };
}

let localStorage: 'memory' | 'filesystem' = 'memory';
const filesystemRoots: string[] = [];

/**
 * From now on in this test file, `localNamespace()` (and so `proxyOver`) stores on the filesystem,
 * each namespace in its own temporary directory: the store then adopts downloaded files instead of
 * receiving them through an upload session, so suites run once per path.
 */
export function useFilesystemStores(): void {
  localStorage = 'filesystem';
  afterAll(() => {
    for (const root of filesystemRoots) rmSync(root, { recursive: true, force: true });
  });
}

export function localNamespace(): Namespace {
  const logger = createLogger({ silent: true });
  if (localStorage === 'memory') return createNamespace({ driver: new MemoryDriver(), logger });
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-proxy-store-'));
  filesystemRoots.push(root);
  return createNamespace({ driver: new FsDriver({ root }), logger });
}

export function proxyOver(
  upstreams: Upstreams,
  options: {
    clock?: TestClock;
    cache?: CacheOptions;
    local?: Namespace;
    validityHours?: number;
    credentialsB?: { username: string; password: string };
  } = {},
): { proxy: ProxyNamespace; local: Namespace; clock: TestClock } {
  const clock = options.clock ?? new TestClock();
  const local = options.local ?? localNamespace();
  const proxy = createProxyNamespace({
    local,
    upstreams: [
      {
        url: upstreams.a.url,
        aliases: ['upstream-a.test'],
        cache_validity_hours: options.validityHours ?? 24,
      },
      {
        url: upstreams.b.url,
        aliases: ['upstream-b.test'],
        username: (options.credentialsB ?? credentials).username,
        password: (options.credentialsB ?? credentials).password,
        cache_validity_hours: options.validityHours ?? 24,
      },
    ],
    logger: createLogger({ silent: true }),
    clock,
    ...(options.cache ? { cache: options.cache } : {}),
  });
  return { proxy, local, clock };
}
