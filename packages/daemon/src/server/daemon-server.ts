import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Logger } from '@glci/config';
import express, { type Express } from 'express';
import { type BuildInfo, buildIdentity } from '../build-info.js';
import { acquireLock, LockHeldError, type ProcessLock } from '../process-lock.js';
import { DAEMON_ROUTES, type DaemonStatus, type StopRequest, type StopResponse } from './daemon-api.js';
import type { DaemonService, DaemonServiceContext } from './daemon-service.js';
import { errorBody, errorHandler, notFound } from './http-errors.js';
import { IdleMonitor } from './idle-monitor.js';
import { clearStaleSocket, DaemonAlreadyRunningError, prepareSocketDirectory } from './socket-file.js';

export interface DaemonServerOptions {
  readonly socketPath: string;
  readonly glciHome: string;
  /** Shown in the status. */
  readonly logFile?: string;
  readonly logger: Logger;
  readonly build: BuildInfo;
  /** Stop after this long idle (no active work, no open requests or streams); 0 never. */
  readonly idleTimeoutMs: number;
  readonly idleCheckMs?: number;
  /** After the services stopped, how long open connections may still finish (default 2 s). */
  readonly closeGraceMs?: number;
  readonly now?: () => number;
}

/** Why the daemon stopped. */
export interface StopReason {
  readonly reason: string;
  readonly graceful: boolean;
}

/**
 * The daemon: an HTTP server (express, JSON) on a unix socket, one per user, that hosts services
 * (see DaemonService). It owns the socket's life: a lock only one daemon can hold, stale socket
 * removal, mode 0600 in a private directory; its own routes (`/daemon/status`, `/daemon/stop`);
 * idle stop; and an orderly stop (services first, then connections, then the socket).
 *
 * ```ts
 * const daemon = new DaemonServer({ socketPath, glciHome, logger, build, idleTimeoutMs });
 * daemon.use(pipelineService);       // its router answers POST /pipelines, GET /pipelines/:id/events …
 * await daemon.listen();
 * const { reason } = await daemon.closed;
 * ```
 */
export class DaemonServer {
  readonly closed: Promise<StopReason>;
  readonly #options: DaemonServerOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #services: DaemonService[] = [];
  readonly #app: Express;
  readonly #server: Server;
  readonly #idle: IdleMonitor;
  readonly #stopping = new AbortController();
  /** Service routers are collected here, so `use` can add them after the app is built. */
  readonly #serviceRoutes = express.Router();
  #resolveClosed!: (reason: StopReason) => void;
  #lock: ProcessLock | undefined;
  #socketInode: number | undefined;
  #startedAt = 0;
  #openRequests = 0;
  #stopRun: Promise<void> | undefined;
  #forced = false;

