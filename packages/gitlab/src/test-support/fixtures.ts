import { createSilentLogger } from '@glci/config';
import type { RunningStandin } from '@glci/gitlab-standin';
import { GitlabApiClient } from '../http/api-client.js';
import { GitlabToken } from '../token.js';

/** The stand-in fixture's tokens (tools/gitlab-standin/fixtures/instance.json). */
export const TOKENS = {
  /** ada: Maintainer of the acme group, scope api. */
  ada: 'glpat-ada-maintainer-0000001',
  /** ada, scope read_repository only. */
  adaRepositoryOnly: 'glpat-ada-read-repo-0000003',
  /** bob: Developer of acme/platform/web-app, scope read_api. */
  bob: 'glpat-bob-developer-0000004',
  /** root: an administrator. */
  root: 'glpat-root-admin-000000005',
  revoked: 'glpat-ada-revoked-00000006',
  /** The web-app's project access token (a bot, Maintainer of that project only). */
  projectBot: 'glpat-web-app-bot-0000008',
  /** eve: a user who belongs to nothing. */
  eve: 'glpat-eve-outsider-0000009',
  /** ada's OAuth token, scope read_api. */
  oauth: '5d0f6e2c9a1b4e7f8a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f',
} as const;

export function tokenOf(value: string): GitlabToken {
  return new GitlabToken(value, { kind: 'env', variable: 'GITLAB_TOKEN' });
}

/** An API client for the stand-in, trusting its test CA. */
export function clientFor(standin: RunningStandin, token?: string): GitlabApiClient {
  return new GitlabApiClient({
    url: standin.url,
    token: token === undefined ? undefined : tokenOf(token),
    caFile: standin.caFile,
    timeoutMs: 10_000,
    logger: createSilentLogger(),
    retries: 0,
  });
}
