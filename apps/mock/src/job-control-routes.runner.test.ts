import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { packRepository, renderRunnerConfig } from '@glci/runner-api';
import { startGitlabRunner } from '@glci/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockServer, type RunningMockServer } from './create-mock-server.js';
import { makeRepository, plain, SECRET } from './test-support/real-runner.js';

/**
 * The daemon's side of the mock (`/internal`), driven as the daemon drives it, with the official
 * runner (shell executor) doing the jobs: register a runner, send the repository as a pack, queue
 * jobs, follow the event stream, read logs and artifacts, cancel; then restart the mock on the
 * same data directory and carry on.
 */
let dataDir: string;
let mock: RunningMockServer;

async function startMock(port = 0): Promise<void> {
  mock = await createMockServer({ secret: SECRET, dataDir, longPollMs: 1_000, persistState: true }).listen({
    port,
    closeTimeoutMs: 200,
  });
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-job-control-'));
  await startMock();
});

afterEach(async () => {
  await mock?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function internal(pathname: string, init: RequestInit = {}): Promise<Response> {
  const request = () =>
    fetch(`${mock.url}/internal${pathname}`, {
      ...init,
      headers: { Authorization: `Bearer ${SECRET}`, ...(init.headers as Record<string, string>) },
    });
  try {
    return await request();
  } catch (error) {
    // A kept-alive connection to the mock before its restart: fetch again on a new one.
    if (init.method && init.method !== 'GET') throw error;
    return await request();
  }
}

async function post(pathname: string, body: unknown): Promise<Response> {
  return await internal(pathname, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Reads the NDJSON event stream until `done` says so; returns every event seen. */
async function readEvents(
  response: Response,
  done: (event: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const event = JSON.parse(pending.slice(0, newline)) as Record<string, unknown>;
      pending = pending.slice(newline + 1);
      events.push(event);
      if (done(event)) return events;
      newline = pending.indexOf('\n');
    }
  }
  return events;
}

const finalFor = (jobId: number) => (event: Record<string, unknown>) =>
  event.type === 'state' &&
  event.jobId === jobId &&
  ['success', 'failed', 'canceled'].includes(String(event.state));

describe(
  "the mock under the daemon's control (/internal), with the official runner",
  { timeout: 60_000 },
  () => {
    it('registers a runner, takes the repository as a pack, runs jobs and streams their events', async () => {
      const repo = await makeRepository(2);
      try {
        const registered = await post('/runners', { tags: ['glci'], description: 'shared' });
        expect(registered.status).toBe(201);
        const { token } = (await registered.json()) as { token: string };
        await using _runner = await startGitlabRunner(
          renderRunnerConfig({ url: mock.url, token, executor: 'shell', checkInterval: 1, concurrent: 1 }),
        );

        const commits = (await (await internal('/git/commits?project=group/demo')).json()) as {
          commits: string[];
        };
        expect(commits.commits).toEqual([]);
        const packed = await packRepository({ repoDir: repo.dir, exclude: commits.commits });
        const query = new URLSearchParams({
          project: 'group/demo',
          sha: packed.sha,
          ref: 'main',
          pipeline: '1',
        });
        const sent = await internal(`/git/pack?${query}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-git-packed-objects' },
          body: Readable.toWeb(packed.pack) as ReadableStream,
          duplex: 'half',
        } as RequestInit);
        expect(sent.status).toBe(201);

        const queued = await post('/jobs', {
          name: 'build',
          project: { path: 'group/demo' },
          pipeline: { id: 1 },
          git: { ref: 'main', sha: packed.sha },
          tags: ['glci'],
          script: ['cat README.md', 'mkdir -p out && echo built > out/result.txt'],
          artifacts: { paths: ['out/'] },
        });
        expect(queued.status).toBe(201);
        const job = (await queued.json()) as { id: number; state: string; name: string };
        expect(job.name).toBe('build');
        expect(['pending', 'running']).toContain(job.state); // the polling runner may have it already

        const events = await readEvents(await internal(`/events?jobs=${job.id}`), finalFor(job.id));
        const [snapshot] = events as [{ type: string; job: { state: string }; traceLength: number }];
        expect(snapshot.type).toBe('snapshot');
        expect(events.at(-1)).toMatchObject({ type: 'state', jobId: job.id, state: 'success' });
        // The snapshot's log length plus the streamed chunks, placed at their offsets, is the log.
        const stored = Buffer.from(await (await internal(`/jobs/${job.id}/trace`)).arrayBuffer());
        const rebuilt = Buffer.from(stored.subarray(0, snapshot.traceLength));
        const chunks = events.filter((event) => event.type === 'trace') as { offset: number; data: string }[];
        const streamed = Buffer.concat([
          rebuilt,
          ...chunks.map((event) => Buffer.from(event.data, 'base64')),
        ]);
        expect(chunks[0]?.offset ?? stored.length).toBe(snapshot.traceLength);
        expect(streamed.equals(stored)).toBe(true);
        expect(plain(stored.toString())).toContain('revision 2');
        const tail = await internal(`/jobs/${job.id}/trace?offset=${stored.length - 10}`);
        expect(tail.headers.get('x-trace-length')).toBe(String(stored.length));
        expect(Buffer.from(await tail.arrayBuffer()).equals(stored.subarray(-10))).toBe(true);

        const listed = (await (await internal(`/jobs/${job.id}/artifacts`)).json()) as {
          artifacts: { type: string }[];
        };
        expect(listed.artifacts.map((artifact) => artifact.type)).toEqual(['archive']);
        const archive = Buffer.from(
          await (await internal(`/jobs/${job.id}/artifacts/archive`)).arrayBuffer(),
        );
        expect(archive.subarray(0, 2).toString()).toBe('PK');

        // The second pipeline sends only what is new.
        const known = (await (await internal('/git/commits?project=group/demo')).json()) as {
          commits: string[];
        };
        expect(known.commits).toEqual([packed.sha]);
      } finally {
        await repo.remove();
      }
    });

    it('cancels a job on request and answers bad requests with clear errors', async () => {
      const queued = await post('/jobs', {
        name: 'never-picked',
        project: { path: 'group/demo' },
        pipeline: { id: 1 },
        git: { ref: 'main', sha: 'a'.repeat(40) },
        tags: ['nobody-has-this-tag'],
        script: ['true'],
      });
      const job = (await queued.json()) as { id: number };
      const canceled = await post(`/jobs/${job.id}/cancel`, { force: false });
      expect(await canceled.json()).toMatchObject({ id: job.id, state: 'canceled' });

      const bad = await post('/jobs', { name: 'x', script: [] });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/project/);
      expect((await internal('/jobs/9999')).status).toBe(404);
      expect((await post('/runners', { tags: 'not-a-list' })).status).toBe(400);
      expect((await internal('/git/pack?project=group/demo', { method: 'POST', body: 'x' })).status).toBe(
        400,
      );
      expect((await fetch(`${mock.url}/internal/jobs`)).status).toBe(401);
    });

    it('keeps runners, jobs and logs across a restart on the same data directory', async () => {
      const { token } = (await (await post('/runners', { tags: [] })).json()) as { token: string };
      const queued = (await (
        await post('/jobs', {
          name: 'waits',
          project: { path: 'group/demo' },
          pipeline: { id: 1 },
          git: { ref: 'main', sha: 'b'.repeat(40) },
          script: ['true'],
        })
      ).json()) as { id: number };
      const port = mock.port;
      await mock.close();
      await startMock(port);
      const job = (await (await internal(`/jobs/${queued.id}`)).json()) as { state: string };
      expect(job.state).toBe('pending');
      const verify = await fetch(`${mock.url}/api/v4/runners/verify`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      expect(verify.status).toBe(200);
    });
  },
);
