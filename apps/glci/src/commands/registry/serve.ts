import { createServer } from 'node:http';
import path from 'node:path';
import type { UpstreamConfig } from '@glci/config';
import type { ProxyNamespace } from '@glci/proxy';
import {
  configureServerHeap,
  createNamespace,
  createRegistry,
  formatLocalCacheMetrics,
  LocalBlobCache,
  type Namespace,
  NodeCachedContentStore,
  type RegistryNamespace,
  serveHttp,
  wasmHashing,
} from '@glci/registry';
import type { CliContext } from '../../cli-context.js';
import {
  buildAuth,
  loadSecret,
  openStorage,
  parseAuthSpec,
  parseListen,
  tokenRealm,
  UsageError,
} from './options.js';

export interface ServeOptions {
  readonly listen: string;
  readonly storage?: string;
  readonly auth: string;
  readonly anonymousPull?: boolean;
  readonly secretFile?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly delete: boolean;
  readonly readOnly?: boolean;
  readonly metrics: boolean;
  readonly metricsListen?: string;
  readonly tokenRealm?: string;
  readonly upstream: string[];
  readonly proxy?: boolean;
}

/**
 * `glci registry serve`: a standalone registry on the configured (or given) storage until SIGINT or
 * SIGTERM, which close it gracefully (in-flight requests finish, then the storage is released).
 * Prints the bound URL on stdout; everything else goes to the log on stderr.
 */
