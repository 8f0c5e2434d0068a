import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner, type Payload } from '../test-support/fake-runner.js';
import { type Harness, jobSpec, manualClock, startApi } from '../test-support/harness.js';

function* chunksOf(total: number, size = 64 * 1024): Generator<Uint8Array> {
  for (let sent = 0; sent < total; sent += size) {
    yield Buffer.alloc(Math.min(size, total - sent), sent % 251);
  }
}

describe('artifacts', () => {
  let h: Harness;
  let runner: FakeRunner;
  const clock = manualClock();
  beforeEach(async () => {
    h = await startApi({ maxArtifactSize: 1024 * 1024, clock });
    runner = new FakeRunner(h.url, h.api.registerRunner().token);
  });
  afterEach(() => h.close());

  async function start(spec = jobSpec()): Promise<Payload> {
    h.api.enqueue(spec);
    const payload = (await runner.requestJob())!;
    await runner.updateJob(payload.id, payload.token, { state: 'running' });
    return payload;
  }

  it('streams a chunked multipart upload to disk and serves it to a dependant job', async () => {
    const producer = await start();
    const upload = await runner.uploadArtifacts(producer.id, producer.token, chunksOf(300_000), {
      artifact_format: 'zip',
      artifact_type: 'archive',
      expire_in: '1 day',
    });
    expect(upload.status).toBe(201);
    const stored = await readdir(path.join(h.dataDir, 'artifacts', 'jobs', String(producer.id)));
    expect(stored.sort()).toEqual(['archive', 'archive.meta.json']);
    await runner.runJob(producer, ['built\n']);

    const consumer = await start(jobSpec({ name: 'test', dependencies: [producer.id] }));
    expect(consumer.dependencies).toEqual([
      {
        id: producer.id,
        name: 'build',
        token: consumer.token,
        artifacts_file: { filename: 'artifacts.zip', size: 300_000 },
      },
    ]);
    const download = await runner.downloadArtifacts(producer.id, consumer.dependencies[0]!.token);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe('300000');
    const file = await readFile(path.join(h.dataDir, 'artifacts', 'jobs', String(producer.id), 'archive'));
    expect(file.length).toBe(300_000);
    expect(Buffer.concat([...chunksOf(300_000)]).equals(file)).toBe(true);

    // Once the consumer is done its token no longer reads anything.
    await runner.runJob(consumer, ['ok\n']);
    expect((await runner.downloadArtifacts(producer.id, consumer.token)).status).toBe(403);
  });

  it("serves another pipeline's imported artifacts to a job that lists them (needs:project)", async () => {
    const zip = Buffer.from('PK\u0003\u0004 a zip from GitLab');
    const imported = await h.api.importArtifacts(
      jobSpec({ name: 'publish-schemas', stage: 'needs:project', script: ['# from GitLab'] }),
      Readable.from([zip]),
    );
    expect(imported).toMatchObject({ state: 'success', runnerId: undefined });
    // Finished: never handed to a runner, and a dependant may start at once.
    const consumer = await start(jobSpec({ name: 'check', dependencies: [imported.id] }));
    expect(consumer.id).toBe(imported.id + 1);
    expect(consumer.dependencies).toEqual([
      {
        id: imported.id,
        name: 'publish-schemas',
        token: consumer.token,
        artifacts_file: { filename: 'artifacts.zip', size: zip.length },
      },
    ]);
    const download = await runner.downloadArtifacts(imported.id, consumer.token);
    expect(download.status).toBe(200);
    expect(download.text).toBe(zip.toString());
    await expect(h.api.importArtifacts({ ...jobSpec(), script: [] }, Readable.from([zip]))).rejects.toThrow(
      'job spec: script: a job needs at least one script line',
    );
  });

  it('accepts the running job token for its own artifacts and refuses unrelated jobs', async () => {
    const a = await start();
    const b = await start();
    await runner.uploadArtifacts(a.id, a.token, chunksOf(10));
    expect((await runner.downloadArtifacts(a.id, a.token)).status).toBe(200);
    const stranger = await runner.downloadArtifacts(a.id, b.token);
    expect(stranger.status).toBe(403);
    expect(stranger.json().message).toMatch(/may not read/);
    expect((await runner.downloadArtifacts(a.id, 'garbage')).status).toBe(403);
    expect((await runner.downloadArtifacts(b.id, b.token)).status).toBe(404);
    expect((await runner.uploadArtifacts(b.id, a.token, chunksOf(10))).status).toBe(403);
  });

  it('refuses uploads beyond the cap with 413 and keeps nothing', async () => {
    const job = await start();
    const reply = await runner.uploadArtifacts(job.id, job.token, chunksOf(3 * 1024 * 1024));
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).message).toMatch(/413/);
    expect(await readdir(path.join(h.dataDir, 'artifacts', 'tmp'))).toEqual([]);
    expect((await runner.downloadArtifacts(job.id, job.token)).status).toBe(404);
  });

  it('validates the query, the body and the token', async () => {
    const job = await start();
    const bad = async (query: Record<string, string>) =>
      (await runner.uploadArtifacts(job.id, job.token, chunksOf(10), query)).status;
    expect(await bad({ artifact_format: 'rar' })).toBe(400);
    expect(await bad({ artifact_type: '../x' })).toBe(400);
    expect(await bad({ expire_in: 'whenever' })).toBe(400);
    const notMultipart = await runner.call('POST', `jobs/${job.id}/artifacts`, {
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': 'application/zip' },
      body: 'PK',
    });
    expect(notMultipart.status).toBe(400);
    const noBoundary = await runner.call('POST', `jobs/${job.id}/artifacts`, {
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': 'multipart/form-data' },
      body: 'PK',
    });
    expect(noBoundary.status).toBe(400);
    const noFile = await runner.call('POST', `jobs/${job.id}/artifacts`, {
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': 'multipart/form-data; boundary=b' },
      body: '--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nvalue\r\n--b--\r\n',
    });
    expect(noFile.status).toBe(400);
    expect(noFile.json().message).toMatch(/file/);
    const truncated = await runner.call('POST', `jobs/${job.id}/artifacts`, {
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': 'multipart/form-data; boundary=b' },
      body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK',
    });
    expect(truncated.status).toBe(400);
    const declaredTooBig = await runner
      .call('POST', `jobs/${job.id}/artifacts`, {
        headers: {
          'JOB-TOKEN': job.token,
          'Content-Type': 'multipart/form-data; boundary=b',
          'Content-Length': '99999999',
        },
        body: 'x'.repeat(10),
      })
      .catch(() => ({ status: 413 }));
    expect(declaredTooBig.status).toBe(413);
    expect((await runner.downloadArtifacts(job.id, job.token)).status).toBe(404);
  });

  it('stores reports separately and expires artifacts after expire_in', async () => {
    const job = await start();
    await runner.uploadArtifacts(
      job.id,
      job.token,
      chunksOf(10),
      { artifact_type: 'junit', artifact_format: 'gzip' },
      'junit.xml.gz',
    );
    expect((await runner.downloadArtifacts(job.id, job.token)).status).toBe(404);
    await runner.uploadArtifacts(job.id, job.token, chunksOf(10), { expire_in: '1 hour' });
    expect((await runner.downloadArtifacts(job.id, job.token)).status).toBe(200);
    clock.advance(3601_000);
    expect((await runner.downloadArtifacts(job.id, job.token)).status).toBe(404);
  });

  it('parses a gzip dotenv report and hands its variables to a dependant job below its pipeline variables', async () => {
    const producer = await start();
    const report = gzipSync('BUILD_VERSION=v1.2.3\nSHARED=from-dotenv\nOVERRIDDEN=from-dotenv\n');
    const upload = await runner.uploadArtifacts(
      producer.id,
      producer.token,
      [report],
      { artifact_type: 'dotenv', artifact_format: 'gzip' },
      'build.env.gz',
    );
    expect(upload.status).toBe(201);
    await runner.runJob(producer, ['built\n']);
    h.api.enqueue(
      jobSpec({
        name: 'deploy',
        dependencies: [producer.id],
        variables: { SHARED: 'from-yaml', OWN: 'yaml' },
        pipeline_variables: { OVERRIDDEN: 'from --env' },
      }),
    );
    const consumer = (await runner.requestJob())!;
    const value = (key: string) => consumer.variables.filter((v) => v.key === key).map((v) => v.value);
    expect(value('BUILD_VERSION')).toEqual(['v1.2.3']);
    // dotenv outranks the YAML's variables, pipeline variables outrank dotenv; one entry each.
    expect(value('SHARED')).toEqual(['from-dotenv']);
    expect(value('OVERRIDDEN')).toEqual(['from --env']);
    expect(value('OWN')).toEqual(['yaml']);
  });

  it('refuses a dotenv report GitLab would refuse, and keeps nothing of it', async () => {
    const job = await start();
    const tooMany = Array.from({ length: 21 }, (_, i) => `V${i}=x`).join('\n');
    for (const [content, message] of [
      [gzipSync(tooMany), /more than 20 variables/],
      [gzipSync('not a variable line'), /Invalid Format/],
      [Buffer.from('not gzip'), /not valid gzip/],
    ] as const) {
      const upload = await runner.uploadArtifacts(job.id, job.token, [content], {
        artifact_type: 'dotenv',
        artifact_format: 'gzip',
      });
      expect(upload.status).toBe(400);
      expect(upload.body).toMatch(message);
    }
    const stored = await readdir(path.join(h.dataDir, 'artifacts', 'jobs', String(job.id))).catch(() => []);
    expect(stored).not.toContain('dotenv');
  });
});
