import type { ExternalRegistries } from './external-registries.js';
import type { JobRecord } from './job-queue.js';
import type { Runner } from './runner-store.js';
import type { JobSpec } from './schemas.js';

/** One entry of the payload's `variables` (RUNNER `common/spec/spec.go` `Variable`). */
export interface JobVariable {
  key: string;
  value: string;
  public: boolean;
  masked?: boolean;
  file?: boolean;
  raw?: boolean;
}

export interface ServerContext {
  /** The mock's URL as jobs reach it, e.g. `http://host.docker.internal:39741`. */
  readonly serverUrl: URL;
  /** `host[:port]` of the registry (`CI_REGISTRY`); defaults to the server's host. */
  readonly registryHost: string;
  /** `DOCKER_REGISTRY_MIRROR`; defaults to the server URL. */
  readonly registryMirror: string;
  readonly serverVersion: string;
  /** Credentials of the registries jobs may use instead of the embedded one (in memory only). */
  readonly externalRegistries?: ExternalRegistries;
}

function pub(key: string, value: string | number | boolean): JobVariable {
  return { key, value: String(value), public: true };
}

function secret(key: string, value: string): JobVariable {
  return { key, value, public: false, masked: true };
}

/** GitLab's `*_SLUG`: lowercased, non-alphanumerics to `-`, at most 63 characters, no edge dashes. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

export function registryImage(server: ServerContext, projectPath: string): string {
  return `${server.registryHost}/${projectPath.toLowerCase()}`;
}

/** The repository URL with the job token as userinfo, as GitLab builds `repo_url`. */
export function repositoryUrl(server: ServerContext, projectPath: string, token: string): string {
  const url = new URL(`${trimSlash(server.serverUrl.pathname)}/${projectPath}.git`, server.serverUrl);
  url.username = 'gitlab-ci-token';
  url.password = token;
  return url.toString();
}

/**
 * The predefined variables GitLab sends (RAILS `Gitlab::Ci::Variables::Builder`), minus the ones the
 * runner adds itself (`CI_PROJECT_DIR`, `CI_BUILDS_DIR`, `CI_JOB_STATUS`, `CI_JOB_TIMEOUT`, …), plus
 * the mirror variables runner fleets set (`DOCKER_REGISTRY_MIRROR`, `KANIKO_MIRROR_ARGS`).
 */
