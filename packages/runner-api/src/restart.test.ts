import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32, formatChecksum } from './crc32.js';
import { createRunnerApi, type RunnerApi } from './create-runner-api.js';
import { FakeRunner } from './test-support/fake-runner.js';
import { jobSpec } from './test-support/harness.js';

/**
 * A mock restarted on the same data directory and secret carries on (`persistState`): runners,
 * queued and running jobs, their logs and their artifacts are all still there.
 */
describe('createRunnerApi with persistState, across a restart', () => {
  let dataDir: string;
  let server: http.Server;
  let url: string;
  let api: RunnerApi;

  /** One process's Runner API on a fixed port (a restart keeps the address). */
  function start() {
    api = createRunnerApi({
      externalUrl: url,
      dataDir,
      secret: 'restart-secret-0123456789',
      persistState: true,
    });
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-runner-api-restart-'));
    const app = express();
    app.use((req, res, next) => api(req, res, next));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    start();
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps runners, jobs, logs, artifacts and ids', async () => {
    const { token } = api.registerRunner({ tags: ['docker'] });
    const runner = new FakeRunner(url, token);
    const built = api.enqueue(jobSpec({ name: 'build', tags: ['docker'] }));
    const running = api.enqueue(jobSpec({ name: 'test', tags: ['docker'] }));
    api.enqueue(jobSpec({ name: 'queued', tags: ['docker'], dependencies: [built.id] }));

    const first = (await runner.requestJob())!;
    await runner.uploadArtifacts(first.id, first.token, [gzipSync('VERSION=1.0\n')], {
      artifact_type: 'dotenv',
      artifact_format: 'gzip',
    });
    await runner.runJob(first, ['built\n']);
    const second = (await runner.requestJob())!;
    expect(second.id).toBe(running.id);
    expect((await runner.updateJob(second.id, second.token, { state: 'running' })).status).toBe(200);
    const before = Buffer.from('first half of the log\n');
    expect((await runner.patchTrace(second.id, second.token, before, 0)).status).toBe(202);

    start(); // the restart: a new Runner API on the same directory

    expect(api.job(built.id)?.state).toBe('success');
    expect(api.job(running.id)?.state).toBe('running');
    expect(api.trace(running.id).toString()).toBe('first half of the log\n');
    // The running job's runner goes on where it was, and its final checksum covers both halves.
    const after = Buffer.from('second half\n');
    expect((await runner.patchTrace(second.id, second.token, after, before.length)).status).toBe(202);
    const log = Buffer.concat([before, after]);
    const final = await runner.updateJob(second.id, second.token, {
      state: 'success',
      output: { checksum: formatChecksum(crc32(log)), bytesize: log.length },
    });
    expect(final.status).toBe(200);
    expect(api.job(running.id)?.state).toBe('success');

    // The queued job is still handed out, with the dotenv variables of its dependency.
    const third = (await runner.requestJob())!;
    expect((third.job_info as { name: string }).name).toBe('queued');
    expect(third.variables.find((v) => v.key === 'VERSION')?.value).toBe('1.0');
    // New ids continue after the old ones.
    expect(api.enqueue(jobSpec()).id).toBe(4);
  });

  it('never writes down a secret variable (a CI/CD variable of the instance): the restarted job has it no more', async () => {
    const { token } = api.registerRunner();
    const runner = new FakeRunner(url, token);
    const job = api.enqueue(
      jobSpec({
        variables: { PLAIN: 'kept' },
        pipeline_variables: {
          DEPLOY_TOKEN: { value: 'deploy-token-in-memory', masked: true, secret: true },
          LEVEL: { value: 'project', secret: true },
        },
      }),
    );
    // Handed out in this process's lifetime, with the values.
    const payload = (await runner.requestJob())!;
    expect(payload.variables.find((v) => v.key === 'DEPLOY_TOKEN')).toMatchObject({
      value: 'deploy-token-in-memory',
      masked: true,
    });
    const saved = await readFile(path.join(dataDir, 'state', 'jobs.json'), 'utf8');
    expect(saved).not.toContain('deploy-token-in-memory');
    expect(saved).not.toContain('"LEVEL"');
    expect(saved).toContain('kept');
    start();
    expect(api.job(job.id)?.spec.pipeline_variables).toEqual({});
    expect(api.job(job.id)?.spec.variables).toEqual({ PLAIN: 'kept' });
  });

  it('forgets an unregistered runner across the restart', async () => {
    const { token } = api.registerRunner({ tags: [] });
    const runner = new FakeRunner(url, token);
    const json = { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) };
    expect((await runner.call('POST', 'runners/verify', json)).status).toBe(200);
    expect((await runner.call('DELETE', 'runners', json)).status).toBe(204);
    start();
    expect((await runner.call('POST', 'runners/verify', json)).status).toBe(403);
  });
});
