import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, type Logger, type LogLevel, type ResolvedDaemon } from '@glci/config';
import type { BuildInfo } from './build-info.js';
import { rotateLog } from './log/log-rotation.js';
import { DaemonServer } from './server/daemon-server.js';
import type { DaemonService } from './server/daemon-service.js';
import { DaemonAlreadyRunningError } from './server/socket-file.js';

export interface RunDaemonOptions {
  readonly settings: ResolvedDaemon;
  readonly glciHome: string;
  readonly build: BuildInfo;
  /** The services to host; the pipeline service is one. */
  readonly services: readonly DaemonService[];
  readonly logLevel?: LogLevel;
  /** Also log to stderr (`glci daemon run --foreground`); otherwise only the log file gets lines. */
  readonly foreground?: boolean;
  /** Where start-up failures are written (the spawning CLI reads them); default stderr. */
  readonly stderr?: NodeJS.WritableStream;
}

/** Exit codes of the daemon process. */
export const DAEMON_EXIT = { ok: 0, failed: 1, alreadyRunning: 3 } as const;

/**
 * The daemon process (`glci daemon run`): rotates its log, logs to the file, listens, and runs
 * until stopped by a request, idleness, or a signal (SIGTERM/SIGINT: graceful; a second one:
 * forced). Resolves with the process exit code; it never calls `process.exit`, so the log is
 * flushed before the process ends.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const { settings } = options;
  const stderr = options.stderr ?? process.stderr;
  await mkdir(path.dirname(settings.logFile), { recursive: true });
  const rotated = await rotateLog(settings.logFile, {
    maxSize: settings.maxLogSize,
    maxFiles: settings.maxLogFiles,
  });
  const logger = createLogger({
    file: settings.logFile,
    console: options.foreground ?? false,
    ...(options.logLevel ? { level: options.logLevel } : {}),
  });
  if (rotated)
    logger.info('rotated the daemon log', { file: settings.logFile, maxFiles: settings.maxLogFiles });

  const server = new DaemonServer({
    socketPath: settings.socket,
    glciHome: options.glciHome,
    logFile: settings.logFile,
    logger,
    build: options.build,
    idleTimeoutMs: settings.idleTimeoutMs,
  });
  for (const service of options.services) server.use(service);

  try {
    await server.listen();
  } catch (error) {
    const alreadyRunning = error instanceof DaemonAlreadyRunningError;
    logger.log(alreadyRunning ? 'info' : 'error', 'daemon not started', { error: String(error) });
    stderr.write(`glci daemon: ${error instanceof Error ? error.message : String(error)}\n`);
    await closeLogger(logger);
    return alreadyRunning ? DAEMON_EXIT.alreadyRunning : DAEMON_EXIT.failed;
  }

  // From here on nobody may be reading stderr (the CLI that spawned us has gone): writes to a
  // closed pipe must not take the daemon down.
  if (!options.foreground) process.stderr.on('error', () => undefined);
  let exitCode: number = DAEMON_EXIT.ok;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    void server.stop({
      graceful: signals === 1,
      reason: `${signal}${signals > 1 ? ' (again: forced)' : ''}`,
    });
  };
  const onFatal = (error: unknown) => {
    exitCode = DAEMON_EXIT.failed;
    logger.error('daemon failed', {
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    void server.stop({ graceful: false, reason: 'internal error' });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  try {
    await server.closed;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
    await closeLogger(logger);
  }
  return exitCode;
}

/** Ends the logger and waits until its file has every line. */
async function closeLogger(logger: Logger): Promise<void> {
  const finished = logger.transports.map(
    (transport) => new Promise<void>((resolve) => transport.once('finish', () => resolve())),
  );
  logger.end();
  await Promise.race([Promise.all(finished), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
}
