import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FakeRunner, type Payload } from '../test-support/fake-runner.js';
import { git, makeRepository } from '../test-support/git.js';
import { type Harness, jobSpec, startApi } from '../test-support/harness.js';

/** What the runner's helper does (shells/abstract.go): init, remote add, fetch the refspecs, checkout. */
async function fetchLikeTheRunner(payload: Payload, depth: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-build-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await git(dir, ['init', '-q']);
  await git(dir, ['remote', 'add', 'origin', payload.git_info.repo_url]);
  const args = ['-c', 'http.userAgent=gitlab-runner 19.4.0', 'fetch', 'origin', '--no-recurse-submodules'];
  args.push(...payload.git_info.refspecs);
  if (depth > 0) args.push('--depth', String(depth));
  await git(dir, [...args, '--prune', '--quiet']);
  await git(dir, ['checkout', '-f', '-q', payload.git_info.sha]);
  return dir;
}

describe('git over smart HTTP', () => {
  let h: Harness;
  let runner: FakeRunner;
  let repo: { dir: string; head: string };
  const cleanup: string[] = [];

  beforeAll(async () => {
    h = await startApi();
    runner = new FakeRunner(h.url, h.api.registerRunner().token);
    repo = await makeRepository();
    cleanup.push(repo.dir);
  });
  afterAll(async () => {
    await h.close();
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  async function startJob(sha: string, pipelineId: number, overrides = {}): Promise<Payload> {
    h.api.enqueue(
      jobSpec({ pipeline: { id: pipelineId }, git: { ref: 'main', sha, depth: 1 }, ...overrides }),
    );
    const payload = (await runner.requestJob())!;
    await runner.updateJob(payload.id, payload.token, { state: 'running' });
    return payload;
  }

  it('serves a shallow fetch of every payload refspec to the job token', async () => {
    const published = await h.api.publishRepository({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'main',
      pipelineId: 1,
    });
    expect(published.sha).toBe(repo.head);
    const payload = await startJob(published.sha, 1);
    const build = await fetchLikeTheRunner(payload, 1);
    cleanup.push(build);
    expect(await readFile(path.join(build, 'file.txt'), 'utf8')).toBe('version 3\n');
    expect(await git(build, ['rev-parse', 'HEAD'])).toBe(repo.head);
    expect(await git(build, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    expect(await git(build, ['rev-list', '--count', 'HEAD'])).toBe('1');
    expect(await git(build, ['rev-parse', 'refs/pipelines/1'])).toBe(repo.head);
    expect(await git(build, ['rev-parse', 'refs/remotes/origin/main'])).toBe(repo.head);
    // A full clone (depth 0) works too.
    const full = await fetchLikeTheRunner(payload, 0);
    cleanup.push(full);
    expect(await git(full, ['rev-list', '--count', 'HEAD'])).toBe('3');
    await runner.runJob(payload, ['ok\n']);
  });

  it('challenges first, then refuses wrong users, wrong tokens, other projects and finished jobs', async () => {
    const payload = await startJob(repo.head, 1);
    const base = `${h.url}/group/demo.git/info/refs?service=git-upload-pack`;
    const anonymous = await fetch(base);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
    const auth = (user: string, password: string) => ({
      Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    expect((await fetch(base, { headers: auth('root', payload.token) })).status).toBe(401);
    expect((await fetch(base, { headers: auth('gitlab-ci-token', 'glcbt-1_x') })).status).toBe(401);
    const ok = await fetch(base, { headers: auth('gitlab-ci-token', payload.token) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    const other = await fetch(`${h.url}/group/other.git/info/refs?service=git-upload-pack`, {
      headers: auth('gitlab-ci-token', payload.token),
    });
    expect(other.status).toBe(404);
    const push = await fetch(`${h.url}/group/demo.git/info/refs?service=git-receive-pack`, {
      headers: auth('gitlab-ci-token', payload.token),
    });
    expect(push.status).toBe(403);
    const dumb = await fetch(`${h.url}/group/demo.git/HEAD`, {
      headers: auth('gitlab-ci-token', payload.token),
    });
    expect(dumb.status).toBe(403);
    await runner.runJob(payload, ['done\n']);
    expect((await fetch(base, { headers: auth('gitlab-ci-token', payload.token) })).status).toBe(401);
    // The real git client gives up cleanly with the finished job's token.
    await expect(fetchLikeTheRunner(payload, 1)).rejects.toThrow(/Authentication failed|401/);
  });

  it('serves the dirty work tree as a commit without touching the index or HEAD', async () => {
    await writeFile(path.join(repo.dir, 'file.txt'), 'uncommitted edit\n');
    await writeFile(path.join(repo.dir, 'new.txt'), 'untracked but not ignored\n');
    await writeFile(path.join(repo.dir, 'ignored.txt'), 'ignored\n');
    const indexBefore = await readFile(path.join(repo.dir, '.git', 'index'));
    const statusBefore = await git(repo.dir, ['status', '--porcelain']);

    const published = await h.api.publishRepository({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'main',
      pipelineId: 2,
      dirty: true,
    });
    expect(published.snapshot).toBe(true);
    expect(published.sha).not.toBe(repo.head);

    expect(await git(repo.dir, ['rev-parse', 'HEAD'])).toBe(repo.head);
    expect((await readFile(path.join(repo.dir, '.git', 'index'))).equals(indexBefore)).toBe(true);
    expect(await git(repo.dir, ['status', '--porcelain'])).toBe(statusBefore);
    // The snapshot's objects live in glci's serving repository, not in the user's.
    await expect(git(repo.dir, ['cat-file', '-e', published.sha])).rejects.toThrow();

    const payload = await startJob(published.sha, 2);
    const build = await fetchLikeTheRunner(payload, 1);
    cleanup.push(build);
    expect(await readFile(path.join(build, 'file.txt'), 'utf8')).toBe('uncommitted edit\n');
    expect(await readFile(path.join(build, 'new.txt'), 'utf8')).toBe('untracked but not ignored\n');
    await expect(stat(path.join(build, 'ignored.txt'))).rejects.toThrow();
    expect(await git(build, ['cat-file', '-p', 'HEAD'])).toContain(`parent ${repo.head}`);
    await runner.runJob(payload, ['ok\n']);

    // A clean tree publishes HEAD itself.
    await git(repo.dir, ['checkout', '-q', '--', 'file.txt']);
    await rm(path.join(repo.dir, 'new.txt'));
    const clean = await h.api.publishRepository({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'main',
      pipelineId: 3,
      dirty: true,
    });
    expect(clean).toMatchObject({ sha: repo.head, snapshot: false });
  });

  it('serves tag refspecs, and incremental fetches into an existing build directory', async () => {
    await git(repo.dir, ['tag', 'v1.0']);
    const tag = await h.api.publishRepository({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'v1.0',
      refType: 'tag',
      pipelineId: 5,
    });
    h.api.enqueue(
      jobSpec({ pipeline: { id: 5 }, git: { ref: 'v1.0', ref_type: 'tag', sha: tag.sha, depth: 0 } }),
    );
    const payload = (await runner.requestJob())!;
    await runner.updateJob(payload.id, payload.token, { state: 'running' });
    expect(payload.git_info.refspecs).toEqual([
      '+refs/pipelines/5:refs/pipelines/5',
      '+refs/tags/v1.0:refs/tags/v1.0',
    ]);
    const build = await fetchLikeTheRunner(payload, 0);
    cleanup.push(build);
    expect(await git(build, ['rev-parse', 'refs/tags/v1.0'])).toBe(repo.head);

    // The fetch strategy reuses the directory: the next commit arrives through a negotiated fetch.
    await writeFile(path.join(repo.dir, 'file.txt'), 'version 4\n');
    await git(repo.dir, ['commit', '-q', '-am', 'commit 4']);
    const next = await h.api.publishRepository({
      projectPath: 'group/demo',
      repoDir: repo.dir,
      ref: 'main',
      pipelineId: 6,
    });
    h.api.enqueue(jobSpec({ pipeline: { id: 6 }, git: { ref: 'main', sha: next.sha, depth: 0 } }));
    const second = (await runner.requestJob())!;
    await runner.updateJob(second.id, second.token, { state: 'running' });
    // Local commits the server lacks make git send many `have` lines: a gzip-encoded POST body.
    for (let i = 0; i < 40; i++) await git(build, ['commit', '-q', '--allow-empty', '-m', `local ${i}`]);
    await git(build, ['remote', 'set-url', 'origin', second.git_info.repo_url]);
    await git(build, ['fetch', 'origin', ...second.git_info.refspecs, '--prune', '--quiet']);
    await git(build, ['checkout', '-f', '-q', next.sha]);
    expect(await readFile(path.join(build, 'file.txt'), 'utf8')).toBe('version 4\n');
    await runner.runJob(payload, ['ok\n']);
    await runner.runJob(second, ['ok\n']);
  });

  it('refuses bad publish requests', async () => {
    const base = { projectPath: 'group/demo', repoDir: repo.dir, ref: 'main', pipelineId: 4 };
    await expect(h.api.publishRepository({ ...base, projectPath: '../etc' })).rejects.toThrow();
    await expect(h.api.publishRepository({ ...base, ref: 'bad..ref' })).rejects.toThrow(/invalid ref/);
    await expect(h.api.publishRepository({ ...base, rev: 'nope' })).rejects.toThrow(/not found/);
    await expect(h.api.publishRepository({ ...base, repoDir: os.tmpdir() })).rejects.toThrow(/not a git/);
    await expect(h.api.publishRepository({ ...base, pipelineId: 0 })).rejects.toThrow(/pipelineId/);
  });
});
