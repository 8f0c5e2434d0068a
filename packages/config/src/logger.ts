import { createRequire } from 'node:module';
import type winston from 'winston';
import { redactForLog, redactText } from './redact.js';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

export interface CreateLoggerOptions {
  /** Defaults to `GLCI_LOG_LEVEL`, else `info`. */
  readonly level?: LogLevel;
  /** One JSON object per line instead of human-readable lines. */
  readonly json?: boolean;
  /** Write console lines here instead of stderr (embedding, tests). */
  readonly stream?: NodeJS.WritableStream;
  /** Also write to this file (the daemon's log), as one JSON object per line. */
  readonly file?: string;
  /** Write to stderr (or `stream`); `false` with `file` logs to the file only (a detached daemon). */
  readonly console?: boolean;
  /** Send nothing anywhere (library embedding, tests). */
  readonly silent?: boolean;
}

type Winston = typeof winston;

/** winston's npm levels (`winston.config.npm.levels`), known without loading winston. */
const LEVELS: Readonly<Record<LogLevel, number>> = {
  error: 0,
  warn: 1,
  info: 2,
  http: 3,
  verbose: 4,
  debug: 5,
  silly: 6,
};

let winstonModule: Winston | undefined;

/**
 * winston with its formats and transports is some 70 modules; a command that logs nothing at its
 * level (a warm `glci show` at the default level) should not pay for loading them. winston is
 * CommonJS, so it can be loaded synchronously on the first line that is actually logged.
 */
function loadWinston(): Winston {
  winstonModule ??= createRequire(import.meta.url)('winston') as Winston;
  return winstonModule;
}

/**
 * A logger that creates its winston logger (`create`) only when something needs it: a line at an
 * enabled level, or anything else than a line (a child's line, `end`, `on`, `level`, …). A line
 * at a level `enabled` rejects is dropped here, as winston would drop it. Children are lazy too
 * and ask their parent's `enabled`, as a winston child shares its parent's level.
 */
function lazyLogger(create: () => Logger, enabled: (level: LogLevel) => boolean): Logger {
  let real: Logger | undefined;
  const materialize = () => {
    real ??= create();
    return real;
  };
  // Once created, the real logger's level decides (someone may have changed it).
  const isEnabled = (level: LogLevel) => (real ? real.isLevelEnabled(level) : enabled(level));
  const forward = (target: Logger, property: string | symbol) => {
    const value = Reflect.get(target, property, target) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const proxy: Logger = new Proxy({} as Logger, {
    get(_target, property) {
      if (real) return forward(real, property);
      if (typeof property === 'string' && Object.hasOwn(LEVELS, property) && !isEnabled(property as LogLevel))
        return () => proxy;
      if (property === 'child')
        return (meta: object) => lazyLogger(() => materialize().child(meta), isEnabled);
      return forward(materialize(), property);
    },
    set(_target, property, value) {
      return Reflect.set(materialize(), property, value);
    },
    has(_target, property) {
      return property in materialize();
    },
  });
  return proxy;
}

/** winston's own property holding the raw `splat` arguments, which may still hold secrets. */
const SPLAT = Symbol.for('splat');
/** winston's property holding the finished line a transport writes. */
const MESSAGE = Symbol.for('message');

/**
 * Secrets are redacted by the logger itself, so no call site can forget it: every value under a
 * secret key (`password`, `token`, `authorization`, …), and inside every string — the message
 * included — the user info of URLs, secret query parameters, `Bearer`/`Basic` credentials and
 * `password=…` pairs (`redactForLog`). winston keeps the level and message under symbol keys that
 * transports read (the console picks stderr by `info[LEVEL]`), so those are carried over; the raw
 * splat arguments are dropped.
 */
const redactFormat = (winston: Winston) =>
  winston.format((info) => {
    const redacted = redactForLog({ ...info }) as winston.Logform.TransformableInfo;
    for (const symbol of Object.getOwnPropertySymbols(info)) {
      if (symbol !== SPLAT)
        (redacted as Record<symbol, unknown>)[symbol] = (info as Record<symbol, unknown>)[symbol];
    }
    return redacted;
  })();

/**
 * The last step of every transport: the finished line itself goes through `redactText` once more,
 * for anything that reached it another way (an error's text rendered by a formatter).
 */
const redactLine = (winston: Winston) =>
  winston.format((info) => {
    const line = (info as Record<symbol, unknown>)[MESSAGE];
    if (typeof line === 'string') (info as Record<symbol, unknown>)[MESSAGE] = redactText(line);
    return info;
  })();

/**
 * The one logger factory glci uses. Packages never create loggers: they take one (or a child of
 * one, `logger.child({ module: 'registry' })`) through their options. Logs go to stderr so that
 * stdout stays clean for `--json` output.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? levelFromEnvironment(process.env.GLCI_LOG_LEVEL);
  const create = () => createWinstonLogger(loadWinston(), options, level);
  // A log file is opened at once, as the daemon expects its log to exist from its start.
  if (options.file) return create();
  return lazyLogger(create, (wanted) => !(options.silent ?? false) && LEVELS[wanted] <= LEVELS[level]);
}

function createWinstonLogger(winston: Winston, options: CreateLoggerOptions, level: LogLevel): Logger {
  const consoleFormat = options.json
    ? winston.format.combine(
        redactFormat(winston),
        winston.format.timestamp(),
        winston.format.json(),
        redactLine(winston),
      )
    : winston.format.combine(
        redactFormat(winston),
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        winston.format.printf(({ level: lvl, message, timestamp, ...meta }) => {
          const context = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
          return `${String(timestamp)} ${lvl} ${String(message)}${context}`;
        }),
        redactLine(winston),
      );
  const transports: winston.transport[] = [];
  if (options.console !== false || !options.file) {
    transports.push(
      options.stream
        ? new winston.transports.Stream({ stream: options.stream, format: consoleFormat })
        : new winston.transports.Console({
            stderrLevels: Object.keys(LEVELS),
            format: consoleFormat,
          }),
    );
  }
  if (options.file) {
    transports.push(
      new winston.transports.File({
        filename: options.file,
        format: winston.format.combine(
          redactFormat(winston),
          winston.format.timestamp(),
          winston.format.json(),
          redactLine(winston),
        ),
      }),
    );
  }
  return winston.createLogger({ level, silent: options.silent ?? false, transports });
}

/** `GLCI_LOG_LEVEL` when it names a level; anything else would make winston drop every message. */
function levelFromEnvironment(value: string | undefined): LogLevel {
  const level = value?.trim().toLowerCase();
  return level && Object.hasOwn(LEVELS, level) ? (level as LogLevel) : 'info';
}

/** A logger that drops everything, for embedding and tests. */
export function createSilentLogger(): Logger {
  return createLogger({ silent: true });
}
