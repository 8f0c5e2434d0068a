import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { BadRequestError } from './errors.js';
import type { JobEvent } from './job-events.js';
import { FakeRunner } from './test-support/fake-runner.js';
import { type Harness, jobSpec, startApi } from './test-support/harness.js';

describe('createRunnerApi', () => {
  let h: Harness;
  let logs: string;
  beforeEach(async () => {
    logs = '';
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logs += chunk.toString();
        callback();
      },
    });
    const logger = winston.createLogger({
      level: 'debug',
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream: sink })],
    });
    h = await startApi({ logger });
  });
  afterEach(() => h.close());

  it('validates job specifications with a message naming the field', () => {
    expect(() => h.api.enqueue({ ...jobSpec(), script: [] })).toThrow(/script: a job needs at least one/);
    expect(() => h.api.enqueue({ ...jobSpec(), project: { path: '../x' } })).toThrow(BadRequestError);
    expect(() => h.api.enqueue({ ...jobSpec(), git: { ref: 'main', sha: 'abc' } })).toThrow(/git.sha/);
    expect(() =>
      h.api.enqueue({ ...jobSpec(), image: { name: 'alpine', docker: { privileged: true } } as never }),
    ).toThrow(/image/);
    expect(() => h.api.enqueue({ ...jobSpec(), unknown: 1 } as never)).toThrow(BadRequestError);
    expect(() => h.api.cancel(999)).toThrow(/not found/);
  });

  it('streams state changes and trace chunks to a watcher as they arrive', async () => {
    const job = h.api.enqueue(jobSpec());
    const seen: JobEvent[] = [];
    const watching = (async () => {
      for await (const event of h.api.events.watch(job.id)) seen.push(event);
    })();
    const runner = new FakeRunner(h.url, h.api.registerRunner().token);
    const payload = (await runner.requestJob())!;
    await runner.runJob(payload, ['$ echo hi\n', 'hi\n'], { state: 'success' });
    await watching;
    expect(seen.map((e) => (e.type === 'state' ? e.state : e.type))).toEqual([
      'running',
      'trace',
      'trace',
      'trace-verified',
      'success',
    ]);
    const chunks = seen.flatMap((e) => (e.type === 'trace' ? [e.chunk.toString()] : []));
    expect(chunks.join('')).toBe('$ echo hi\nhi\n');
  });

  it('verifies job tokens only while their job runs, and scopes them to the project image', async () => {
    const job = h.api.enqueue(jobSpec({ project: { path: 'Group/App' } }));
    const runner = new FakeRunner(h.url, h.api.registerRunner().token);
    const payload = (await runner.requestJob())!;
    const host = new URL(h.url).host;
    expect(h.api.verifyJobToken(payload.token)).toEqual({
      jobId: job.id,
      projectPath: 'Group/App',
      registryPath: 'group/app',
    });
    const image = payload.variables.find((v) => v.key === 'CI_REGISTRY_IMAGE')?.value;
    expect(image).toBe(`${host}/group/app`);
    expect(h.api.verifyJobToken('glcbt-1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(h.api.verifyJobToken(undefined)).toBeUndefined();
    await runner.runJob(payload, ['done\n']);
    expect(h.api.verifyJobToken(payload.token)).toBeUndefined();
    expect(logs).toContain('job finished');
    // Tokens never reach the log.
    expect(logs).not.toContain(payload.token);
    expect(logs).not.toContain(runner.token);
    expect(logs).not.toContain('glcbt-');
    expect(logs).not.toContain('glrt-');
  });

  it('mounts at / next to a registry on /v2/ and passes every other path on', async () => {
    const express = (await import('express')).default;
    const http = await import('node:http');
    const { createRunnerApi } = await import('./create-runner-api.js');
    const app = express();
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    const api = createRunnerApi({ externalUrl: url, dataDir: h.dataDir });
    expect(typeof api).toBe('function');
    app.use('/v2', (_req, res) => void res.json({ registry: true }));
    app.use(api);
    app.use((_req, res) => void res.status(418).end());
    try {
      expect(await (await fetch(`${url}/v2/`)).json()).toEqual({ registry: true });
      expect(await (await fetch(`${url}/v2/group/demo/manifests/latest`)).json()).toEqual({ registry: true });
      expect((await fetch(`${url}/api/v4/jobs/request`, { method: 'POST' })).status).toBe(403);
      expect((await fetch(`${url}/runner-cache?location`)).status).toBe(200);
      expect((await fetch(`${url}/group/demo.git/info/refs?service=git-upload-pack`)).status).toBe(401);
      expect((await fetch(`${url}/somewhere/else`)).status).toBe(418);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a non-http external URL and a bad bucket name', async () => {
    const { createRunnerApi } = await import('./create-runner-api.js');
    expect(() => createRunnerApi({ externalUrl: 'ftp://x', dataDir: h.dataDir })).toThrow(/http/);
    expect(() =>
      createRunnerApi({ externalUrl: 'http://x', dataDir: h.dataDir, cache: { bucket: 'api' } }),
    ).toThrow(/bucket/);
  });
});
