import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import { checkGitlabAccess } from './check-access.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

describe('checkGitlabAccess', () => {
  it('reads who the token is, its scopes, and what it may read of a project', async () => {
    const report = await checkGitlabAccess(clientFor(standin, TOKENS.projectBot), {
      project: 'acme/platform/web-app',
    });
    expect(report).toMatchObject({
      reachable: true,
      tokenAccepted: true,
      version: '17.9.1',
      user: { username: 'project_1003_bot', bot: true },
      scopes: ['read_api'],
      tokenName: 'glci (project token)',
      project: {
        visible: true,
        role: 'Maintainer',
        repository: { ok: true },
        variables: { ok: true },
        protectedRefs: { ok: true },
        groupVariables: [
          { group: 'acme', access: { ok: false, status: 404 } },
          { group: 'acme/platform', access: { ok: false, status: 404 } },
        ],
        instanceVariables: { ok: false, status: 403 },
      },
    });
  });

  it("reads an OAuth token's scopes", async () => {
    expect(await checkGitlabAccess(clientFor(standin, TOKENS.oauth))).toMatchObject({
      tokenAccepted: true,
      scopes: ['read_api'],
    });
  });

  it('says a refused token was refused, and stops there', async () => {
    const before = standin.requests.length;
    const report = await checkGitlabAccess(clientFor(standin, TOKENS.revoked), {
      project: 'acme/platform/web-app',
    });
    expect(report).toEqual({
      reachable: true,
      tokenAccepted: false,
      problem:
        'the token from the GITLAB_TOKEN environment variable was refused: it is wrong, expired or revoked',
    });
    expect(standin.requests.length - before).toBe(1);
  });

  it('checks that the instance answers without a token, and says a private project is not visible', async () => {
    const report = await checkGitlabAccess(clientFor(standin), { project: 'acme/platform/web-app' });
    expect(report).toEqual({
      reachable: true,
      project: {
        path: 'acme/platform/web-app',
        visible: false,
        problem: 'not found, or not visible without a token (set GITLAB_TOKEN)',
      },
    });
  });
});
