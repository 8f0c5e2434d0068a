import type { VariableEntry } from '../variables/layers.js';
import type { PipelineContext } from './pipeline-context.js';

/** GitLab's `*_SLUG`: lower case, non-alphanumerics to `-`, at most 63 characters, no edge dashes. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

export interface PipelineRuntimeIds {
  readonly pipelineId?: number;
  readonly pipelineIid?: number;
  readonly parentPipelineId?: number;
}

/**
 * The pipeline-level predefined variables GitLab sets for this context (what `rules:if` sees), and
 * only those: `CI_COMMIT_BRANCH` in branch pipelines, `CI_COMMIT_TAG` in tag pipelines, the
 * `CI_MERGE_REQUEST_*` set in merge request pipelines, `CI_ENVIRONMENT_NAME` with `env=NAME`.
 */
export function predefinedVariables(context: PipelineContext, ids: PipelineRuntimeIds = {}): VariableEntry[] {
  const { project, commit } = context;
  const server = new URL(project.serverUrl);
  const port = server.port || (server.protocol === 'http:' ? '80' : '443');
  const segments = project.path.split('/');
  const name = segments.at(-1)!;
  const namespace = segments.slice(0, -1).join('/');
  const projectUrl = `${project.serverUrl}/${project.path}`;
  const [title = '', ...rest] = commit.message.split('\n');
  const pipelineId = ids.pipelineId ?? 1;
  const values: [string, string][] = [
    ['CI', 'true'],
    ['GITLAB_CI', 'true'],
    ['CI_SERVER', 'yes'],
    ['CI_SERVER_URL', project.serverUrl],
    ['CI_SERVER_HOST', server.hostname],
    ['CI_SERVER_PORT', port],
    ['CI_SERVER_PROTOCOL', server.protocol.replace(':', '')],
    ['CI_SERVER_FQDN', server.host],
    ['CI_SERVER_NAME', 'GitLab'],
    ['CI_API_V4_URL', `${project.serverUrl}/api/v4`],
    ['CI_API_GRAPHQL_URL', `${project.serverUrl}/api/graphql`],
    ['CI_PROJECT_ID', String(project.id)],
    ['CI_PROJECT_NAME', name],
    ['CI_PROJECT_TITLE', name],
    ['CI_PROJECT_PATH', project.path],
    ['CI_PROJECT_PATH_SLUG', slugify(project.path)],
    ['CI_PROJECT_NAMESPACE', namespace],
    ['CI_PROJECT_ROOT_NAMESPACE', segments[0]!],
    ['CI_PROJECT_URL', projectUrl],
    ['CI_PROJECT_VISIBILITY', 'private'],
    ['CI_PROJECT_DIR', `/builds/${project.path}`],
    ['CI_DEFAULT_BRANCH', context.defaultBranch],
    ['CI_CONFIG_PATH', '.gitlab-ci.yml'],
    ['CI_PIPELINE_SOURCE', context.source],
    ['CI_PIPELINE_ID', String(pipelineId)],
    ['CI_PIPELINE_IID', String(ids.pipelineIid ?? pipelineId)],
    ['CI_PIPELINE_URL', `${projectUrl}/-/pipelines/${pipelineId}`],
    ['CI_COMMIT_SHA', commit.sha],
    ['CI_COMMIT_SHORT_SHA', commit.sha.slice(0, 8)],
    ['CI_COMMIT_BEFORE_SHA', context.beforeSha],
    ['CI_COMMIT_REF_NAME', context.ref],
    ['CI_COMMIT_REF_SLUG', slugify(context.ref)],
    [
      'CI_COMMIT_REF_PROTECTED',
      String(context.refType === 'branch' && context.ref === context.defaultBranch && !context.mergeRequest),
    ],
    ['CI_COMMIT_MESSAGE', commit.message],
    ['CI_COMMIT_TITLE', title],
    ['CI_COMMIT_DESCRIPTION', rest.join('\n').replace(/^\n+/, '')],
    ['CI_COMMIT_AUTHOR', `${commit.authorName} <${commit.authorEmail}>`],
    ['CI_COMMIT_TIMESTAMP', commit.timestamp],
    ['GITLAB_USER_LOGIN', 'glci'],
    ['GITLAB_USER_NAME', commit.authorName || 'glci'],
    ['GITLAB_USER_EMAIL', commit.authorEmail || 'glci@localhost'],
  ];
  if (context.mergeRequest) {
    const mr = context.mergeRequest;
    values.push(
      ['CI_MERGE_REQUEST_ID', String(mr.iid)],
      ['CI_MERGE_REQUEST_IID', String(mr.iid)],
      ['CI_MERGE_REQUEST_TITLE', mr.title],
      ['CI_MERGE_REQUEST_SOURCE_BRANCH_NAME', mr.sourceBranch],
      ['CI_MERGE_REQUEST_TARGET_BRANCH_NAME', mr.targetBranch],
      ['CI_MERGE_REQUEST_SOURCE_BRANCH_SHA', ''],
      ['CI_MERGE_REQUEST_TARGET_BRANCH_SHA', ''],
      ['CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED', 'false'],
      ['CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED', String(mr.targetBranch === context.defaultBranch)],
      ['CI_MERGE_REQUEST_EVENT_TYPE', 'detached'],
      ['CI_MERGE_REQUEST_DRAFT', 'false'],
      ['CI_MERGE_REQUEST_PROJECT_ID', String(project.id)],
      ['CI_MERGE_REQUEST_PROJECT_PATH', project.path],
      ['CI_MERGE_REQUEST_PROJECT_URL', projectUrl],
      ['CI_MERGE_REQUEST_SOURCE_PROJECT_ID', String(project.id)],
      ['CI_MERGE_REQUEST_SOURCE_PROJECT_PATH', project.path],
      ['CI_MERGE_REQUEST_SOURCE_PROJECT_URL', projectUrl],
      ['CI_MERGE_REQUEST_REF_PATH', `refs/merge-requests/${mr.iid}/head`],
    );
    if (mr.diffBaseSha) values.push(['CI_MERGE_REQUEST_DIFF_BASE_SHA', mr.diffBaseSha]);
  } else if (context.refType === 'tag') {
    values.push(['CI_COMMIT_TAG', context.ref]);
  } else if (context.source !== 'parent_pipeline' || context.refType === 'branch') {
    values.push(['CI_COMMIT_BRANCH', context.ref]);
  }
  if (context.environmentName)
    values.push(
      ['CI_ENVIRONMENT_NAME', context.environmentName],
      ['CI_ENVIRONMENT_SLUG', slugify(context.environmentName)],
    );
  if (ids.parentPipelineId !== undefined)
    values.push(['CI_PARENT_PIPELINE_ID', String(ids.parentPipelineId)]);
  return values.map(([name, value]) => ({ name, value }));
}
