import {
  type CiVariable,
  describeLevel,
  isProtectedRef,
  limitToScope,
  type PipelineRef,
  type RemoteVariableSet,
  resolveRemoteVariables,
  type SecretsScope,
} from '@glci/gitlab/planning';
import type { PipelineContext } from '../context/pipeline-context.js';
import type { VariableEntry, VariableLayer, VariableSource } from './layers.js';

/** The project's CI/CD variables as fetched from its GitLab instance, and which levels to use. */
export interface CiCdVariables {
  readonly set: RemoteVariableSet;
  /** `--secrets`: every level (`all`), the project's own (`project`), or none. */
  readonly scope: SecretsScope;
}

/** The CI/CD variables a pipeline of one context gets, job by job. */
export interface CiCdLayers {
  /** Whether the context's ref is protected on the instance (protected variables reach it). */
  readonly protectedRef: boolean;
  /** The layers (instance, each group top-level first, project) for a job with this environment. */
  layers(environment: string | undefined): VariableLayer[];
  /** Hidden variables: GitLab never hands their values out, so glci cannot pass them on. */
  readonly hidden: readonly string[];
  /** Replaces masked values in a text (a message about an include path) with `[MASKED]`. */
  mask(text: string): string;
}

/** The ref protection sees: a merge request pipeline's ref is never protected. */
export function pipelineRef(context: Pick<PipelineContext, 'source' | 'refType' | 'ref'>): PipelineRef {
  if (context.source === 'merge_request_event') return { kind: 'merge_request' };
  return context.refType === 'tag'
    ? { kind: 'tag', name: context.ref }
    : { kind: 'branch', name: context.ref };
}

/**
 * GitLab's CI/CD variables as variable layers for one pipeline (`Ci::Variables::Builder`): the
 * instance's, then each group's from the top-level one down, then the project's, each above the
 * YAML's variables and dotenv reports and below the pipeline's own (`--env` and the like stand
 * for GitLab's pipeline variables). Protected ones only for a protected ref; `environment_scope`
 * against the job's environment. Each entry keeps where it came from (`origin`) for display, and
 * `masked`, `raw` and `file` for the runner.
 */
export function ciCdLayers(variables: CiCdVariables, context: PipelineContext): CiCdLayers {
  const set = limitToScope(variables.set, variables.scope);
  const ref = pipelineRef(context);
  const protectedRef = isProtectedRef(ref, set.protectedRefs);
  const cache = new Map<string, VariableLayer[]>();
  const all = [...set.instance, ...set.groups.flatMap((group) => group.variables), ...set.project];
  const masked = all
    .filter((variable) => variable.masked && variable.value !== undefined && variable.value.length >= 4)
    .map((variable) => variable.value!)
    .sort((a, b) => b.length - a.length);
  return {
    protectedRef,
    hidden: [...new Set(all.filter((variable) => variable.value === undefined).map((v) => v.key))],
    mask: (text) => masked.reduce((result, value) => result.split(value).join('[MASKED]'), text),
    layers(environment) {
      const key = environment ?? '';
      let layers = cache.get(key);
      if (!layers) {
        const applied = resolveRemoteVariables(set, { ref, environment }).flatMap((winner) => [
          ...winner.overrides,
          winner,
        ]);
        layers = levelsOf(set).map(({ source, label, match }) => ({
          source,
          label,
          entries: applied.filter(match).filter(hasValue).map(toEntry),
        }));
        layers = layers.filter((layer) => layer.entries.length > 0);
        cache.set(key, layers);
      }
      return layers;
    },
  };
}

function levelsOf(set: RemoteVariableSet) {
  return [
    {
      source: 'instance' as VariableSource,
      label: 'instance CI/CD variables',
      match: (variable: CiVariable) => variable.level.kind === 'instance',
    },
    ...set.groups.map(({ group }) => ({
      source: 'group' as VariableSource,
      label: `CI/CD variables of group ${group}`,
      match: (variable: CiVariable) => variable.level.kind === 'group' && variable.level.group === group,
    })),
    {
      source: 'project' as VariableSource,
      label: 'CI/CD variables of the project',
      match: (variable: CiVariable) => variable.level.kind === 'project',
    },
  ];
}

function hasValue(variable: CiVariable): boolean {
  return variable.value !== undefined;
}

function toEntry(variable: CiVariable): VariableEntry {
  return {
    name: variable.key,
    value: variable.value ?? '',
    ...(variable.raw ? { raw: true } : {}),
    ...(variable.masked ? { masked: true } : {}),
    ...(variable.variableType === 'file' ? { file: true } : {}),
    ...(variable.description ? { description: variable.description } : {}),
    ciCd: {
      level: describeLevel(variable.level),
      environmentScope: variable.environmentScope,
      protected: variable.protected,
    },
  };
}
