import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitAccessError } from '../errors.js';
import { TOKENS, tokenOf } from '../test-support/fixtures.js';
import { GitProjectAccess } from './git-access.js';

// GitLab cannot run here; the stand-in serves git over HTTP with `git http-backend` and GitLab's
// rules (anonymous for public projects, a token as the password for the rest).
let standin: RunningStandin;
let work: string;
let userGitConfig: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-git-access-'));
  // The user's own git access: a credential helper in their global git configuration.
  userGitConfig = path.join(work, 'gitconfig');
  writeFileSync(
    userGitConfig,
    `[credential]\n\thelper = "!f() { echo username=ada; echo password=${TOKENS.ada}; }; f"\n`,
  );
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

const access = (options: { userConfig?: boolean; token?: string; root?: string } = {}) =>
  new GitProjectAccess({
    root: options.root ?? mkdtempSync(path.join(work, 'repos-')),
    gitUrlFor: (project) => `${standin.url}/${project}.git`,
    caFile: standin.caFile,
    timeoutMs: 10_000,
    logger: createSilentLogger(),
    ...(options.token ? { token: tokenOf(options.token) } : {}),
    env: {
      PATH: process.env.PATH,
      HOME: work,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: options.userConfig ? userGitConfig : '/dev/null',
    },
  });

describe('GitProjectAccess (no token: the user own git access)', () => {
  it('resolves tags (annotated ones peeled), branches and the default branch', async () => {
    const git = access();
    const project = 'acme/components/container';
    expect(await git.resolveRef(project, '2.0.0')).toEqual({
      sha: standin.sha(project, '2.0.0'),
      kind: 'tag',
    });
    expect(await git.resolveRef(project, 'main')).toEqual({
      sha: standin.sha(project, '2.1.0-rc.1'),
      kind: 'branch',
    });
    expect(await git.resolveRef(project, undefined)).toEqual({
      sha: standin.sha(project, '2.1.0-rc.1'),
      kind: 'default-branch',
    });
    const sha = standin.sha(project, '1.0.0');
    expect(await git.resolveRef(project, sha)).toEqual({ sha, kind: 'commit' });
  });

  it('reads files and trees of one commit from a shallow, blob-less fetch', async () => {
    const git = access({ userConfig: true });
    const project = 'acme/platform/ci-templates';
    const sha = standin.sha(project, 'v1.1.0');
    const file = await git.readFile(project, sha, 'templates/jobs/package.yml');
    expect(file).toContain('.package:python:');
    expect(await git.readFile(project, sha, 'templates/nope.yml')).toBeUndefined();
    expect(await git.listTree(project, sha, 'templates/jobs')).toEqual([
      'templates/jobs/package.yml',
      'templates/jobs/test.yml',
    ]);
  });

  it("reads a private project through the user's credential helper", async () => {
    const git = access({ userConfig: true });
    const ref = await git.resolveRef('acme/platform/web-app', 'main');
    expect(await git.readFile('acme/platform/web-app', ref.sha, 'ci/deploy.yml')).toContain(
      'deploy-production:',
    );
  });

  it('reads a private project with a token, which never shows in argv or errors', async () => {
    const git = access({ token: TOKENS.ada });
    expect((await git.resolveRef('acme/platform/web-app', 'v1.0.0')).kind).toBe('tag');
    const refused = await access({ token: 'glpat-wrong-wrong-wrong' })
      .resolveRef('acme/platform/web-app', 'main')
      .then(
        () => undefined,
        (error: unknown) => error as GitAccessError,
      );
    expect(refused).toBeInstanceOf(GitAccessError);
    expect(refused?.message).not.toContain('glpat-wrong');
  });

  it('says what failed and what to do when git has no access', async () => {
    const error = await access()
      .resolveRef('acme/platform/web-app', 'main')
      .then(
        () => undefined,
        (e: unknown) => e as GitAccessError,
      );
    expect(error).toBeInstanceOf(GitAccessError);
    expect(error?.message).toMatch(
      /^ref of acme\/platform\/web-app at main: git could not fetch it from https:\/\/127\.0\.0\.1:\d+\/acme\/platform\/web-app\.git \(.+\): check your git access to the instance \(ssh key or credential helper\), or set GITLAB_TOKEN to use the API$/,
    );
  });

  it('lists tags as releases stand-ins', async () => {
    const tags = await access().listTags('acme/components/quality');
    expect(tags.map((tag) => tag.tag).sort()).toEqual(['0.9.0', '1.0.0', '1.0.1', '1.1.0']);
    expect(tags.find((tag) => tag.tag === '1.0.1')?.sha).toBe(
      standin.sha('acme/components/quality', '1.0.1'),
    );
  });

  it('resolves a short SHA of a commit a branch or tag points at', async () => {
    const project = 'acme/components/quality';
    const sha = standin.sha(project, '1.0.1');
    expect(await access().resolveRef(project, sha.slice(0, 8))).toEqual({ sha, kind: 'commit' });
  });

  it('refuses an unknown ref and explains short SHAs', async () => {
    await expect(access().resolveRef('acme/components/quality', 'nope')).rejects.toThrow(
      /no such branch or tag/,
    );
    await expect(access().resolveRef('acme/components/quality', 'abcdef12')).rejects.toThrow(/short SHA/);
  });

  it('reuses its repository: a second read of the same commit fetches nothing', async () => {
    const root = mkdtempSync(path.join(work, 'repos-'));
    const project = 'acme/components/quality';
    const sha = standin.sha(project, '1.1.0');
    await access({ root }).readFile(project, sha, 'templates/lint.yml');
    const before = standin.requests.length;
    expect(await access({ root }).readFile(project, sha, 'templates/lint.yml')).toContain('rules:');
    expect(standin.requests.length).toBe(before);
  });
});
