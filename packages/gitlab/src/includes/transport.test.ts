import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitlabRequestError } from '../errors.js';
import { GitProjectAccess } from '../git/git-access.js';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import { ApiTransport, GitTransport } from './transport.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
let work: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-transport-'));
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

const TEMPLATES = 'acme/platform/ci-templates';

describe('ApiTransport', () => {
  const api = () => new ApiTransport(clientFor(standin, TOKENS.ada));

  it('resolves a tag, a branch, a short SHA and the default branch, saying which it was', async () => {
    const head = standin.sha(TEMPLATES, '03-python-rename');
    expect(await api().resolveRef(TEMPLATES, 'v1.0.0')).toEqual({
      sha: standin.sha(TEMPLATES, 'v1.0.0'),
      kind: 'tag',
    });
    expect(await api().resolveRef(TEMPLATES, 'main')).toEqual({ sha: head, kind: 'branch' });
    expect(await api().resolveRef(TEMPLATES, head.slice(0, 10))).toEqual({ sha: head, kind: 'commit' });
    expect(await api().resolveRef(TEMPLATES, undefined)).toEqual({ sha: head, kind: 'default-branch' });
  });

  it('asks for a known branch with one request', async () => {
    const before = standin.requests.length;
    await api().resolveRef(TEMPLATES, 'main', 'branch');
    expect(standin.requests.slice(before).map((r) => r.path)).toEqual([
      `/api/v4/projects/${encodeURIComponent(TEMPLATES)}/repository/branches/main`,
    ]);
  });

  it('names the ref, whichever request failed', async () => {
    const error = await api()
      .resolveRef(TEMPLATES, 'gone')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitlabRequestError);
    expect((error as Error).message).toMatch(
      /^ref of acme\/platform\/ci-templates at gone: .* answered 404 \(404 Commit Not Found\)/,
    );
  });

  it('reads files and trees, undefined and empty for what does not exist', async () => {
    const sha = standin.sha(TEMPLATES, 'v1.1.0');
    expect(await api().readFile(TEMPLATES, sha, 'README.md')).toContain('Acme CI templates');
    expect(await api().readFile(TEMPLATES, sha, 'nope.md')).toBeUndefined();
    expect(await api().listTree(TEMPLATES, sha, 'templates/rules')).toEqual(['templates/rules/workflow.yml']);
    expect(await api().listTree(TEMPLATES, sha, 'nope')).toEqual([]);
  });

  it('lists releases with their commits, leaving out upcoming ones', async () => {
    const releases = await api().releases('acme/components/quality');
    expect(releases.map((release) => release.tag)).toEqual(['1.1.0', '1.0.1', '1.0.0']);
    expect(releases[0]?.sha).toBe(standin.sha('acme/components/quality', '1.1.0'));
  });
});

describe('GitTransport', () => {
  it('takes tags as releases and fetches templates from the API without a token', async () => {
    const git = new GitProjectAccess({
      root: path.join(work, 'git'),
      gitUrlFor: (project) => `${standin.url}/${project}.git`,
      caFile: standin.caFile,
      timeoutMs: 10_000,
      logger: createSilentLogger(),
      env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    });
    const transport = new GitTransport(git, clientFor(standin));
    expect((await transport.releases('acme/components/quality')).map((r) => r.tag).sort()).toEqual([
      '0.9.0',
      '1.0.0',
      '1.0.1',
      '1.1.0',
    ]);
    expect(await transport.template('Jobs/License-Check.gitlab-ci.yml')).toContain('license_check:');
  });
});