export async function serveRegistry(options: ServeOptions, ctx: CliContext): Promise<void> {
  configureServerHeap();
  const { host, port } = parseListen(options.listen);
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  const authSpec = parseAuthSpec(options.auth);
  const metricsListen =
    options.metricsListen !== undefined ? parseListen(options.metricsListen, '--metrics-listen') : undefined;
  if (metricsListen && !options.metrics)
    throw new UsageError('--metrics-listen and --no-metrics exclude each other');
  const realm = authSpec.kind === 'token' ? tokenRealm(options.tokenRealm, { host }) : {};
  if (options.tokenRealm !== undefined && authSpec.kind !== 'token') {
    throw new UsageError('--token-realm goes with --auth token:FILE');
  }
  const upstreams = upstreamsFor(options, ctx);
  const logger = ctx.logger();
  const secret = await loadSecret(options.secretFile, ctx.env, ctx.config().glciHome);
  // The realm is read when the first challenge is sent, after the listener bound its port.
  let boundUrl = '';
  const auth = await buildAuth(authSpec, {
    anonymousPull: options.anonymousPull ?? false,
    secret,
    ...(realm.fixed ? { realm: () => realm.fixed as string } : {}),
    ...(realm.fromBound ? { realm: () => realm.fromBound?.(boundUrl) as string } : {}),
  });
  const storage = await openStorage(options.storage, ctx.config().config.registry.storage, ctx.cwd, logger);
  const deleteEnabled = options.delete && !options.readOnly;
  // A shared bucket: fail now on a wrong bucket or key rather than on the first push.
  const verifiable = storage.driver as { verify?: () => Promise<void> };
  if (typeof verifiable.verify === 'function') await verifiable.verify();
  // The node-local blob cache in front of S3 (registry.storage.local_cache, or local_cache_dir=).
  const cacheConfig = storage.config.driver === 's3' ? storage.config.local_cache : undefined;
  const localCache = cacheConfig
    ? await LocalBlobCache.create({ directory: cacheConfig.dir, maxBytes: cacheConfig.max_size, logger })
    : undefined;
  const registryConfig = ctx.config().config.registry;
  const local: RegistryNamespace = createNamespace({
    driver: storage.driver,
    logger,
    deleteEnabled,
    allowSparseIndex: registryConfig.allow_sparse_index,
    // On shared object storage a session may continue on another node: keep its hash state with it,
    // so committing never reads the blob back.
    ...(storage.kind === 's3' ? { hashing: wasmHashing } : {}),
    ...(localCache ? { decorateContent: (store) => new NodeCachedContentStore(store, localCache) } : {}),
  });
  let namespace: Namespace = local;
  // @glci/proxy (got, the public suffix list) adds about 13 MiB to the process: load it only for a
  // pull-through cache or a push-through mirror.
  const mirroring =
    upstreams.length > 0 || registryConfig.push_through ? await import('@glci/proxy') : undefined;
  let proxy: ProxyNamespace | undefined;
  if (mirroring && upstreams.length > 0) {
    proxy = mirroring.createProxyNamespace({
      local: namespace,
      upstreams,
      logger,
      cache: mirroring.proxyCacheOptions(registryConfig.proxy_cache, storage.driver),
    });
    namespace = proxy;
    logger.info('pull-through cache enabled', { upstreams: upstreams.map((u) => u.url) });
  }
  const pushThrough =
    mirroring && registryConfig.push_through
      ? mirroring.createPushThrough({ upstream: registryConfig.upstream, logger })
      : undefined;
  // push-through.json next to the config swaps the mirror's settings live (polled every 2 s).
  const pushThroughWatcher = pushThrough?.watchFile(path.join(ctx.config().glciHome, 'push-through.json'));
  if (pushThrough) {
    namespace = pushThrough.wrap(namespace);
    logger.info('push-through mirror enabled', { upstream: registryConfig.upstream.url });
  }
  const registry = createRegistry({
    namespace,
    logger,
    ...(auth ? { auth } : {}),
    deleteEnabled,
    readOnly: options.readOnly ?? false,
    // Blob GETs redirect only when the driver offers URLs (s3 with redirect=true); others stream.
    redirect: true,
    metrics: options.metrics,
    metricsEndpoint: !metricsListen,
    secret,
  });
  if (localCache && registry.metrics) {
    registry.metrics.addTextSource(() => formatLocalCacheMetrics(localCache.stats()));
  }
  // The proxy keeps its per-upstream counters itself; /metrics shows them next to the registry's.
  if (mirroring && proxy && registry.metrics) {
    const counted = proxy;
    registry.metrics.addTextSource(() => mirroring.formatProxyMetrics(counted.stats()));
  }
  const running = await registry.listen({
    host,
    port,
    ...(options.tlsCert && options.tlsKey ? { tls: { cert: options.tlsCert, key: options.tlsKey } } : {}),
  });
  boundUrl = running.url;
  // Like distribution's debug address: metrics on a listener of their own, for the monitoring
  // network only, with no credentials there (`--metrics-listen`, loopback unless given another).
  const metricsServer =
    metricsListen && registry.metrics
      ? await serveMetrics(registry.metrics, metricsListen, (url) =>
          logger.info('metrics listening', { url }),
        )
      : undefined;
  // What failed writes and killed uploads left behind, in the background: serving starts at once,
  // and the reclaiming spares sessions in use and anything younger than a minute.
  void local.reclaimLeftovers().catch((error: unknown) => {
    logger.warn('could not reclaim leftovers at start', { error: String(error) });
  });
  logger.info('registry serving', {
    url: running.url,
    storage: storage.description,
    auth: authSpec.kind,
    ...(localCache ? { localCache: localCache.directory, localCacheMaxBytes: localCache.maxBytes } : {}),
  });
  ctx.out.write(`${running.url}\n`);

  // The handlers stay installed until the registry is closed: a second signal does not kill a
  // graceful shutdown half way (close() cuts lingering connections after its own timeout).
  let onSignal: (received: NodeJS.Signals) => void = () => undefined;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (received) => resolve(received);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    logger.info('shutting down', { signal });
    await running.close();
    await metricsServer?.close();
    pushThroughWatcher?.stop();
    await proxy?.close();
    await localCache?.close();
    await storage.driver.close?.();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function serveMetrics(
  metrics: NonNullable<ReturnType<typeof createRegistry>['metrics']>,
  listen: { host: string; port: number },
  onListening: (url: string) => void,
): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const served = await serveHttp(server, { host: listen.host, port: listen.port });
  onListening(`${served.url}/metrics`);
  return served;
}

function upstreamsFor(options: ServeOptions, ctx: CliContext): UpstreamConfig[] | { url: string }[] {
  if (options.upstream.length > 0) {
    return options.upstream.map((value) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw new UsageError(`--upstream expects an http(s) URL, got ${JSON.stringify(value)}`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new UsageError(`--upstream expects an http(s) URL, got ${JSON.stringify(value)}`);
      }
      return { url: value };
    });
  }
  return options.proxy ? ctx.config().config.registry.upstreams : [];
}
