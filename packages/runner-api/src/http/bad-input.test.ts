import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunner, type Payload } from '../test-support/fake-runner.js';
import { type Harness, jobSpec, startApi } from '../test-support/harness.js';

/**
 * Every Runner API endpoint against garbage: bodies that are not JSON, JSON of the wrong shape,
 * wrong types, forged tokens, another job's token, odd ids. Each must get a 4xx with a JSON
 * `message`, and the server must keep serving real work afterwards.
 */
describe('bad input on every endpoint', () => {
  let h: Harness;
  let runner: FakeRunner;
  let mine: Payload;
  let theirs: Payload;

  beforeAll(async () => {
    h = await startApi();
    runner = new FakeRunner(h.url, h.api.registerRunner().token);
    h.api.enqueue(jobSpec());
    h.api.enqueue(jobSpec({ project: { path: 'other/project' } }));
    mine = (await runner.requestJob())!;
    theirs = (await runner.requestJob())!;
  });
  afterAll(() => h.close());

  const bodies: [string, string | undefined][] = [
    ['application/json', '{'],
    ['application/json', 'null'],
    ['application/json', '"string"'],
    ['application/json', '[]'],
    ['application/json', '{"token": {"$ne": null}}'],
    ['application/json', '{"token": "glrt-1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "state": 5}'],
    ['application/json', `{"token": "${'x'.repeat(300)}"}`],
    ['application/json', '{"__proto__": {"admin": true}, "token": "x"}'],
    ['text/plain', 'token=abc'],
    ['application/x-www-form-urlencoded', 'token=abc'],
    ['application/json', undefined],
  ];

  const endpoints = (): [string, string, Record<string, string>][] => [
    ['POST', 'runners', {}],
    ['POST', 'runners/verify', {}],
    ['DELETE', 'runners', {}],
    ['DELETE', 'runners/managers', {}],
    ['POST', 'jobs/request', {}],
    ['PUT', `jobs/${mine.id}`, {}],
    ['PUT', `jobs/${mine.id}`, { 'JOB-TOKEN': theirs.token }],
    ['PATCH', `jobs/${mine.id}/trace`, { 'Content-Range': '0-3' }],
    ['PATCH', `jobs/${mine.id}/trace`, { 'JOB-TOKEN': theirs.token, 'Content-Range': '0-3' }],
    ['POST', `jobs/${mine.id}/artifacts`, { 'JOB-TOKEN': mine.token }],
    ['POST', `jobs/${mine.id}/artifacts`, { 'JOB-TOKEN': theirs.token }],
    ['GET', `jobs/${mine.id}/artifacts?direct_download=true`, { 'JOB-TOKEN': theirs.token }],
    ['GET', 'jobs/0/artifacts', { 'JOB-TOKEN': mine.token }],
    ['PUT', 'jobs/%00', { 'JOB-TOKEN': mine.token }],
    ['PATCH', 'jobs/../runners/trace', { 'JOB-TOKEN': mine.token }],
  ];

  it('answers each combination with a 4xx and a JSON message', async () => {
    const failures: string[] = [];
    for (const [method, path, headers] of endpoints()) {
      for (const [type, body] of bodies) {
        const reply = await runner.call(method, path, {
          headers: { 'Content-Type': type, ...headers },
          ...(body !== undefined && method !== 'GET' ? { body } : {}),
        });
        let message: unknown;
        try {
          message = reply.json().message;
        } catch {
          message = undefined;
        }
        if (reply.status < 400 || reply.status >= 500 || typeof message !== 'string') {
          failures.push(
            `${method} ${path} [${type}] ${body?.slice(0, 30)} → ${reply.status} ${reply.text.slice(0, 80)}`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('kept other jobs intact and still serves real work', async () => {
    expect(h.api.job(mine.id)?.state).toBe('running');
    expect(h.api.job(theirs.id)?.state).toBe('running');
    expect(h.api.trace(mine.id).length).toBe(0);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const result = await runner.runJob(mine, ['still fine\n']);
    expect(result.finalStatus).toBe(200);
    expect(h.api.trace(mine.id).toString()).toBe('still fine\n');
  });
});
