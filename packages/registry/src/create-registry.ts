import { readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from '@glci/config';
import express from 'express';
import {
  type AuthorizeHook,
  parseCredentials,
  type RegistryAuth,
  toRegistryAuth,
} from './auth/authorizer.js';
import type { StorageDriver } from './driver/storage-driver.js';
import { DeniedError, UnauthorizedError } from './errors.js';
import { connectionOf, type HandlerSettings, originOf } from './http/context.js';
import { createRouter, type RequestListener } from './http/router.js';
import { serveHttp } from './http/serve-http.js';
import { UploadLocations } from './http/upload-url.js';
import { RegistryMetrics } from './metrics.js';
import type { Namespace } from './store/contracts.js';
import { createNamespace } from './store/namespace.js';

export interface CreateRegistryOptions {
  /**
   * The repositories to serve: a store namespace, or a decorator such as @glci/proxy's. Give either
   * this or `storage`.
   */
  readonly namespace?: Namespace;
  /** A storage driver to build the namespace on (`createNamespace({ driver, logger, ... })`). */
  readonly storage?: StorageDriver;
  /** Authorization hook; default anonymous (everyone may do everything). */
  readonly auth?: AuthorizeHook | RegistryAuth;
  readonly logger: Logger;
  /** DELETE of manifests, tags and blobs; default true. When false, 405 UNSUPPORTED. */
  readonly deleteEnabled?: boolean;
  /** Serve reads only: upload and manifest PUT routes are not registered (405). Default false. */
  readonly readOnly?: boolean;
  /** Redirect blob GETs to the storage driver's URL when it offers one (S3 presigned). Default false. */
  readonly redirect?: boolean;
  /** Lifetime of redirect URLs; default 1200 s. */
  readonly redirectExpiresInSeconds?: number;
  /**
   * Shared secret (≥ 16 bytes) that signs upload-session locations. Nodes sharing one storage
   * backend must share it; random per instance when absent.
   */
  readonly secret?: string | Uint8Array;
  /** Largest manifest accepted (413 beyond); default 4 MiB. */
  readonly maxManifestBytes?: number;
  /** Most entries per tags/catalog/referrers response without `n` (and the cap on `n`); default 10000. */
  readonly pageSize?: number;
  /** Serve Prometheus metrics at `/metrics` (default true), or pass your own `RegistryMetrics`. */
  readonly metrics?: boolean | RegistryMetrics;
  /**
   * Whether `/metrics` is served next to the API (default true). It asks the auth hook like `/v2/`
   * does, so with auth on it needs the API's credentials. False: collect the metrics but serve
   * them elsewhere (`metrics.handle` on a listener of your own, like `--metrics-listen`).
   */
  readonly metricsEndpoint?: boolean;
}

export interface ListenOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Serve HTTPS with this certificate and key (PEM text, or paths read at listen time). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** How long `close()` lets in-flight requests finish before cutting connections; default 5000 ms. */
  readonly closeTimeoutMs?: number;
}

export interface RunningRegistry extends AsyncDisposable {
  /** `http(s)://host:port`, with the bound port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting connections, lets in-flight requests finish (up to the timeout), then closes. */
  close(): Promise<void>;
}

export interface Registry {
  /** An express app serving the registry; mount it in another app or serve it yourself. */
  readonly app: express.Express;
  /** The plain Node request listener behind `app` (what `listen` serves, without express' per-request work). */
  readonly handler: RequestListener;
  readonly namespace: Namespace;
  readonly metrics: RegistryMetrics | undefined;
  /** Binds a server. This is the only place the registry listens. */
  listen(options?: ListenOptions): Promise<RunningRegistry>;
}

/** Socket and body stream buffers: large, so reading the network overlaps storage writes. */
const HTTP_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Builds an OCI distribution registry over `namespace`. Nothing listens until `listen()` is called;
 * `app`/`handler` can be embedded instead.
 */
