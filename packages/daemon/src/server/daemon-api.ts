import type { BuildInfo } from '../build-info.js';

/**
 * The daemon's own HTTP API (JSON over its unix socket), shared by the server and the client.
 * Services mount their routes beside these; the daemon keeps `/daemon/*` for itself.
 *
 *     GET  /daemon/status   → DaemonStatus
 *     POST /daemon/stop     StopRequest → 202 StopResponse (the daemon stops after answering)
 *
 * Errors, from every route: `{ "error": { "code": "...", "message": "..." } }` with a 4xx/5xx.
 */
export const DAEMON_ROUTES = {
  status: '/daemon/status',
  stop: '/daemon/stop',
} as const;

/** Something a service is doing; the daemon is idle while every service reports none. */
export interface ActiveWork {
  /** What kind of thing: `pipeline`, … */
  readonly kind: string;
  readonly id: string;
  /** One line for `glci daemon status`, e.g. `app: build, test running`. */
  readonly description?: string;
}

export interface DaemonStatus {
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly build: BuildInfo & { readonly identity: string };
  readonly node: string;
  readonly socket: string;
  readonly logFile?: string;
  /** A stop was asked for (or the idle timeout hit); it exits once its work is done. */
  readonly stopping: boolean;
  readonly idle: {
    /** 0: never stops for idleness. */
    readonly timeoutMs: number;
    /** How long it has had nothing to do; absent while busy. */
    readonly idleForMs?: number;
  };
  readonly services: readonly string[];
  readonly activeWork: readonly (ActiveWork & { readonly service: string })[];
  /** Requests being answered now, long-lived event streams included (status requests are not counted). */
  readonly openRequests: number;
}

export interface StopRequest {
  /** `true`: let active work finish first; `false`: cancel it. */
  readonly graceful: boolean;
}

export interface StopResponse {
  readonly pid: number;
  readonly graceful: boolean;
  /** The work a graceful stop waits for. */
  readonly activeWork: DaemonStatus['activeWork'];
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
