import { describe, expect, it } from 'vitest';
import { fakeGit } from '../test-support/fixtures.js';
import { parseContextSpec } from './context-spec.js';
import { parseRemote, resolvePipelineContext } from './pipeline-context.js';

describe('parseContextSpec', () => {
  it.each([
    ['branch=main', { kind: 'branch', name: 'main' }],
    ['branch', { kind: 'branch' }],
    ['merge_request', { kind: 'merge_request' }],
    ['mr', { kind: 'merge_request' }],
    ['tag=v1.0.0', { kind: 'tag', name: 'v1.0.0' }],
    ['env=staging', { kind: 'env', name: 'staging' }],
  ])('%s', (text, spec) => {
    expect(parseContextSpec(text)).toEqual(spec);
  });

  it.each([
    ['push', /unknown context "push": expected branch=NAME, merge_request, tag=NAME or env=NAME/],
    ['env', /needs an environment name/],
  ])('refuses %s', (text, message) => {
    expect(() => parseContextSpec(text)).toThrow(message);
  });
});

describe('resolvePipelineContext', () => {
  it('compares a merge request with the merge base of its target, a pushed branch with its upstream', async () => {
    const mr = await resolvePipelineContext({
      spec: { kind: 'merge_request' },
      git: fakeGit(),
      projectDir: '/p',
      dirty: true,
    });
    expect(mr).toMatchObject({
      ref: 'feature',
      mergeRequest: { sourceBranch: 'feature', targetBranch: 'main' },
      changesBase: { kind: 'diff', mergeBase: true },
    });
    const pushed = await resolvePipelineContext({
      spec: { kind: 'branch' },
      git: fakeGit({ upstream: 'e'.repeat(40) }),
      projectDir: '/p',
      dirty: true,
    });
    expect(pushed).toMatchObject({
      changesBase: { kind: 'diff', base: 'e'.repeat(40), mergeBase: false },
      beforeSha: 'e'.repeat(40),
    });
    const fresh = await resolvePipelineContext({
      spec: { kind: 'branch' },
      git: fakeGit(),
      projectDir: '/p',
      dirty: true,
    });
    expect(fresh.changesBase).toEqual({ kind: 'all' });
  });

  it('needs a name when HEAD is detached', async () => {
    await expect(
      resolvePipelineContext({
        spec: { kind: 'branch' },
        git: fakeGit({ branch: undefined }),
        projectDir: '/p',
        dirty: true,
      }),
    ).rejects.toThrow(/detached/);
    await expect(
      resolvePipelineContext({ spec: { kind: 'tag' }, git: fakeGit(), projectDir: '/p', dirty: true }),
    ).rejects.toThrow(/no tag points at HEAD/);
  });

  it.each([
    [
      'https://gitlab.example.com/group/sub/app.git',
      { serverUrl: 'https://gitlab.example.com', path: 'group/sub/app' },
    ],
    ['git@gitlab.com:group/app.git', { serverUrl: 'https://gitlab.com', path: 'group/app' }],
    [
      'ssh://git@gitlab.example.com:2222/group/app.git',
      { serverUrl: 'https://gitlab.example.com', path: 'group/app' },
    ],
    ['http://localhost:8080/a/b', { serverUrl: 'http://localhost:8080', path: 'a/b' }],
    ['/srv/repos/app.git', undefined],
  ])('parseRemote(%s)', (url, expected) => {
    expect(parseRemote(url)).toEqual(expected);
  });
});
