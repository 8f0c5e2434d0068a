import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunner, type Payload } from './test-support/fake-runner.js';
import { git, makeRepository } from './test-support/git.js';
import { type Harness, jobSpec, startApi } from './test-support/harness.js';

/** The presigned URL the runner's s3v2 adapter builds for `project/<id>/<key>` (path style). */
function cacheUrl(base: string, payload: Payload, key: string): string {
  const projectId = (payload.job_info as { project_id: number }).project_id;
  return (
    `${base}/runner-cache/project/${projectId}/${encodeURIComponent(key)}` +
    '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20260101%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0'
  );
}

/**
 * Two jobs of one pipeline through every step of runner-protocol.md §0, in the runner's order:
 * pick-up, first update, git fetch, cache restore, artifact download, trace, cache save, artifact
 * upload, final update. The second job restores the first one's cache and downloads its artifacts.
 */
describe('a pipeline as the runner runs it', () => {
  let h: Harness;
  let runner: FakeRunner;
  let repo: { dir: string; head: string };
  const dirs: string[] = [];
  beforeAll(async () => {
    h = await startApi({ longPollMs: 5_000 });
    runner = new FakeRunner(h.url, h.api.registerRunner({ tags: ['docker'], runUntagged: true }).token);
    repo = await makeRepository();
    dirs.push(repo.dir);
  });
  afterAll(async () => {
    await h.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function runStep(payload: Payload, cacheBody: string | undefined) {
    expect((await runner.updateJob(payload.id, payload.token, { state: 'running' })).status).toBe(200);
    // get_sources
    const build = await mkdtemp(path.join(os.tmpdir(), 'glci-lifecycle-'));
    dirs.push(build);
    await git(build, ['init', '-q']);
    await git(build, ['remote', 'add', 'origin', payload.git_info.repo_url]);
    await git(build, [
      'fetch',
      'origin',
      ...payload.git_info.refspecs,
      '--depth',
      String(payload.git_info.depth),
      '--prune',
      '--quiet',
    ]);
    await git(build, ['checkout', '-f', '-q', payload.git_info.sha]);
    // restore_cache: HEAD, then GET
    const key = (payload.cache as { key: string }[])[0]!.key;
    const head = await fetch(cacheUrl(h.url, payload, key), { method: 'HEAD' });
    const restored =
      head.status === 200 ? await (await fetch(cacheUrl(h.url, payload, key))).text() : undefined;
    // download_artifacts
    const downloaded: string[] = [];
    for (const dependency of payload.dependencies) {
      const reply = await runner.downloadArtifacts(dependency.id, dependency.token);
      expect(reply.status).toBe(200);
      downloaded.push(reply.text);
    }
    // build script, archive_cache, upload_artifacts, then the final update
    const log = [`$ cat file.txt\n`, await readFile(path.join(build, 'file.txt'), 'utf8')];
    if (cacheBody !== undefined) {
      const put = await fetch(cacheUrl(h.url, payload, key), {
        method: 'PUT',
        body: cacheBody,
        headers: { 'Content-Type': 'application/octet-stream', 'x-amz-meta-cachekey': key },
      });
      expect(put.status).toBe(200);
    }
    const upload = await runner.uploadArtifacts(
      payload.id,
      payload.token,
      [Buffer.from(`artifacts of ${payload.id}`)],
      {
        artifact_format: 'zip',
        artifact_type: 'archive',
        expire_in: '1 week',
      },
    );
    expect(upload.status).toBe(201);
    const result = await runner.runJob(payload, log);
    return { restored, downloaded, result };
  }

  it('fetches, restores the cache and artifacts of the previous job, and reports success', async () => {
    const { sha } = await h.api.publishRepository({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'main',
      pipelineId: 1,
    });
    const common = {
      pipeline: { id: 1 },
      git: { ref: 'main', sha, depth: 1 },
      cache: { key: 'deps', paths: ['.cache/'] },
    };
    const build = h.api.enqueue(jobSpec({ ...common, name: 'build', artifacts: { paths: ['dist/'] } }));
    const test = h.api.enqueue(
      jobSpec({ ...common, name: 'test', stage: 'test', tags: ['docker'], dependencies: [build.id] }),
    );

    const first = (await runner.requestJob())!;
    expect(first.id).toBe(build.id);
    // The dependant is not handed out while its dependency runs.
    expect(
      await runner.requestJob({ signal: AbortSignal.timeout(200) }).catch(() => undefined),
    ).toBeUndefined();
    const one = await runStep(first, 'cached deps');
    expect(one).toMatchObject({ restored: undefined, downloaded: [], result: { finalStatus: 200 } });

    const second = (await runner.requestJob())!;
    expect(second.id).toBe(test.id);
    const two = await runStep(second, undefined);
    expect(two.restored).toBe('cached deps');
    expect(two.downloaded).toEqual([`artifacts of ${build.id}`]);
    expect(two.result.finalStatus).toBe(200);
    expect(h.api.trace(second.id).toString()).toBe('$ cat file.txt\nversion 3\n');
    expect(h.api.jobs().map((job) => job.state)).toEqual(['success', 'success']);
  });
});
