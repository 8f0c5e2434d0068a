import { createLogger, type LoadedConfig, type Logger, type LogLevel, loadConfig } from '@glci/config';

/**
 * What every command receives: the configuration (loaded on first use, so `--help` never reads
 * files) and the one logger. Commands print results to `out` and diagnostics through the logger.
 */
export interface CliContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  config(): LoadedConfig;
  logger(): Logger;
  readonly out: NodeJS.WritableStream;
}

export function createCliContext(options: { logLevel?: LogLevel } = {}): CliContext {
  let loaded: LoadedConfig | undefined;
  let logger: Logger | undefined;
  return {
    cwd: process.cwd(),
    env: process.env,
    out: process.stdout,
    config() {
      loaded ??= loadConfig({ cwd: process.cwd(), env: process.env });
      return loaded;
    },
    logger() {
      logger ??= createLogger(options.logLevel ? { level: options.logLevel } : {});
      return logger;
    },
  };
}
