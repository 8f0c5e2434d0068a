import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSilentLogger, type GlciConfig, type Logger, type UpstreamConfig } from '@glci/config';
import {
  createProxyNamespace,
  createPushThrough,
  createPushThroughConfigHandler,
  formatProxyMetrics,
  type ProxyNamespace,
  type PushThrough,
  type PushThroughWatcher,
  proxyCacheOptions,
} from '@glci/proxy';
import {
  type ConnectionInfo,
  createNamespace,
  createRegistry,
  createStorageDriver,
  MemoryDriver,
  type Namespace,
  type Registry,
  RegistryMetrics,
  type StorageDriver,
  serveHttp,
} from '@glci/registry';
import { createRunnerApi, type RunnerApi } from '@glci/runner-api';
import express from 'express';
import { internalRoutes, sendJson } from './internal-routes.js';
import { jobControlRoutes } from './job-control-routes.js';
import { jobTokenAuth } from './job-token-auth.js';
import { registryCleanRoute } from './registry-clean-route.js';

export { DEFAULT_MOCK_PORT } from './mock-port.js';

export interface MockServerOptions {
  /**
   * The internal secret (≥ 16 characters): `/internal/*` needs `Authorization: Bearer <secret>`.
   * Runner and job token keys and upload-location keys are HMAC-derived from it, so a restarted
   * mock with the same secret accepts the same runner token.
   */
  readonly secret: string;
  /** Artifacts (`<dataDir>/artifacts`) and git serving repositories (`<dataDir>/git`). */
  readonly dataDir: string;
  /** The S3 cache volume; default `<dataDir>/cache`. */
  readonly cacheDir?: string;
  /** S3 bucket the runners' `[runners.cache.s3] BucketName` names; default `runner-cache`. */
  readonly cacheBucket?: string;
  /**
   * glci's configuration: `registry.storage`, `registry.upstreams` (pull-through),
   * `registry.push_through` + `registry.upstream`, `cache.max_size` and `cache.ttl`. Without it the
   * registry is in memory, there are no upstreams and push-through starts switched off.
   */
  readonly config?: GlciConfig;
  /** A storage driver for the registry; wins over `config.registry.storage`. Not closed by the server. */
  readonly storage?: StorageDriver;
  /** Pull-through upstreams; wins over `config.registry.upstreams`. `[]` switches the proxy off. */
  readonly upstreams?: readonly UpstreamConfig[];
  /** A `push-through.json` to poll while listening (live push-through settings). */
  readonly pushThroughFile?: string;
  /**
   * The URL runners and job containers reach the mock at (`CI_SERVER_URL`, `CI_REGISTRY`, artifact
   * and git URLs). Default: `http://<bound address>` once `listen()` has bound the port; until
   * then `runnerApi` is not available.
   */
  readonly externalUrl?: string;
  /** `CI_REGISTRY` (`host[:port]`); default the external URL's host. */
  readonly registryHost?: string;
  /**
   * How long `POST /api/v4/jobs/request` holds a poll when there is no job; default 50 s, GitLab
   * Workhorse's (`apiCiLongPollingDuration`): an idle runner asks once a minute or so, not every
   * second, and a job queued meanwhile is answered at once.
   */
  readonly longPollMs?: number;
  /** Seconds between the runner's trace updates (`X-GitLab-Trace-Update-Interval`); default 3. */
  readonly traceUpdateInterval?: number;
  /**
   * Keep runners, jobs and logs in `<dataDir>/state`, so that a restarted mock (same secret and
   * data directory) carries on with the runners and jobs of the one before (`glci-mock` does).
   */
  readonly persistState?: boolean;
  /** Which connections read the registry without a job token (default all; see connection-trust.ts). */
  readonly anonymousReads?: (connection: ConnectionInfo | undefined) => boolean;
  readonly logger?: Logger;
}

export interface MockListenOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port); the mock's well-known port is `DEFAULT_MOCK_PORT`. */
  readonly port?: number;
  /**
   * Also serve on this port (same host): the one the container's bridge-gateway publish maps to,
   * so that requests from other containers are told apart (`MockServerOptions.anonymousReads`).
   */
  readonly containerPort?: number;
  /** How long `close()` lets in-flight requests (long polls) finish before cutting them; default 5 s. */
  readonly closeTimeoutMs?: number;
}