export function createRegistry(options: CreateRegistryOptions): Registry {
  const logger = options.logger.child({ module: 'registry' });
  const auth = toRegistryAuth(options.auth);
  const metrics =
    options.metrics instanceof RegistryMetrics
      ? options.metrics
      : options.metrics === false
        ? undefined
        : new RegistryMetrics();
  const settings: HandlerSettings = {
    deleteEnabled: options.deleteEnabled ?? true,
    readOnly: options.readOnly ?? false,
    redirect: options.redirect ?? false,
    redirectExpiresInSeconds: options.redirectExpiresInSeconds ?? 1200,
    maxManifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
    pageSize: options.pageSize ?? 10_000,
  };
  const namespace = resolveNamespace(options, settings);
  const endpoints = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>();
  if (metrics && options.metricsEndpoint !== false) {
    endpoints.set('/metrics', async (req, res) => {
      // The same credentials as `/v2/`: request counts, routes and memory are no one else's business.
      const decision = await auth.authorize({
        actions: [],
        credentials: parseCredentials(req.headers.authorization),
        origin: originOf(req),
        ...connectionOf(req),
      });
      if (decision.kind === 'challenge') {
        throw new UnauthorizedError(decision.message ?? 'authentication required', decision.challenge);
      }
      if (decision.kind === 'deny') throw new DeniedError(decision.message ?? 'metrics are not for you');
      await metrics.handle(req, res);
    });
  }
  for (const endpoint of auth.endpoints ?? []) {
    if (endpoint.path.startsWith('/v2')) throw new Error(`auth endpoint ${endpoint.path} collides with /v2/`);
    endpoints.set(endpoint.path, (req, res) => endpoint.handle(req, res));
  }
  const handler = createRouter({
    deps: {
      namespace,
      logger,
      settings,
      uploads: new UploadLocations(options.secret),
      auth,
      ...(metrics ? { metrics } : {}),
    },
    endpoints,
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => handler(req, res, next));

  async function listen(listenOptions: ListenOptions = {}): Promise<RunningRegistry> {
    const host = listenOptions.host ?? '127.0.0.1';
    const serverOptions = { highWaterMark: HTTP_HIGH_WATER_MARK, keepAlive: true, noDelay: true };
    const server: Server = listenOptions.tls
      ? createHttpsServer(
          {
            ...serverOptions,
            cert: await pem(listenOptions.tls.cert),
            key: await pem(listenOptions.tls.key),
          },
          handler,
        )
      : createHttpServer(serverOptions, handler);
    const served = await serveHttp(server, {
      host,
      port: listenOptions.port ?? 0,
      scheme: listenOptions.tls ? 'https' : 'http',
      ...(listenOptions.closeTimeoutMs !== undefined ? { closeTimeoutMs: listenOptions.closeTimeoutMs } : {}),
    });
    const { address, url } = served;
    logger.info('registry listening', { url });
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= served.close().then(() => {
        logger.info('registry stopped', { url });
      });
      return closing;
    };
    return { url, host: address.address, port: address.port, server, close, [Symbol.asyncDispose]: close };
  }

  return { app, handler, namespace, metrics, listen };
}

function resolveNamespace(options: CreateRegistryOptions, settings: HandlerSettings): Namespace {
  if (options.namespace && options.storage)
    throw new Error('createRegistry: give namespace or storage, not both');
  if (options.namespace) return options.namespace;
  if (!options.storage) throw new Error('createRegistry: give a namespace or a storage driver');
  return createNamespace({
    driver: options.storage,
    logger: options.logger,
    deleteEnabled: settings.deleteEnabled && !settings.readOnly,
    manifestSizeLimit: settings.maxManifestBytes,
    redirectExpirySeconds: settings.redirectExpiresInSeconds,
  });
}

/** PEM text as given, or the content of the file it names. */
async function pem(value: string | Buffer): Promise<string | Buffer> {
  if (Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  return readFile(value);
}
