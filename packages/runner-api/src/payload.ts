import type { ArtifactRecord } from './artifact-store.js';
import type { JobRecord } from './job-queue.js';
import type { Runner } from './runner-store.js';
import type { JobSpec } from './schemas.js';
import {
  type JobVariable,
  predefinedVariables,
  repositoryUrl,
  type ServerContext,
  userVariables,
} from './variables.js';

/** Every failure reason the runner knows, so it reports the precise one (pitfall 8). */
export const FAILURE_REASONS = [
  'script_failure',
  'runner_system_failure',
  'job_execution_timeout',
  'image_pull_failure',
  'unknown_failure',
  'runner_configuration_error',
  'runner_external_dependency_failure',
  'runner_interrupted',
  'job_canceled',
] as const;

export interface PayloadDependency {
  readonly job: JobRecord;
  readonly artifact: ArtifactRecord | undefined;
  /** The variables of the dependency's `dotenv` report, if it uploaded one. */
  readonly dotenv?: readonly (readonly [string, string])[];
}

export interface PayloadInput {
  readonly job: JobRecord;
  readonly token: string;
  readonly runner: Runner;
  readonly server: ServerContext;
  readonly dependencies: readonly PayloadDependency[];
  readonly now: number;
  /** The job's signed `id_tokens`, by variable name (see `IdTokenIssuer`). */
  readonly idTokens?: readonly { readonly key: string; readonly value: string }[];
}

/**
 * The `201` body of `POST /jobs/request`, shaped as the runner's `spec.Job` decodes it. Never
 * carries `run` (a present-but-empty value breaks decoding), keeps `executor_opts.docker` to
 * `platform`/`user`, and builds steps as GitLab does: `before_script` + `script` in one `script`
 * step, `after_script` as its own `always` step.
 */
export function buildJobPayload(input: PayloadInput): Record<string, unknown> {
  const { job, token, runner, server } = input;
  const { spec } = job;
  // GitLab's precedence, lowest first (the runner lets a later entry win): predefined, the YAML's
  // variables, dotenv reports of the dependencies (in dependency order), then pipeline-level
  // variables, which dotenv reports do not override.
  const variables = dedupeVariables([
    ...predefinedVariables(server, job, runner, token),
    // GitLab adds the ID tokens with the job's own variables, masked.
    ...(input.idTokens ?? []).map(
      ({ key, value }): JobVariable => ({ key, value, public: false, masked: true }),
    ),
    ...userVariables(spec.variables),
    ...input.dependencies.flatMap(({ dotenv }) =>
      (dotenv ?? []).map(([key, value]): JobVariable => ({ key, value, public: true })),
    ),
    ...userVariables(spec.pipeline_variables),
  ]);
  const steps: Record<string, unknown>[] = [
    {
      name: 'script',
      script: [...spec.before_script, ...spec.script],
      timeout: spec.timeout,
      when: 'on_success',
      allow_failure: false,
    },
  ];
  if (spec.after_script.length > 0) {
    steps.push({
      name: 'after_script',
      script: spec.after_script,
      timeout: spec.timeout,
      when: 'always',
      allow_failure: true,
    });
  }
  return {
    id: job.id,
    token,
    allow_git_fetch: true,
    job_info: {
      id: job.id,
      name: spec.name,
      stage: spec.stage,
      project_id: spec.project.id,
      project_name: spec.project.path.split('/').at(-1),
      project_full_path: spec.project.path,
      pipeline_id: spec.pipeline.id,
      time_in_queue_seconds: Math.max(0, Math.round((input.now - job.createdAt) / 1000)),
    },
    git_info: {
      repo_url: repositoryUrl(server, spec.project.path, token),
      ref: spec.git.ref,
      sha: spec.git.sha,
      before_sha: spec.git.before_sha ?? '0'.repeat(40),
      ref_type: spec.git.ref_type,
      refspecs: spec.git.refspecs ?? defaultRefspecs(spec),
      depth: spec.git.depth,
      repo_object_format: spec.git.object_format,
      protected: spec.git.protected,
    },
    runner_info: { timeout: effectiveTimeout(spec, runner) },
    variables,
    steps,
    image: spec.image ? imagePayload(spec.image) : { name: '' },
    services: spec.services.map(servicePayload),
    artifacts: artifactsPayload(spec),
    cache: cachePayload(spec),
    credentials: [
      { type: 'registry', url: server.registryHost, username: 'gitlab-ci-token', password: token },
      ...externalRegistryCredentials(server, spec),
      ...spec.credentials.map((credential) => ({ type: 'registry', ...credential })),
    ],
    dependencies: input.dependencies
      .filter((dependency) => dependency.artifact !== undefined)
      .map(({ job: dependency, artifact }) => ({
        id: dependency.id,
        name: dependency.spec.name,
        // The running job's token: it is the one that is valid while the download happens.
        token,
        artifacts_file: { filename: artifact!.filename, size: artifact!.size },
      })),
    features: {
      trace_sections: true,
      failure_reasons: [...FAILURE_REASONS],
      token_mask_prefixes: ['glcbt-', 'glrt-'],
    },
  };
}

