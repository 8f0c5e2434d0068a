import type { JobSpecInput } from '@glci/runner-api';
import { type PipelineIssue, PipelineUsageError, UnsupportedFeatureError } from './errors.js';
import type { PipelinePlan, PlannedJob } from './plan/plan-types.js';
import { expandText } from './variables/expand.js';
import {
  PIPELINE_LEVEL_SOURCES,
  type ResolvedVariables,
  resolveVariables,
  type VariableLayer,
} from './variables/layers.js';

/** What only the daemon knows when it dispatches a job. */
export interface JobRuntime {
  readonly pipelineId: number;
  readonly pipelineIid?: number;
  readonly pipelineCreatedAt?: string;
  readonly projectPath: string;
  readonly projectId?: number;
  /** Overrides the plan's ref and commit (e.g. a pushed snapshot of a dirty tree). */
  readonly ref?: string;
  readonly sha?: string;
  /** Ids of the jobs whose artifacts this job downloads (see `artifactSources`). */
  readonly dependencyIds?: readonly number[];
  /** Extra layers, e.g. `dotenv` reports of the jobs it depends on. */
  readonly extraLayers?: readonly VariableLayer[];
}

/**
 * The job's variables resolved with provenance: every layer of the plan plus `extra` (the daemon's
 * `dotenv` layers), ordered by glci's precedence. `value` is expanded as the runner would.
 */
export function resolveJobVariables(
  job: Pick<PlannedJob, 'variables'>,
  extra: readonly VariableLayer[] = [],
): ResolvedVariables {
  return resolveVariables([...job.variables, ...extra]);
}

/**
 * The jobs whose artifacts `job` downloads, as GitLab picks them: `dependencies` when given, else
 * the `needs` with `artifacts: true`, else every job of earlier stages.
 */
export function artifactSources(plan: Pick<PipelinePlan, 'jobs'>, job: PlannedJob): string[] {
  if (job.dependencies) return [...job.dependencies];
  if (job.needs) return job.needs.filter((need) => need.artifacts).map((need) => need.job);
  return plan.jobs.filter((other) => other.stageIndex < job.stageIndex).map((other) => other.name);
}

/** Predefined variables the runner API does not derive from the spec itself. */
const CONTEXT_ONLY =
  /^(?:CI_MERGE_REQUEST_|CI_PARENT_PIPELINE_ID$|CI_JOB_MANUAL$|CI_ENVIRONMENT_(?:URL|ACTION|TIER)$)/;

/**
 * A planned job as `@glci/runner-api`'s `JobSpecInput`: scripts, image and services, caches with
 * their resolved keys (re-expanded with the runtime's extra variables), artifacts, and the
 * variables that are not predefined (unexpanded: the runner expands them; `expand: false` ones are
 * sent raw), split where the mock inserts the dotenv reports of the job's dependencies: the YAML's
 * in `variables`, those that outrank dotenv in `pipeline_variables`. Trigger jobs run no script
 * and have no job spec.
 */
