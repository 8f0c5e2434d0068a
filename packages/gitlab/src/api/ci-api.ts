import type { GitlabApiClient } from '../http/api-client.js';
import { projectId } from './repository-api.js';
import { type ApiVariable, ciTemplateSchema, variableSchema } from './schemas.js';

/**
 * `GET /templates/gitlab_ci_ymls/:key` (templates/gitlab_ci_ymls.md): a CI template as this
 * instance serves it. `Jobs/Build.gitlab-ci.yml` is asked for as the key `Jobs/Build`.
 */
export async function getCiTemplate(client: GitlabApiClient, name: string): Promise<string> {
  const key = name.replace(/\.gitlab-ci\.yml$/, '');
  const template = await client.json(
    `/templates/gitlab_ci_ymls/${encodeURIComponent(key)}`,
    ciTemplateSchema,
    {
      what: `CI template ${name}`,
    },
  );
  return template.content;
}

/** `GET /projects/:id/variables`, every page (project_level_variables.md). */
export function listProjectVariables(client: GitlabApiClient, project: string): Promise<ApiVariable[]> {
  return client.pages(`/projects/${projectId(project)}/variables`, variableSchema, {
    what: 'CI/CD variables',
    project,
  });
}

/** `GET /groups/:id/variables`, every page (group_level_variables.md). */
export function listGroupVariables(client: GitlabApiClient, group: string): Promise<ApiVariable[]> {
  return client.pages(`/groups/${encodeURIComponent(group)}/variables`, variableSchema, {
    what: 'CI/CD variables',
    group,
  });
}

/** `GET /admin/ci/variables`, every page (instance_level_ci_variables.md); administrators only. */
export function listInstanceVariables(client: GitlabApiClient): Promise<ApiVariable[]> {
  return client.pages('/admin/ci/variables', variableSchema, { what: 'instance CI/CD variables' });
}
