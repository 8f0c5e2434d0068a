import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type ManagedProcess, spawnManaged, waitFor } from './processes.js';

export interface DistributionOptions {
  /** Directory for the filesystem driver; a temporary one by default (removed on dispose). */
  readonly rootDirectory?: string;
  /** Extra YAML appended to the configuration (auth, proxy, storage overrides). */
  readonly extraConfig?: string;
  /** Replaces the whole `storage:` section (e.g. the S3 driver). */
  readonly storageConfig?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningDistribution extends AsyncDisposable {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly process: ManagedProcess;
  readonly rootDirectory: string;
  stop(): Promise<void>;
}

/**
 * Starts CNCF distribution 2.8.2 (Debian's `docker-registry`) on a free loopback port: the real
 * upstream for pull-through tests and the baseline of the benchmark.
 */
export async function startDistribution(options: DistributionOptions = {}): Promise<RunningDistribution> {
  const port = await freePort();
  const work = mkdtempSync(path.join(os.tmpdir(), 'glci-distribution-'));
  const rootDirectory = options.rootDirectory ?? path.join(work, 'data');
  const storage =
    options.storageConfig ??
    `storage:\n  filesystem:\n    rootdirectory: ${rootDirectory}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\n`;
  const config = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n${storage}http:\n  addr: 127.0.0.1:${port}\n  secret: glci-test-secret\n${options.extraConfig ?? ''}`;
  const configFile = path.join(work, 'config.yml');
  writeFileSync(configFile, config);
  const child = spawnManaged('docker-registry', ['serve', configFile], { ...process.env, ...options.env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`distribution on ${url}`, async () => {
      if (child.child.exitCode !== null) throw new Error(`docker-registry exited: ${child.output()}`);
      const response = await fetch(`${url}/v2/`);
      return response.status === 200 || response.status === 401;
    });
  } catch (error) {
    await child.kill('SIGKILL');
    throw error;
  }
  const stop = async () => {
    await child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  };
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    process: child,
    rootDirectory,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
