import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, type Logger } from '@glci/config';
import { configureServerHeap, createStorageDriverFromUrl, type StorageDriver } from '@glci/registry';
import { renderRunnerConfig } from '@glci/runner-api';
import { anonymousReadsFromHostAndGlciNetworks } from './connection-trust.js';
import { createMockServer, type RunningMockServer } from './create-mock-server.js';
import { type MockSettings, readMockSettings } from './settings.js';

export interface StartedMock {
  readonly running: RunningMockServer;
  readonly settings: MockSettings;
  /** Closes the server, then the storage it opened. */
  close(): Promise<void>;
}

/**
 * Starts the mock from its settings: binds the port, writes the runner's `config.toml` when asked
 * (`GLCI_MOCK_RUNNER_CONFIG`), and prints the bound URL on stdout. Signals are `main`'s business.
 */
export async function startMock(settings: MockSettings, logger: Logger): Promise<StartedMock> {
  let storage: StorageDriver | undefined;
  if (settings.storageUrl) storage = createStorageDriverFromUrl(settings.storageUrl, { logger });
  const server = createMockServer({
    secret: settings.secret,
    dataDir: settings.dataDir,
    config: settings.config,
    longPollMs: settings.longPollMs,
    traceUpdateInterval: settings.traceUpdateInterval,
    // A long-lived mock (the glci daemon's container) carries its runners and jobs over a restart.
    persistState: true,
    logger,
    ...(storage ? { storage } : {}),
    ...(settings.cacheDir ? { cacheDir: settings.cacheDir } : {}),
    ...(settings.externalUrl ? { externalUrl: settings.externalUrl } : {}),
    ...(settings.registryHost ? { registryHost: settings.registryHost } : {}),
    ...(settings.upstreams ? { upstreams: settings.upstreams } : {}),
    ...(settings.pushThroughFile ? { pushThroughFile: settings.pushThroughFile } : {}),
    // In glci's container: containers other than glci's own read the registry with a job token.
    ...(settings.containerPort !== undefined
      ? { anonymousReads: anonymousReadsFromHostAndGlciNetworks({ containerPort: settings.containerPort }) }
      : {}),
  });
  const running = await server.listen({
    host: settings.host,
    port: settings.port,
    ...(settings.containerPort !== undefined ? { containerPort: settings.containerPort } : {}),
  });
  const close = async () => {
    await running.close();
    await storage?.close?.();
  };
  try {
    if (settings.runnerConfig) {
      const { runner, token } = running.runnerApi.registerRunner({
        description: 'glci-mock',
        tags: settings.runnerConfig.tags,
        runUntagged: true,
      });
      const externalUrl = settings.externalUrl ?? running.url;
      const text = renderRunnerConfig({
        url: externalUrl,
        token,
        docker: { extraHosts: settings.runnerConfig.extraHosts },
      });
      await mkdir(path.dirname(settings.runnerConfig.path), { recursive: true });
      // It holds the runner token.
      await writeFile(settings.runnerConfig.path, text, { mode: 0o600 });
      await chmod(settings.runnerConfig.path, 0o600);
      logger.info('runner config.toml written', { path: settings.runnerConfig.path, runnerId: runner.id });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { running, settings, close };
}

/** `glci-mock`: start, serve until SIGINT/SIGTERM, then close gracefully. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  configureServerHeap();
  const logger = createLogger({ json: env.GLCI_LOG_JSON === '1' || env.GLCI_LOG_JSON === 'true' });
  const settings = await readMockSettings(env);
  const started = await startMock(settings, logger);
  process.stdout.write(`${started.running.url}\n`);
  // The handlers stay until the server is closed, so a second signal cannot kill a graceful stop.
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    logger.info('shutting down', { signal });
    await started.close();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export { healthcheck } from './healthcheck.js';