export function toJobSpec(
  plan: Pick<PipelinePlan, 'context' | 'name'>,
  job: PlannedJob,
  runtime: JobRuntime,
): JobSpecInput {
  if (job.trigger)
    throw new PipelineUsageError(
      `${job.name} is a trigger job: it starts a downstream pipeline and has no runner job spec`,
    );
  const resolved = resolveJobVariables(job, runtime.extraLayers);
  const variables: NonNullable<JobSpecInput['variables']> = {};
  const pipelineVariables: NonNullable<JobSpecInput['pipeline_variables']> = {};
  for (const variable of resolved.variables.values()) {
    const predefined = variable.source === 'predefined' || variable.source === 'job-predefined';
    if (predefined && !CONTEXT_ONLY.test(variable.name)) continue;
    const { entry } = variable;
    const target = PIPELINE_LEVEL_SOURCES.has(variable.source) ? pipelineVariables : variables;
    target[variable.name] =
      entry.raw || entry.masked || entry.file || entry.ciCd
        ? {
            value: entry.value,
            masked: entry.masked ?? false,
            file: entry.file ?? false,
            ...(entry.raw ? { raw: true } : {}),
            // A CI/CD variable of the instance: the mock keeps it in memory only.
            ...(entry.ciCd ? { secret: true } : {}),
          }
        : entry.value;
  }
  const lookup = (name: string) => resolved.get(name);
  const context = plan.context;
  const caches = job.caches.map((cache) => ({
    key: cache.keyTemplate !== undefined ? expandText(cache.keyTemplate, lookup) || 'default' : cache.key,
    fallback_keys: [...cache.fallbackKeys],
    paths: [...cache.paths],
    untracked: cache.untracked,
    policy: cache.policy,
    when: cache.when,
    unprotect: cache.unprotect,
  }));
  return {
    name: job.name,
    stage: job.stage,
    project: { path: runtime.projectPath, id: runtime.projectId ?? 1, default_branch: context.defaultBranch },
    pipeline: {
      id: runtime.pipelineId,
      ...(runtime.pipelineIid !== undefined ? { iid: runtime.pipelineIid } : {}),
      source: context.source,
      ...(runtime.pipelineCreatedAt ? { created_at: runtime.pipelineCreatedAt } : {}),
      ...(plan.name ? { name: plan.name } : {}),
    },
    git: {
      ref: runtime.ref ?? context.ref,
      sha: runtime.sha ?? context.sha,
      ...(/^0+$/.test(context.beforeSha) ? {} : { before_sha: context.beforeSha }),
      ref_type: context.refType,
      // The instance's protected branches and tags when glci read them; else the default branch.
      protected:
        context.protectedRef ??
        (context.refType === 'branch' && context.ref === context.defaultBranch && !context.mergeRequest),
      commit: {
        message: context.commit.message,
        author_name: context.commit.authorName,
        author_email: context.commit.authorEmail,
        timestamp: context.commit.timestamp,
      },
    },
    ...(job.image ? { image: imageSpec(job.image) } : {}),
    services: job.services.map((service) => ({
      ...imageSpec(service),
      ...(service.alias ? { alias: service.alias } : {}),
      ...(service.command ? { command: [...service.command] } : {}),
      ...(service.variables ? { variables: { ...service.variables } } : {}),
    })),
    variables,
    ...(Object.keys(pipelineVariables).length > 0 ? { pipeline_variables: pipelineVariables } : {}),
    before_script: [...job.beforeScript],
    script: [...job.script],
    after_script: [...job.afterScript],
    ...(job.artifacts
      ? {
          artifacts: {
            ...(job.artifacts.name !== undefined ? { name: job.artifacts.name } : {}),
            paths: [...job.artifacts.paths],
            exclude: [...job.artifacts.exclude],
            untracked: job.artifacts.untracked,
            when: job.artifacts.when,
            ...(job.artifacts.expireIn !== undefined ? { expire_in: job.artifacts.expireIn } : {}),
            reports: Object.fromEntries(
              Object.entries(job.artifacts.reports).map(([type, files]) => [type, [...files]]),
            ),
          },
        }
      : {}),
    ...(caches.length > 0 ? { cache: caches } : {}),
    dependencies: [...(runtime.dependencyIds ?? [])],
    timeout: job.timeoutSeconds,
    tags: [...job.tags],
    ...(job.environment ? { environment: job.environment.name } : {}),
    ...(job.parallel ? { node: { index: job.parallel.index, total: job.parallel.total } } : {}),
    ...(job.idTokens
      ? {
          id_tokens: Object.fromEntries(
            Object.entries(job.idTokens).map(([name, aud]) => [
              name,
              { aud: aud.length === 1 ? aud[0]! : [...aud] },
            ]),
          ),
        }
      : {}),
  };
}

/**
 * What `glci run` cannot do, though the plan is what GitLab would create: `secrets:` (GitLab fetches
 * them from a secret manager), and `needs:pipeline` in a pipeline that has no parent pipeline to
 * take artifacts from. (`needs:project` artifacts are downloaded from the GitLab instance, and a
 * child's `needs:pipeline: $PARENT_PIPELINE_ID` takes them from its parent.) Throws
 * `UnsupportedFeatureError` naming every such job, before any job runs.
 */
export function assertRunnable(plan: Pick<PipelinePlan, 'jobs' | 'context'>): void {
  const issues: PipelineIssue[] = [];
  const visit = (jobs: readonly PlannedJob[], child: boolean) => {
    for (const job of jobs) {
      const at = job.location ? { location: job.location } : {};
      if (job.secrets?.length)
        issues.push({
          keyPath: `jobs:${job.definitionName}:secrets`,
          message: `secrets (${job.secrets.join(', ')}) come from a secret manager through GitLab, which glci run cannot reach; pass them with --env or .glci.env`,
          ...at,
        });
      const fromPipelines = (job.crossNeeds ?? []).filter((need) => need.pipeline !== undefined);
      if (!child && fromPipelines.length > 0)
        issues.push({
          keyPath: `jobs:${job.definitionName}:needs`,
          message: `needs:pipeline (${fromPipelines.map((need) => need.job).join(', ')}) takes artifacts from the parent pipeline ($PARENT_PIPELINE_ID), and this pipeline is not a child pipeline`,
          ...at,
        });
      if (job.trigger?.pipeline) visit(job.trigger.pipeline.jobs, job.trigger.kind === 'child' || child);
    }
  };
  visit(plan.jobs, plan.context.source === 'parent_pipeline');
  if (issues.length > 0) throw new UnsupportedFeatureError(issues);
}

function imageSpec(image: NonNullable<PlannedJob['image']>) {
  return {
    name: image.name,
    ...(image.entrypoint ? { entrypoint: [...image.entrypoint] } : {}),
    ...(image.pull_policy ? { pull_policy: [...image.pull_policy] } : {}),
    ...(image.docker ? { docker: { ...image.docker } } : {}),
  };
}
