import { createSilentLogger } from '@glci/config';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GitlabRequestError, GitlabResponseError, GitlabUnreachableError } from '../errors.js';
import { clientFor, TOKENS, tokenOf } from '../test-support/fixtures.js';
import { GitlabApiClient } from './api-client.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

const WEB_APP = '/projects/acme%2Fplatform%2Fweb-app';
const subject = { what: 'project', project: 'acme/platform/web-app' };
const anyJson = z.unknown();

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('GitlabApiClient', () => {
  it('sends the token as PRIVATE-TOKEN, or as Bearer for an OAuth token', async () => {
    await clientFor(standin, TOKENS.ada).json(WEB_APP, anyJson, subject);
    await clientFor(standin, TOKENS.oauth).json(WEB_APP, anyJson, subject);
    expect(standin.requests.slice(-2).map((request) => request.auth)).toEqual(['private-token', 'bearer']);
  });

  it('refuses the instance when its CA is not trusted, and says how to trust it', async () => {
    const client = new GitlabApiClient({
      url: standin.url,
      token: undefined,
      timeoutMs: 5_000,
      logger: createSilentLogger(),
      retries: 0,
    });
    const error = await failure(client.json('/projects/acme%2Fcomponents%2Fcontainer', anyJson, subject));
    expect(error).toBeInstanceOf(GitlabUnreachableError);
    expect(error.message).toMatch(/could not be reached \(.*(CERT|certificate|SELF_SIGNED|UNABLE_TO)/i);
    expect(error.message).toContain('set [gitlab] ca_file');
  });

  it('turns a 404 without a token into "not visible without a token (set GITLAB_TOKEN)"', async () => {
    const error = await failure(clientFor(standin).json(WEB_APP, anyJson, subject));
    expect(error).toBeInstanceOf(GitlabRequestError);
    expect(error.message).toBe(
      `project of acme/platform/web-app: ${standin.url}/api/v4${WEB_APP} answered 404 (404 Project Not Found): not found, or not visible without a token (set GITLAB_TOKEN)`,
    );
  });

  it('turns a 401 into "the token is wrong, expired or revoked", naming where it came from, never its value', async () => {
    const error = await failure(clientFor(standin, TOKENS.revoked).json(WEB_APP, anyJson, subject));
    expect(error).toMatchObject({ status: 401, detail: '401 Unauthorized' });
    expect(error.message).toContain(
      'the token from the GITLAB_TOKEN environment variable was refused: it is wrong, expired or revoked',
    );
    expect(error.message).not.toContain(TOKENS.revoked);
    expect(JSON.stringify(error)).not.toContain(TOKENS.revoked);
    expect(error.stack ?? '').not.toContain(TOKENS.revoked);
  });

  it('tells a missing scope from a missing role', async () => {
    const scope = await failure(
      clientFor(standin, TOKENS.adaRepositoryOnly).json(`${WEB_APP}/variables`, anyJson, subject),
    );
    expect(scope.message).toMatch(/answered 403 \(The request requires higher privileges.*lacks the scope/);
    const role = await failure(clientFor(standin, TOKENS.bob).json(`${WEB_APP}/variables`, anyJson, subject));
    expect(role.message).toMatch(/answered 403 \(403 Forbidden\).*Maintainer role/);
  });

  it('reads every page of a list', async () => {
    const variables = await clientFor(standin, TOKENS.ada).pages(
      `${WEB_APP}/variables`,
      z.object({ key: z.string() }),
      subject,
      {
        per_page: 2,
      },
    );
    expect(variables).toHaveLength(9);
    expect(
      standin.requests.filter((request) => request.path.endsWith('/variables')).length,
    ).toBeGreaterThanOrEqual(5);
  });

  it('refuses an answer that is not what the API documents', async () => {
    const error = await failure(
      clientFor(standin, TOKENS.ada).json(WEB_APP, z.object({ id: z.string() }), subject),
    );
    expect(error).toBeInstanceOf(GitlabResponseError);
    expect(error.message).toMatch(/unexpected answer \(id: /);
  });

  it('says an instance that is not there could not be reached', async () => {
    const client = new GitlabApiClient({
      url: 'https://127.0.0.1:1',
      token: tokenOf(TOKENS.ada),
      timeoutMs: 2_000,
      logger: createSilentLogger(),
      retries: 0,
    });
    const error = await failure(client.json('/version', anyJson, { what: 'version' }));
    expect(error).toBeInstanceOf(GitlabUnreachableError);
    expect(error.message).toBe(
      'version: https://127.0.0.1:1/api/v4/version could not be reached (ECONNREFUSED)',
    );
  });

  it('times out a request that takes too long', async () => {
    standin.setLatency(1_500);
    try {
      const client = new GitlabApiClient({
        url: standin.url,
        token: undefined,
        caFile: standin.caFile,
        timeoutMs: 300,
        logger: createSilentLogger(),
        retries: 0,
      });
      const error = await failure(client.json('/projects/acme%2Fcomponents%2Fcontainer', anyJson, subject));
      expect(error).toBeInstanceOf(GitlabUnreachableError);
      expect(error.message).toMatch(/could not be reached \(timed out/);
    } finally {
      standin.setLatency(0);
    }
  });
});
