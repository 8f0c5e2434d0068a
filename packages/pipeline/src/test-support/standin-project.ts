import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { configSchema, createSilentLogger } from '@glci/config';
import {
  connectGitlab,
  type GitlabConnection,
  type GitlabConnectionOptions,
  resolveGitlabInstance,
} from '@glci/gitlab';
import { cloneProject, type RunningStandin } from '@glci/gitlab-standin';

/** The stand-in fixture's tokens (tools/gitlab-standin/fixtures/instance.json). */
export const STANDIN_TOKENS = {
  /** ada: Maintainer of the acme group, scope api. */
  ada: 'glpat-ada-maintainer-0000001',
  /** bob: Developer of acme/platform/web-app (may not read CI/CD variables). */
  bob: 'glpat-bob-developer-0000004',
  revoked: 'glpat-ada-revoked-00000006',
  /** eve: belongs to nothing. */
  eve: 'glpat-eve-outsider-0000009',
} as const;

export const WEB_APP = 'acme/platform/web-app';

/** A checkout of the web app from the stand-in, as its developer has it. */
export async function checkoutWebApp(standin: RunningStandin, work: string): Promise<string> {
  const dir = mkdtempSync(path.join(work, 'web-app-'));
  await cloneProject(standin, WEB_APP, dir, { token: STANDIN_TOKENS.ada });
  return dir;
}

/**
 * glci's connection to the stand-in as `connectGitlab` makes it for a command: the instance from
 * `[gitlab] url` and `ca_file`, the token as `GITLAB_TOKEN` (`null`: none).
 */
export function standinConnection(
  standin: RunningStandin,
  glciHome: string,
  options: Partial<Omit<GitlabConnectionOptions, 'instance' | 'glciHome' | 'logger'>> & {
    token?: string | null;
  } = {},
): GitlabConnection {
  const { token = STANDIN_TOKENS.ada, ...rest } = options;
  const instance = resolveGitlabInstance({
    config: configSchema.parse({ gitlab: { url: standin.url, ca_file: standin.caFile, timeout: '10s' } })
      .gitlab,
    env: token ? { GITLAB_TOKEN: token } : {},
  });
  return connectGitlab({ instance, glciHome, logger: createSilentLogger(), ...rest });
}
