import path from 'node:path';
import { createProjectFiles } from './config/project-files.js';
import { type PipelineContext, resolvePipelineContext } from './context/pipeline-context.js';
import { PipelineConfigError, PipelineUsageError } from './errors.js';
import { createGitCli, findRepositoryRoot } from './git/git-cli.js';
import { withServer } from './open-project.js';
import type { PipelinePlan, PlannedJobDraft, PlannedTrigger } from './plan/plan-types.js';
import type { PlanRun } from './plan-request.js';
import { resolveVariables, type VariableLayer } from './variables/layers.js';

/** GitLab nests child pipelines at most this deep (glci's documented cap). */
export const MAX_CHILD_DEPTH = 2;

/**
 * A trigger job's downstream pipeline: a child pipeline from its `trigger: include:` entries (any
 * kind GitLab takes: local, project, component, template, remote), or left to be planned once the
 * job that generates it has run (`artifact:`); a `trigger: project:` pipeline from a mapped local
 * checkout, or from a clone of the project on the GitLab instance.
 */
export async function planTrigger(
  run: PlanRun,
  job: PlannedJobDraft,
  // The caller's planner (plan-project's planWithContext) is passed in so this module never imports it back.
  planChild: (run: PlanRun) => Promise<PipelinePlan>,
): Promise<PlannedTrigger | undefined> {
  const trigger = job.definition.trigger;
  if (!trigger) return undefined;
  const depth = run.context.depth + 1;
  const forwarded = forwardedLayers(run, job);
  if (trigger.kind === 'child') {
    if (depth > MAX_CHILD_DEPTH)
      throw new PipelineConfigError([
        {
          keyPath: `jobs:${job.definitionName}:trigger`,
          message: `child pipeline nesting depth ${depth + 1} exceeds maximum ${MAX_CHILD_DEPTH}`,
          ...(job.location ? { location: job.location } : {}),
        },
      ]);
    const common = {
      kind: 'child' as const,
      forward: trigger.forward,
      ...(trigger.strategy ? { strategy: trigger.strategy } : {}),
    };
    const artifact = trigger.include.find((include) => include.kind === 'artifact');
    if (artifact?.kind === 'artifact')
      return {
        ...common,
        dynamic: {
          job: artifact.job,
          artifact: artifact.artifact,
          includes: trigger.include,
          layers: forwarded,
          depth,
        },
      };
    const pipeline = await planChild({
      ...run,
      context: { ...run.context, source: 'parent_pipeline', depth },
      file: `${job.name}:trigger:include`,
      text: undefined,
      includes: trigger.include,
      inputs: {},
      layers: forwarded,
    });
    return { ...common, pipeline };
  }
  const common = {
    kind: 'project' as const,
    project: trigger.project,
    forward: trigger.forward,
    ...(trigger.strategy ? { strategy: trigger.strategy } : {}),
    ...(trigger.branch ? { branch: trigger.branch } : {}),
  };
  if (depth > MAX_CHILD_DEPTH) return common;
  const mapping = run.options.projects?.[trigger.project];
  const branch = trigger.branch ?? mapping?.branch;
  let dir: string | undefined;
  if (mapping) dir = path.resolve(run.context.project.dir, mapping.dir);
  else dir = await run.options.gitlab?.checkout?.(trigger.project, trigger.branch);
  if (!dir) return common;
  const root = await findRepositoryRoot(dir).catch(() => {
    throw new PipelineUsageError(
      mapping
        ? `[projects."${trigger.project}"] dir = "${mapping.dir}" is not a git repository`
        : `the checkout of ${trigger.project} in ${dir} is not a git repository`,
    );
  });
  const git = createGitCli(root);
  const context = withServer(
    await resolvePipelineContext({
      spec: branch ? { kind: 'branch', name: branch } : { kind: 'branch' },
      git,
      projectDir: root,
      projectPath: trigger.project,
      dirty: run.context.dirty,
    }),
    run.options.gitlab?.serverUrl,
  );
  const downstream: PipelineContext = { ...context, source: 'pipeline', depth };
  const pipeline = await planChild({
    ...run,
    context: downstream,
    git,
    files: createProjectFiles({ root, git, dirty: run.context.dirty }),
    file: '.gitlab-ci.yml',
    text: undefined,
    includes: undefined,
    inputs: {},
    layers: forwarded,
  });
  return { ...common, pipeline };
}

/** What a trigger job forwards (`forward:`): its YAML variables, and the pipeline's own when asked. */
function forwardedLayers(run: PlanRun, job: PlannedJobDraft): VariableLayer[] {
  const trigger = job.definition.trigger!;
  const forwarded: VariableLayer[] = [];
  if (trigger.forward.yamlVariables) {
    const jobVariables = resolveVariables(job.variables);
    const yaml = job.variables.filter(
      (layer) => layer.source === 'yaml-global' || layer.source === 'yaml-job',
    );
    // Expanded as GitLab forwards them, except through CI/CD variables: the child (of the same
    // project) expands those itself, and their values stay out of the plan.
    const ciCd = new Set(
      job.variables.flatMap((layer) =>
        layer.entries.filter((entry) => entry.ciCd).map((entry) => entry.name),
      ),
    );
    const readsCiCd = (value: string) =>
      [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].some((match) => ciCd.has(match[1]!));
    forwarded.push({
      source: 'parent-pipeline',
      label: `forwarded by ${job.name} (yaml_variables)`,
      entries: yaml.flatMap((layer) =>
        layer.entries.map((entry) =>
          readsCiCd(entry.value) ? entry : { ...entry, value: jobVariables.get(entry.name) ?? entry.value },
        ),
      ),
    });
  }
  if (trigger.forward.pipelineVariables)
    forwarded.push(
      ...run.layers.filter((layer) => ['cli-env', 'env-file', 'glci-env', 'preset'].includes(layer.source)),
    );
  return forwarded;
}
