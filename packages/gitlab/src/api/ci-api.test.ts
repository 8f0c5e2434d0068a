import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, TOKENS } from '../test-support/fixtures.js';
import { getCiTemplate, listGroupVariables, listInstanceVariables, listProjectVariables } from './ci-api.js';

// GitLab cannot run here; the stand-in answers as GitLab's API documentation says (see its tests).
let standin: RunningStandin;
beforeAll(async () => {
  standin = await startGitlabStandin();
});
afterAll(() => standin?.close());

describe('CI endpoints', () => {
  it('reads a template by its name, without a token', async () => {
    const content = await getCiTemplate(clientFor(standin), 'Security/License-Check.gitlab-ci.yml');
    expect(content).toContain('template: Jobs/License-Check.gitlab-ci.yml');
    expect(standin.requests.at(-1)?.path).toBe('/api/v4/templates/gitlab_ci_ymls/Security%2FLicense-Check');
  });

  it('reads project variables with every attribute, a hidden value as null', async () => {
    const variables = await listProjectVariables(clientFor(standin, TOKENS.ada), 'acme/platform/web-app');
    expect(variables.find((v) => v.key === 'KUBECONFIG_STAGING')).toMatchObject({
      variable_type: 'file',
      masked: false,
    });
    expect(variables.find((v) => v.key === 'SIGNING_KEY')).toMatchObject({
      hidden: true,
      value: null,
      masked: true,
    });
    expect(variables.filter((v) => v.key === 'DEPLOY_URL').map((v) => v.environment_scope)).toEqual([
      '*',
      'production',
      'review/*',
    ]);
  });

  it('reads group variables, and instance variables as an administrator', async () => {
    const groups = await listGroupVariables(clientFor(standin, TOKENS.ada), 'acme/platform');
    expect(groups.map((v) => v.key)).toContain('KUBE_CONTEXT');
    const instance = await listInstanceVariables(clientFor(standin, TOKENS.root));
    expect(instance[0]).toMatchObject({ key: 'ACME_HTTP_PROXY' });
    await expect(listInstanceVariables(clientFor(standin, TOKENS.ada))).rejects.toMatchObject({
      status: 403,
    });
  });
});
