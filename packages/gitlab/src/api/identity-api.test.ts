import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import { getAccessTokenSelf, getCurrentUser, getOauthTokenInfo, getVersion } from './identity-api.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

describe('identity endpoints', () => {
  it('says who a token acts as, with its scopes', async () => {
    expect(await getCurrentUser(clientFor(standin, TOKENS.projectBot))).toMatchObject({
      username: 'project_1003_bot',
      bot: true,
    });
    expect(await getAccessTokenSelf(clientFor(standin, TOKENS.adaRepositoryOnly))).toMatchObject({
      name: 'repository only',
      scopes: ['read_repository'],
    });
  });

  it("reads an OAuth token's scopes", async () => {
    expect(await getOauthTokenInfo(clientFor(standin, TOKENS.oauth))).toEqual({
      scopes: ['read_api'],
      expiresIn: 7200,
    });
  });

  it("reads the instance's version", async () => {
    expect(await getVersion(clientFor(standin, TOKENS.ada))).toEqual({
      version: '17.9.1',
      revision: 'standin',
    });
  });
});