export function predefinedVariables(
  server: ServerContext,
  job: JobRecord,
  runner: Runner,
  token: string,
): JobVariable[] {
  const { spec } = job;
  const base = trimSlash(server.serverUrl.toString());
  const projectUrl = `${base}/${spec.project.path}`;
  const namespace = spec.project.path.split('/').slice(0, -1).join('/');
  const projectName = spec.project.path.split('/').at(-1)!;
  const port = server.serverUrl.port || (server.serverUrl.protocol === 'https:' ? '443' : '80');
  const commit = spec.git.commit;
  const [title = '', ...rest] = commit.message.split('\n');
  const isTag = spec.git.ref_type === 'tag';
  const variables: JobVariable[] = [
    pub('CI', 'true'),
    pub('GITLAB_CI', 'true'),
    pub('CI_SERVER_URL', base),
    pub('CI_SERVER_HOST', server.serverUrl.hostname),
    pub('CI_SERVER_FQDN', server.serverUrl.host),
    pub('CI_SERVER_PORT', port),
    pub('CI_SERVER_PROTOCOL', server.serverUrl.protocol.replace(':', '')),
    pub('CI_SERVER_NAME', 'GitLab'),
    pub('CI_SERVER_VERSION', server.serverVersion),
    ...versionParts(server.serverVersion),
    pub('CI_API_V4_URL', `${base}/api/v4`),
    pub('CI_API_GRAPHQL_URL', `${base}/api/graphql`),
    pub('CI_PROJECT_ID', spec.project.id),
    pub('CI_PROJECT_NAME', projectName),
    pub('CI_PROJECT_TITLE', projectName),
    pub('CI_PROJECT_PATH', spec.project.path),
    pub('CI_PROJECT_PATH_SLUG', slugify(spec.project.path)),
    pub('CI_PROJECT_NAMESPACE', namespace),
    pub('CI_PROJECT_ROOT_NAMESPACE', spec.project.path.split('/')[0]!),
    pub('CI_PROJECT_URL', projectUrl),
    pub('CI_PROJECT_VISIBILITY', 'private'),
    pub('CI_DEFAULT_BRANCH', spec.project.default_branch),
    pub('CI_CONFIG_PATH', '.gitlab-ci.yml'),
    { key: 'CI_REPOSITORY_URL', value: repositoryUrl(server, spec.project.path, token), public: false },
    pub('CI_PIPELINE_ID', spec.pipeline.id),
    pub('CI_PIPELINE_IID', spec.pipeline.iid ?? spec.pipeline.id),
    pub('CI_PIPELINE_SOURCE', spec.pipeline.source),
    pub('CI_PIPELINE_URL', `${projectUrl}/-/pipelines/${spec.pipeline.id}`),
    pub('CI_PIPELINE_CREATED_AT', spec.pipeline.created_at ?? isoSeconds(job.createdAt)),
    ...(spec.pipeline.name ? [pub('CI_PIPELINE_NAME', spec.pipeline.name)] : []),
    pub('CI_COMMIT_SHA', spec.git.sha),
    pub('CI_COMMIT_SHORT_SHA', spec.git.sha.slice(0, 8)),
    pub('CI_COMMIT_BEFORE_SHA', spec.git.before_sha ?? '0'.repeat(40)),
    pub('CI_COMMIT_REF_NAME', spec.git.ref),
    pub('CI_COMMIT_REF_SLUG', slugify(spec.git.ref)),
    // GitLab sets neither in a merge request pipeline (the ref is the MR's source branch there).
    ...(isTag
      ? [pub('CI_COMMIT_TAG', spec.git.ref)]
      : isMergeRequest(spec)
        ? []
        : [pub('CI_COMMIT_BRANCH', spec.git.ref)]),
    pub('CI_COMMIT_REF_PROTECTED', spec.git.protected),
    pub('CI_COMMIT_MESSAGE', commit.message),
    pub('CI_COMMIT_TITLE', title),
    pub('CI_COMMIT_DESCRIPTION', rest.join('\n').replace(/^\n+/, '')),
    pub('CI_COMMIT_AUTHOR', commit.author_name ? `${commit.author_name} <${commit.author_email}>` : ''),
    ...(commit.timestamp ? [pub('CI_COMMIT_TIMESTAMP', commit.timestamp)] : []),
    pub('CI_JOB_ID', job.id),
    pub('CI_JOB_URL', `${projectUrl}/-/jobs/${job.id}`),
    secret('CI_JOB_TOKEN', token),
    pub('CI_JOB_STARTED_AT', isoSeconds(job.startedAt ?? job.createdAt)),
    pub('CI_JOB_NAME', spec.name),
    pub('CI_JOB_NAME_SLUG', slugify(spec.name)),
    pub('CI_JOB_STAGE', spec.stage),
    ...(spec.node ? [pub('CI_NODE_INDEX', spec.node.index), pub('CI_NODE_TOTAL', spec.node.total)] : []),
    ...(spec.environment
      ? [pub('CI_ENVIRONMENT_NAME', spec.environment), pub('CI_ENVIRONMENT_SLUG', slugify(spec.environment))]
      : []),
    // A project without the container registry (`glci run --no-registry`) gets none of these,
    // as on GitLab when the registry is off, so jobs that test `$CI_REGISTRY` take their other path.
    ...(spec.registry ? registryVariables(server, spec, token) : []),
    ...(spec.registry
      ? [
          pub('CI_DEPENDENCY_PROXY_SERVER', server.registryHost),
          pub('CI_DEPENDENCY_PROXY_USER', 'gitlab-ci-token'),
          secret('CI_DEPENDENCY_PROXY_PASSWORD', token),
        ]
      : []),
    pub('CI_RUNNER_ID', runner.id),
    pub('CI_RUNNER_DESCRIPTION', runner.description),
    pub('CI_RUNNER_TAGS', JSON.stringify(runner.tags)),
    pub('GITLAB_USER_ID', 1),
    pub('GITLAB_USER_LOGIN', 'glci'),
    pub('GITLAB_USER_NAME', commit.author_name || 'glci'),
    pub('GITLAB_USER_EMAIL', commit.author_email || 'glci@localhost'),
    ...(spec.registry
      ? [
          pub('DOCKER_REGISTRY_MIRROR', server.registryMirror),
          pub('KANIKO_MIRROR_ARGS', kanikoMirrorArgs(server)),
        ]
      : []),
  ];
  return variables;
}