  constructor(options: DaemonServerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ module: 'daemon' });
    this.#now = options.now ?? Date.now;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#idle = new IdleMonitor({
      timeoutMs: options.idleTimeoutMs,
      ...(options.idleCheckMs !== undefined ? { checkMs: options.idleCheckMs } : {}),
      now: this.#now,
      isBusy: () => this.#openRequests > 0 || this.#activeWork().length > 0,
      onIdle: (idleForMs) => {
        void this.stop({ graceful: true, reason: `idle for ${Math.round(idleForMs / 1000)} s` });
      },
    });
    this.#app = this.#createApp();
    this.#server = createServer(this.#app);
  }

  /** Adds a service; only before `listen`. */
  use(service: DaemonService): this {
    if (this.#startedAt !== 0)
      throw new Error(`cannot add service ${service.name}: the daemon is already listening`);
    this.#services.push(service);
    if (service.router) this.#serviceRoutes.use(service.router);
    return this;
  }

  /**
   * Takes the daemon lock, starts the services, clears a stale socket and listens. Throws
   * `DaemonAlreadyRunningError` when another daemon has the socket.
   */
  async listen(): Promise<void> {
    const { socketPath, glciHome } = this.#options;
    await prepareSocketDirectory(socketPath, glciHome);
    try {
      this.#lock = await acquireLock(socketPath);
    } catch (error) {
      if (error instanceof LockHeldError) throw new DaemonAlreadyRunningError(socketPath);
      throw error;
    }
    try {
      const context = this.#serviceContext();
      for (const service of this.#services) {
        await service.start?.({ ...context, logger: context.logger.child({ service: service.name }) });
      }
      if ((await clearStaleSocket(socketPath)) === 'removed-stale') {
        this.#logger.info('removed the stale socket of a daemon that is gone', { socket: socketPath });
      }
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(socketPath, () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
      await chmod(socketPath, 0o600);
      this.#socketInode = (await lstat(socketPath)).ino;
    } catch (error) {
      await this.#stopServices(false).catch(() => undefined);
      await this.#lock.release();
      throw error;
    }
    this.#startedAt = this.#now();
    this.#idle.start();
    this.#logger.info('daemon listening', {
      pid: process.pid,
      socket: socketPath,
      build: buildIdentity(this.#options.build),
      services: this.#services.map((service) => service.name),
      idleTimeoutMs: this.#options.idleTimeoutMs,
    });
  }

  /**
   * Stops: new requests to services get 503, services stop (gracefully: after their work), open
   * connections get `closeGraceMs` to finish, then the socket is removed and `closed` resolves.
   * A forced stop during a graceful one makes the services cancel their work.
   */
  stop(options: { graceful: boolean; reason: string }): Promise<void> {
    if (this.#stopRun) {
      if (!options.graceful && !this.#forced) {
        this.#forced = true;
        this.#logger.warn('forced stop while stopping gracefully: cancelling active work', {
          reason: options.reason,
        });
        void this.#stopServices(false);
      }
      return this.#stopRun;
    }
    this.#forced = !options.graceful;
    this.#logger.info('daemon stopping', { reason: options.reason, graceful: options.graceful });
    this.#stopping.abort(new Error(options.reason));
    this.#idle.stop();
    this.#stopRun = this.#shutdown(options);
    return this.#stopRun;
  }

  status(): DaemonStatus {
    const now = this.#now();
    const idleFor = this.#idle.idleFor();
    return {
      pid: process.pid,
      startedAt: new Date(this.#startedAt || now).toISOString(),
      uptimeMs: this.#startedAt ? now - this.#startedAt : 0,
      build: { ...this.#options.build, identity: buildIdentity(this.#options.build) },
      node: process.version,
      socket: this.#options.socketPath,
      ...(this.#options.logFile ? { logFile: this.#options.logFile } : {}),
      stopping: this.#stopRun !== undefined,
      idle: {
        timeoutMs: this.#options.idleTimeoutMs,
        ...(idleFor !== undefined ? { idleForMs: idleFor } : {}),
      },
      services: this.#services.map((service) => service.name),
      activeWork: this.#activeWork(),
      openRequests: this.#openRequests,
    };
  }

  #createApp(): Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use((req, res, next) => {
      // Status polls (glci daemon status, glci version) neither count as activity nor keep it up.
      if (req.method === 'GET' && req.path === DAEMON_ROUTES.status) return next();
      this.#openRequests++;
      this.#idle.touch();
      res.once('close', () => {
        this.#openRequests--;
        this.#idle.touch();
      });
      next();
    });
    app.use(express.json({ limit: '16mb' }));
    app.get(DAEMON_ROUTES.status, (_req, res) => {
      res.json(this.status());
    });
    app.post(DAEMON_ROUTES.stop, (req, res) => {
      const graceful = (req.body as Partial<StopRequest> | undefined)?.graceful !== false;
      const response: StopResponse = { pid: process.pid, graceful, activeWork: this.#activeWork() };
      res.status(202).json(response);
      // Answer first, then stop: the client learns what the stop waits for.
      res.once('finish', () => {
        void this.stop({ graceful, reason: graceful ? 'stop requested' : 'forced stop requested' });
      });
    });
    app.use((req, res, next) => {
      if (!this.#stopRun) return next();
      res
        .status(503)
        .json(
          errorBody(
            'daemon-stopping',
            `the glci daemon is stopping; ${req.method} ${req.path} was not started`,
          ),
        );
    });
    app.use(this.#serviceRoutes);
    app.use(notFound());
    app.use(errorHandler(this.#logger));
    return app;
  }

  #serviceContext(): Omit<DaemonServiceContext, 'logger'> & { logger: Logger } {
    return {
      logger: this.#logger,
      glciHome: this.#options.glciHome,
      build: this.#options.build,
      stopping: this.#stopping.signal,
      requestStop: (reason, options) => {
        void this.stop({ graceful: options?.graceful ?? true, reason });
      },
    };
  }

  #activeWork(): DaemonStatus['activeWork'] {
    return this.#services.flatMap((service) =>
      (service.activeWork?.() ?? []).map((work) => ({ ...work, service: service.name })),
    );
  }

  async #stopServices(graceful: boolean): Promise<void> {
    const failures: unknown[] = [];
    for (const service of [...this.#services].reverse()) {
      try {
        await service.stop?.({ graceful });
      } catch (error) {
        failures.push(error);
        this.#logger.error('service failed to stop', { service: service.name, error: String(error) });
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'services failed to stop');
  }

  async #shutdown(options: { graceful: boolean; reason: string }): Promise<void> {
    await this.#stopServices(options.graceful).catch(() => undefined);
    await this.#closeServer();
    await this.#removeSocket();
    await this.#lock?.release();
    this.#logger.info('daemon stopped', { reason: options.reason });
    this.#resolveClosed({ reason: options.reason, graceful: options.graceful && !this.#forced });
  }

  async #closeServer(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const grace = setTimeout(() => this.#server.closeAllConnections(), this.#options.closeGraceMs ?? 2000);
    await closed;
    clearTimeout(grace);
  }

  /** Removes the socket file, unless another daemon has put its own there since. */
  async #removeSocket(): Promise<void> {
    const current = await lstat(this.#options.socketPath).catch(() => undefined);
    if (current && current.ino === this.#socketInode)
      await unlink(this.#options.socketPath).catch(() => undefined);
  }
}