/** One entry per key, the last one (the one the runner would use), kept in first-seen order. */
function dedupeVariables(variables: readonly JobVariable[]): JobVariable[] {
  const byKey = new Map<string, JobVariable>();
  for (const variable of variables) byKey.set(variable.key, variable);
  return [...byKey.values()];
}

/** GitLab's refspecs: the pipeline ref plus the branch (or tag); both exist on glci's git server. */
export function defaultRefspecs(spec: JobSpec): string[] {
  const pipelineRef = `refs/pipelines/${spec.pipeline.id}`;
  const ref =
    spec.git.ref_type === 'tag'
      ? `+refs/tags/${spec.git.ref}:refs/tags/${spec.git.ref}`
      : `+refs/heads/${spec.git.ref}:refs/remotes/origin/${spec.git.ref}`;
  return [`+${pipelineRef}:${pipelineRef}`, ref];
}

function effectiveTimeout(spec: JobSpec, runner: Runner): number {
  return runner.maximumTimeout ? Math.min(spec.timeout, runner.maximumTimeout) : spec.timeout;
}

type ImageSpec = NonNullable<JobSpec['image']>;
type ServiceSpec = JobSpec['services'][number];

function imagePayload(image: ImageSpec): Record<string, unknown> {
  const payload: Record<string, unknown> = { name: image.name };
  if ('entrypoint' in image && image.entrypoint) payload.entrypoint = image.entrypoint;
  if ('command' in image && image.command) payload.command = image.command;
  if ('ports' in image && image.ports) payload.ports = image.ports;
  if ('pull_policy' in image && image.pull_policy) {
    payload.pull_policy = Array.isArray(image.pull_policy) ? image.pull_policy : [image.pull_policy];
  }
  if ('docker' in image && image.docker) {
    const docker: Record<string, string> = {};
    if (image.docker.platform) docker.platform = image.docker.platform;
    if (image.docker.user) docker.user = image.docker.user;
    if (Object.keys(docker).length > 0) payload.executor_opts = { docker };
  }
  return payload;
}

function servicePayload(service: ServiceSpec): Record<string, unknown> {
  const payload = imagePayload(service);
  if ('alias' in service && service.alias) payload.alias = service.alias;
  if ('variables' in service && service.variables) {
    payload.variables = Object.entries(service.variables).map(([key, value]) =>
      typeof value === 'string' ? { key, value } : { key, value: value.value },
    );
  }
  return payload;
}

function artifactsPayload(spec: JobSpec): Record<string, unknown>[] {
  const artifacts = spec.artifacts;
  if (!artifacts) return [];
  const entries: Record<string, unknown>[] = [];
  if (artifacts.paths.length > 0 || artifacts.untracked) {
    entries.push({
      name: artifacts.name ?? 'artifacts',
      untracked: artifacts.untracked,
      paths: artifacts.paths,
      exclude: artifacts.exclude,
      when: artifacts.when,
      artifact_type: 'archive',
      artifact_format: 'zip',
      ...(artifacts.expire_in ? { expire_in: artifacts.expire_in } : {}),
    });
  }
  for (const [type, paths] of Object.entries(artifacts.reports)) {
    entries.push({
      name: type,
      untracked: false,
      paths: Array.isArray(paths) ? paths : [paths],
      when: 'always',
      artifact_type: type,
      artifact_format: 'gzip',
      ...(artifacts.expire_in ? { expire_in: artifacts.expire_in } : {}),
    });
  }
  return entries;
}

function cachePayload(spec: JobSpec): Record<string, unknown>[] {
  if (!spec.cache) return [];
  const caches = Array.isArray(spec.cache) ? spec.cache : [spec.cache];
  return caches.map((cache) => {
    // GitLab separates protected and unprotected caches unless `unprotect: true`.
    const suffix = cache.unprotect ? '' : spec.git.protected ? '-protected' : '-non_protected';
    return {
      key: `${cache.key ?? 'default'}${suffix}`,
      untracked: cache.untracked,
      policy: cache.policy,
      paths: cache.paths,
      when: cache.when,
      fallback_keys: cache.fallback_keys.map((key) => `${key}${suffix}`),
    };
  });
}

/** The external registry's login for the runner's image pulls (`image: $CI_REGISTRY_IMAGE/…`). */
function externalRegistryCredentials(server: ServerContext, spec: JobSpec) {
  const host = spec.external_registry?.host;
  const credentials = host === undefined ? undefined : server.externalRegistries?.get(host);
  return host !== undefined && credentials
    ? [{ type: 'registry', url: host, username: credentials.username, password: credentials.password }]
    : [];
}
