import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { type CreateRunnerApiOptions, createRunnerApi, type RunnerApi } from '../create-runner-api.js';
import type { JobSpecInput } from '../schemas.js';

export interface Harness {
  readonly api: RunnerApi;
  readonly url: string;
  readonly dataDir: string;
  readonly server: http.Server;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The Runner API on 127.0.0.1:<random port>, mounted at `/` as apps/mock will mount it. */
export async function startApi(options: Partial<CreateRunnerApiOptions> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-runner-api-'));
  let api!: RunnerApi;
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => api(req, res, next));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = createRunnerApi({
    externalUrl: url,
    dataDir,
    secret: 'test-secret-of-sufficient-length',
    ...options,
  });
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  };
  return { api, url, dataDir, server, close, [Symbol.asyncDispose]: close };
}

export const SHA = 'a'.repeat(40);

export function jobSpec(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    name: 'build',
    project: { path: 'group/demo' },
    pipeline: { id: 7 },
    git: { ref: 'main', sha: SHA },
    script: ['echo hello'],
    ...overrides,
  };
}

/** A controllable clock for TTL and expiry tests. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}