export interface RunningMockServer extends AsyncDisposable {
  /** `http://host:port` as bound. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  readonly runnerApi: RunnerApi;
  /** Stops accepting, lets requests finish up to the timeout, then releases storage and watchers. */
  close(): Promise<void>;
}

export interface MockServer {
  /** The composed express app (`/internal/*`, `/v2/`, `/api/v4/`, git, the cache); never listening. */
  readonly app: express.Express;
  readonly registry: Registry;
  /** The pull-through namespace when upstreams are configured. */
  readonly proxy: ProxyNamespace | undefined;
  readonly pushThrough: PushThrough;
  /** The Runner API; with `externalUrl` at once, otherwise after `listen()`. */
  readonly runnerApi: RunnerApi;
  /** Binds the port (the only place the mock listens). One call per server. */
  listen(options?: MockListenOptions): Promise<RunningMockServer>;
}

/**
 * Composes glci's packages into the mock GitLab on one port, unstarted:
 *
 * ```
 * /internal/*   health, stats, metrics, push-through config, registry clean, job control (secret)
 * /metrics      the registry's Prometheus text                 (internal secret)
 * /v2/…         @glci/registry over @glci/proxy (pull-through, push-through), job-token auth
 * /api/v4/…     @glci/runner-api: runners, jobs, traces, artifacts
 * /<p>.git/…    git smart HTTP (job token)
 * /<bucket>/…   the S3 cache the runner's presigned URLs point at
 * ```
 */
