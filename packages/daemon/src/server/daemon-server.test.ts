import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSilentLogger } from '@glci/config';
import express from 'express';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { DaemonClient, DaemonNotRunningError, DaemonRequestError } from '../client/daemon-client.js';
import type { ActiveWork } from './daemon-api.js';
import { DaemonServer, type DaemonServerOptions } from './daemon-server.js';
import type { DaemonService } from './daemon-service.js';
import { DaemonHttpError } from './http-errors.js';
import { sendNdjson } from './ndjson.js';
import { DaemonAlreadyRunningError, DaemonSocketError } from './socket-file.js';

const build = { commit: '0123456789abcdef0123456789abcdef01234567', source: 'git' as const };

function paths() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'glci-daemon-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const glciHome = path.join(root, 'home', '.glci');
  return { root, glciHome, socketPath: path.join(glciHome, 'daemon.sock') };
}

function daemon(options: Partial<DaemonServerOptions> & { socketPath: string; glciHome: string }) {
  const server = new DaemonServer({
    logger: createSilentLogger(),
    build,
    idleTimeoutMs: 0,
    closeGraceMs: 200,
    ...options,
  });
  onTestFinished(async () => {
    await server.stop({ graceful: false, reason: 'test over' });
  });
  return server;
}

/** A service like the pipeline service: routes, a stream, work that takes a while to stop. */
function pipelineLikeService() {
  const work: ActiveWork[] = [];
  const stops: boolean[] = [];
  let finishWork: () => void = () => undefined;
  const router = express.Router();
  router.post('/pipelines', (req, res) => {
    const body = req.body as { name?: string };
    if (!body.name) throw new DaemonHttpError(400, 'missing-name', 'a pipeline needs a name');
    work.push({ kind: 'pipeline', id: String(work.length + 1), description: body.name });
    res.status(201).json({ id: work.length });
  });
  router.get('/pipelines/:id/events', async (req, res) => {
    await sendNdjson(res, async function* (signal) {
      for (let index = 0; index < 3; index++) {
        yield { pipeline: req.params.id, event: index };
        await sleep(10, undefined, { signal }).catch(() => undefined);
      }
    });
  });
  router.get('/forever', async (_req, res) => {
    await sendNdjson(res, async function* (signal) {
      yield { started: true };
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
  });
  const service: DaemonService = {
    name: 'pipelines',
    router,
    activeWork: () => work,
    // Graceful: resolves once the active work is done; forced: cancels it, which also ends a
    // graceful stop still waiting.
    stop: async ({ graceful }) => {
      stops.push(graceful);
      if (!graceful) {
        work.length = 0;
        finishWork();
        return;
      }
      if (work.length === 0) return;
      await new Promise<void>((resolve) => {
        finishWork = resolve;
      });
      work.length = 0;
    },
  };
  return {
    service,
    stops,
    work,
    finish: () => {
      finishWork();
    },
  };
}

describe('DaemonServer', () => {
  it('listens on a 0600 socket in a 0700 directory and answers its status', async () => {
    const { glciHome, socketPath } = paths();
    const server = daemon({ socketPath, glciHome, logFile: '/var/log/x.log' });
    await server.listen();
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    expect(lstatSync(socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(glciHome).mode & 0o777).toBe(0o700);
    const status = await new DaemonClient({ socketPath }).status();
    expect(status).toMatchObject({
      pid: process.pid,
      build: { ...build, identity: build.commit },
      socket: socketPath,
      logFile: '/var/log/x.log',
      stopping: false,
      services: [],
      activeWork: [],
      openRequests: 0,
      idle: { timeoutMs: 0, idleForMs: expect.any(Number) },
    });
  });

  it("serves a service's routes, JSON errors and NDJSON streams", async () => {
    const { glciHome, socketPath } = paths();
    const { service } = pipelineLikeService();
    await daemon({ socketPath, glciHome }).use(service).listen();
    const client = new DaemonClient({ socketPath });
    expect(await client.request('POST', '/pipelines', { name: 'app' })).toEqual({ id: 1 });
    const events = [];
    for await (const event of client.stream('GET', '/pipelines/1/events')) events.push(event);
    expect(events).toEqual([0, 1, 2].map((event) => ({ pipeline: '1', event })));

    const missing = client.request('POST', '/pipelines', {});
    await expect(missing).rejects.toBeInstanceOf(DaemonRequestError);
    await expect(missing).rejects.toMatchObject({
      status: 400,
      code: 'missing-name',
      message: 'a pipeline needs a name',
    });
    await expect(client.request('GET', '/nowhere')).rejects.toMatchObject({ status: 404, code: 'not-found' });
    expect((await client.status()).activeWork).toEqual([
      { kind: 'pipeline', id: '1', description: 'app', service: 'pipelines' },
    ]);
  });

  it('refuses a second daemon on the same socket and keeps serving', async () => {
    const { glciHome, socketPath } = paths();
    await daemon({ socketPath, glciHome }).listen();
    await expect(daemon({ socketPath, glciHome }).listen()).rejects.toBeInstanceOf(DaemonAlreadyRunningError);
    expect((await new DaemonClient({ socketPath }).status()).pid).toBe(process.pid);
  });

  it('replaces the stale socket of a daemon that was killed', async () => {
    const { glciHome, socketPath } = paths();
    mkdirSync(glciHome, { recursive: true });
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`,
    ]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    await expect(new DaemonClient({ socketPath }).ping()).resolves.toBeUndefined();
    await daemon({ socketPath, glciHome }).listen();
    expect((await new DaemonClient({ socketPath }).status()).pid).toBe(process.pid);
  });

  it('stops gracefully: waits for active work, answers 503 to new work meanwhile, removes the socket', async () => {
    const { glciHome, socketPath } = paths();
    const pipelines = pipelineLikeService();
    const server = daemon({ socketPath, glciHome }).use(pipelines.service);
    await server.listen();
    const client = new DaemonClient({ socketPath });
    await client.request('POST', '/pipelines', { name: 'app' });
    const stop = await client.stop({ graceful: true });
    expect(stop).toMatchObject({
      pid: process.pid,
      graceful: true,
      activeWork: [{ kind: 'pipeline', id: '1' }],
    });
    await vi.waitFor(() => expect(pipelines.stops).toEqual([true]));
    expect((await client.status()).stopping).toBe(true);
    await expect(client.request('POST', '/pipelines', { name: 'late' })).rejects.toMatchObject({
      status: 503,
      code: 'daemon-stopping',
    });
    pipelines.finish();
    expect(await server.closed).toEqual({ reason: 'stop requested', graceful: true });
    expect(existsSync(socketPath)).toBe(false);
    await expect(client.status()).rejects.toBeInstanceOf(DaemonNotRunningError);
  });

  it('turns a graceful stop into a forced one when asked again', async () => {
    const { glciHome, socketPath } = paths();
    const pipelines = pipelineLikeService();
    const server = daemon({ socketPath, glciHome }).use(pipelines.service);
    await server.listen();
    await new DaemonClient({ socketPath }).request('POST', '/pipelines', { name: 'app' });
    void server.stop({ graceful: true, reason: 'SIGTERM' });
    await vi.waitFor(() => expect(pipelines.stops).toEqual([true]));
    await server.stop({ graceful: false, reason: 'SIGTERM again' });
    expect(pipelines.stops).toEqual([true, false]);
    expect(await server.closed).toEqual({ reason: 'SIGTERM', graceful: false });
  });

  it('stops when idle, but not while work is active or a client stream is open', async () => {
    const { glciHome, socketPath } = paths();
    const pipelines = pipelineLikeService();
    const server = daemon({ socketPath, glciHome, idleTimeoutMs: 150, idleCheckMs: 20 }).use(
      pipelines.service,
    );
    await server.listen();
    const client = new DaemonClient({ socketPath });
    let closed = false;
    void server.closed.then(() => {
      closed = true;
    });

    await client.request('POST', '/pipelines', { name: 'busy' });
    await sleep(400);
    expect(closed).toBe(false);
    pipelines.work.length = 0;

    const controller = new AbortController();
    const stream = client.stream('GET', '/forever', undefined, { signal: controller.signal });
    expect((await stream.next()).value).toEqual({ started: true });
    await sleep(400);
    expect(closed).toBe(false);
    controller.abort();
    await stream.return(undefined).catch(() => undefined);

    const reason = await server.closed;
    expect(reason.reason).toMatch(/^idle for \d+ s$/);
    expect(existsSync(socketPath)).toBe(false);
  });

  it('keeps requests during start-up out: services start before the socket exists', async () => {
    const { glciHome, socketPath } = paths();
    let socketDuringStart: boolean | undefined;
    const service: DaemonService = {
      name: 'slow',
      start: async () => {
        socketDuringStart = existsSync(socketPath);
      },
    };
    await daemon({ socketPath, glciHome }).use(service).listen();
    expect(socketDuringStart).toBe(false);
  });
});

describe('socket safety', () => {
  it('refuses a socket directory other users can write to', async () => {
    const { root, glciHome } = paths();
    const shared = path.join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const failure = daemon({ socketPath: path.join(shared, 'd.sock'), glciHome }).listen();
    await expect(failure).rejects.toBeInstanceOf(DaemonSocketError);
    await expect(failure).rejects.toThrow(/is writable by other users \(mode 777\)/);
  });

  it('accepts a sticky shared directory like /tmp, and makes GLCI_HOME private', async () => {
    const { root, glciHome } = paths();
    const sticky = path.join(root, 'tmp');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    await daemon({ socketPath: path.join(sticky, 'd.sock'), glciHome }).listen();
    mkdirSync(glciHome, { recursive: true, mode: 0o755 });
    chmodSync(glciHome, 0o755);
    await daemon({ socketPath: path.join(glciHome, 'daemon.sock'), glciHome }).listen();
    expect(statSync(glciHome).mode & 0o777).toBe(0o700);
  });

  it("the client refuses a socket that is not the user's", async () => {
    const { glciHome, socketPath } = paths();
    await daemon({ socketPath, glciHome }).listen();
    chownSync(socketPath, 4242, 4242);
    await expect(new DaemonClient({ socketPath }).status()).rejects.toThrow(
      /belongs to uid 4242, not to you .*refusing to talk to it/,
    );
  });
});
