import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitlabRequestError } from '../errors.js';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import { getBranch, getCommitId, getRawFile, getTag, listTree } from './repository-api.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

const TEMPLATES = 'acme/platform/ci-templates';

describe('repository endpoints', () => {
  it('reads a raw file at a ref, and the commit it was read at', async () => {
    const file = await getRawFile(
      clientFor(standin, TOKENS.ada),
      TEMPLATES,
      'templates/jobs/package.yml',
      'v1.1.0',
    );
    expect(file.content).toContain('.package:python:');
    expect(file.commitId).toBe(standin.sha(TEMPLATES, 'v1.1.0'));
  });

  it('lists every file under a directory, across keyset pages', async () => {
    const client = clientFor(standin, TOKENS.ada);
    expect(await listTree(client, TEMPLATES, standin.sha(TEMPLATES, 'v1.1.0'), 'templates')).toEqual(
      expect.arrayContaining([
        'templates/base.gitlab-ci.yml',
        'templates/jobs/package.yml',
        'templates/rules/workflow.yml',
      ]),
    );
    expect(await listTree(client, TEMPLATES, 'main', '')).not.toContain('templates/jobs/package.yml');
  });

  it('resolves a branch, a tag and the default branch to commits', async () => {
    const client = clientFor(standin, TOKENS.ada);
    const head = standin.sha(TEMPLATES, '03-python-rename');
    expect(await getCommitId(client, TEMPLATES, 'HEAD')).toBe(head);
    expect(await getCommitId(client, TEMPLATES, head.slice(0, 8))).toBe(head);
    expect(await getTag(client, TEMPLATES, 'v1.0.0')).toEqual({
      name: 'v1.0.0',
      commitId: standin.sha(TEMPLATES, '01-initial'),
      protected: false,
    });
    expect(await getBranch(client, 'acme/platform/web-app', 'release/1.0')).toMatchObject({
      protected: true,
    });
  });

  it('says which ref does not exist', async () => {
    const error = await getCommitId(clientFor(standin, TOKENS.ada), TEMPLATES, 'no-such-branch').catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(GitlabRequestError);
    expect(error.message).toMatch(
      /^commit of acme\/platform\/ci-templates at no-such-branch: .* answered 404 \(404 Commit Not Found\)/,
    );
  });
});