export function createMockServer(options: MockServerOptions): MockServer {
  if (typeof options.secret !== 'string' || options.secret.length < 16) {
    throw new TypeError('the internal secret must have at least 16 characters');
  }
  const logger = (options.logger ?? createSilentLogger()).child({ module: 'mock' });
  const config = options.config;
  const derive = (purpose: string) => createHmac('sha256', options.secret).update(purpose).digest();

  const ownedStorage: StorageDriver | undefined = options.storage
    ? undefined
    : config
      ? createStorageDriver(config.registry.storage, { logger })
      : new MemoryDriver();
  const storage = options.storage ?? ownedStorage!;
  const local = createNamespace({
    driver: storage,
    logger,
    ...(config ? { allowSparseIndex: config.registry.allow_sparse_index } : {}),
  });
  const upstreams = options.upstreams ?? config?.registry.upstreams ?? [];
  const proxy =
    upstreams.length > 0
      ? createProxyNamespace({
          local,
          upstreams: [...upstreams],
          logger,
          cache: proxyCacheOptions(config?.registry.proxy_cache, storage),
        })
      : undefined;
  const pushThrough = createPushThrough({
    upstream: config?.registry.push_through ? config.registry.upstream : undefined,
    logger,
  });
  const namespace: Namespace = pushThrough.wrap(proxy ?? local);

  let runnerApi: RunnerApi | undefined;
  const makeRunnerApi = (externalUrl: string) =>
    createRunnerApi({
      externalUrl,
      dataDir: options.dataDir,
      secret: derive('glci-mock runner-api tokens'),
      longPollMs: options.longPollMs ?? 50_000,
      ...(options.traceUpdateInterval ? { traceUpdateInterval: options.traceUpdateInterval } : {}),
      ...(options.persistState ? { persistState: true } : {}),
      ...(options.registryHost ? { registryHost: options.registryHost } : {}),
      cache: {
        ...(options.cacheDir ? { root: options.cacheDir } : {}),
        ...(options.cacheBucket ? { bucket: options.cacheBucket } : {}),
        ...(config ? { maxSize: config.cache.max_size, ttlMs: config.cache.ttl } : {}),
      },
      logger,
    });
  if (options.externalUrl) runnerApi = makeRunnerApi(options.externalUrl);
  const requireRunnerApi = () => {
    if (!runnerApi)
      throw new Error('the Runner API exists once listen() has bound the port (or give externalUrl)');
    return runnerApi;
  };

  // Without prom-client's process metrics: their event-loop-lag histogram wakes the process
  // every 10 ms for as long as it lives (0.5–0.9 % of a core in an idle glci-mock container).
  const metrics = new RegistryMetrics({ defaultMetrics: false });
  const registry = createRegistry({
    namespace,
    logger,
    // Before the Runner API exists (an embedded app that never listened) no token is valid.
    auth: jobTokenAuth({
      verifyJobToken: (token) => runnerApi?.verifyJobToken(token),
      ...(options.anonymousReads ? { anonymousReads: options.anonymousReads } : {}),
    }),
    metrics,
    secret: derive('glci-mock registry uploads'),
    redirect: true,
  });

  if (proxy) metrics.addTextSource(() => formatProxyMetrics(proxy.stats()));
  const metricsText = (req: IncomingMessage, res: ServerResponse) => metrics.handle(req, res);
  const pushThroughConfig = createPushThroughConfigHandler({ pushThrough, secret: options.secret, logger });
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(
    '/internal',
    internalRoutes({
      secret: options.secret,
      logger,
      routes: {
        'GET /health': (_req, res) =>
          sendJson(res, 200, { status: 'ok', listening: runnerApi !== undefined }),
        'GET /stats': (_req, res) => sendJson(res, 200, stats()),
        'GET /metrics': metricsText,
        'POST /push-through-config': pushThroughConfig,
        'POST /registry/clean': registryCleanRoute({ local, proxy, logger }),
        ...jobControlRoutes({ runnerApi: requireRunnerApi, logger }),
      },
    }),
  );
  // The registry would serve its metrics publicly at /metrics; here they need the secret.
  app.use('/metrics', internalRoutes({ secret: options.secret, logger, routes: { 'GET /': metricsText } }));
  app.use((req, res, next) => registry.handler(req, res, next));
  app.use((req, res, next) => (runnerApi ? runnerApi(req, res, next) : next()));
  app.use((req, res) => sendJson(res, 404, { message: `404 ${req.method} ${req.path} not found` }));

  function stats() {
    const jobs: Record<string, number> = {};
    for (const job of runnerApi?.jobs() ?? []) jobs[job.state] = (jobs[job.state] ?? 0) + 1;
    return {
      jobs,
      cache: runnerApi ? { bytes: runnerApi.cache.usage() } : undefined,
      pushThrough: pushThrough.current(),
      proxy: proxy?.stats(),
    };
  }

  let listened = false;
  async function listen(listenOptions: MockListenOptions = {}): Promise<RunningMockServer> {
    if (listened) throw new Error('createMockServer: listen() was already called');
    listened = true;
    const server = createServer({ keepAlive: true, noDelay: true }, app);
    const served = await serveHttp(server, {
      host: listenOptions.host ?? '127.0.0.1',
      port: listenOptions.port ?? 0,
      ...(listenOptions.closeTimeoutMs !== undefined ? { closeTimeoutMs: listenOptions.closeTimeoutMs } : {}),
    });
    const { address, url } = served;
    // The same app on a second port, for connections through the container's gateway publish.
    const containerSide =
      listenOptions.containerPort !== undefined
        ? await serveHttp(createServer({ keepAlive: true, noDelay: true }, app), {
            host: listenOptions.host ?? '127.0.0.1',
            port: listenOptions.containerPort,
            ...(listenOptions.closeTimeoutMs !== undefined
              ? { closeTimeoutMs: listenOptions.closeTimeoutMs }
              : {}),
          }).catch(async (error: unknown) => {
            await served.close();
            throw error;
          })
        : undefined;
    if (!runnerApi) {
      const reachable =
        address.address === '0.0.0.0' || address.address === '::' ? `http://127.0.0.1:${address.port}` : url;
      runnerApi = makeRunnerApi(reachable);
    }
    const watcher: PushThroughWatcher | undefined = options.pushThroughFile
      ? pushThrough.watchFile(options.pushThroughFile)
      : undefined;
    logger.info('mock listening', { url });
    // What failed writes and killed uploads left in the registry's storage (in the background).
    void local.reclaimLeftovers().catch((error: unknown) => {
      logger.warn('could not reclaim registry leftovers', { error: String(error) });
    });

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        watcher?.stop();
        await Promise.all([served.close(), containerSide?.close()]);
        await proxy?.close();
        await ownedStorage?.close?.();
        logger.info('mock stopped', { url });
      })();
      return closing;
    };
    const api = runnerApi;
    return {
      url,
      host: address.address,
      port: address.port,
      server,
      runnerApi: api,
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  return {
    app,
    registry,
    proxy,
    pushThrough,
    get runnerApi() {
      return requireRunnerApi();
    },
    listen,
  };
}
