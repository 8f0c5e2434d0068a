import type { Logger } from '@glci/config';
import type { RequestHandler } from 'express';
import type { BuildInfo } from '../build-info.js';
import type { ActiveWork } from './daemon-api.js';

/**
 * What a service gets when the daemon starts it.
 */
export interface DaemonServiceContext {
  /** A child of the daemon's logger (its file), with `{ service: name }`. */
  readonly logger: Logger;
  readonly glciHome: string;
  readonly build: BuildInfo;
  /** Aborted when the daemon begins to stop (gracefully or not). */
  readonly stopping: AbortSignal;
  /** Asks the daemon to stop (a service that finds the daemon cannot go on). */
  requestStop(reason: string, options?: { graceful?: boolean }): void;
}

/**
 * The daemon's plug-in point: the pipeline service (scheduler, runner orchestration) is one.
 * Everything is optional except the name.
 *
 * Life cycle: `start` runs before the socket accepts its first request (a failing start stops
 * the daemon start); the router serves requests until the daemon stops; `stop` runs once the
 * daemon begins to stop, in reverse registration order. A graceful `stop({ graceful: true })`
 * should refuse new work (the daemon already answers 503 to new requests to service routes) and
 * resolve when active work is done; it may be called again with `graceful: false` while that is
 * pending (a forced stop: a second Ctrl-C of `glci daemon run`, `glci daemon stop --force`), which
 * must cancel the work and resolve promptly.
 */
export interface DaemonService {
  /** Shown in `glci daemon status` and the log. */
  readonly name: string;
  /**
   * Mounted at the root of the daemon's HTTP API, after `express.json()` (so `req.body` is the
   * parsed JSON). Paths under `/daemon/` are the daemon's own. Use `sendNdjson` for event streams
   * and throw `DaemonHttpError` for errors a client should see.
   */
  readonly router?: RequestHandler;
  start?(context: DaemonServiceContext): Promise<void>;
  stop?(options: { readonly graceful: boolean }): Promise<void>;
  /** What it is doing now; checked for idleness, status, and version restarts (never restart busy). */
  activeWork?(): readonly ActiveWork[];
}