/**
 * `CI_REGISTRY*`: the embedded registry with the job token, or the external registry with its own
 * credentials (none when it takes anonymous pushes). The dependency proxy stays the embedded
 * registry's pull-through cache either way: it only ever pulls.
 */
function registryVariables(server: ServerContext, spec: JobSpec, token: string): JobVariable[] {
  const external = spec.external_registry;
  if (!external) {
    return [
      pub('CI_REGISTRY', server.registryHost),
      pub('CI_REGISTRY_IMAGE', registryImage(server, spec.project.path)),
      pub('CI_REGISTRY_USER', 'gitlab-ci-token'),
      secret('CI_REGISTRY_PASSWORD', token),
    ];
  }
  const credentials = server.externalRegistries?.get(external.host);
  return [
    pub('CI_REGISTRY', external.host),
    pub('CI_REGISTRY_IMAGE', `${external.host}/${spec.project.path.toLowerCase()}`),
    // Raw: a password is not a variable reference, whatever `$` it holds (the runner would expand it).
    ...(credentials
      ? [
          { ...pub('CI_REGISTRY_USER', credentials.username), raw: true },
          { ...secret('CI_REGISTRY_PASSWORD', credentials.password), raw: true },
        ]
      : []),
  ];
}

function isMergeRequest(spec: JobSpec): boolean {
  return spec.pipeline.source === 'merge_request_event';
}

/**
 * Kaniko's flags for the mirror: `--registry-mirror` takes a host, and a plain-HTTP mirror (the
 * mock's registry) must also be named with `--insecure-registry`, or kaniko talks TLS to it.
 */
function kanikoMirrorArgs(server: ServerContext): string {
  const args = `--registry-mirror ${server.registryHost}`;
  return server.serverUrl.protocol === 'http:' ? `${args} --insecure-registry ${server.registryHost}` : args;
}

/** Variables given in a job spec (`variables` or `pipeline_variables`) as payload entries. */
export function userVariables(variables: JobSpec['variables']): JobVariable[] {
  return Object.entries(variables).map(([key, value]) => {
    if (typeof value === 'string') return { key, value, public: true };
    const raw = value.raw ?? value.expand === false;
    return {
      key,
      value: value.value,
      public: value.public,
      ...(value.masked ? { masked: true } : {}),
      ...(value.file ? { file: true } : {}),
      ...(raw ? { raw: true } : {}),
    };
  });
}

function versionParts(version: string): JobVariable[] {
  const [major = '0', minor = '0', patch = '0'] = version.split(/[.-]/);
  return [
    { key: 'CI_SERVER_VERSION_MAJOR', value: major, public: true },
    { key: 'CI_SERVER_VERSION_MINOR', value: minor, public: true },
    { key: 'CI_SERVER_VERSION_PATCH', value: patch, public: true },
  ];
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function trimSlash(text: string): string {
  return text.replace(/\/+$/, '');
}
