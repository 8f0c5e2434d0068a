import type { CiVariable } from './ci-variable.js';
import { forEnvironment } from './environment-scope.js';
import { isProtectedRef, type PipelineRef, type ProtectedRefRules } from './protected-ref.js';

/** Everything the instance holds for a project's pipelines, before a ref or environment picks. */
export interface RemoteVariableSet {
  readonly instance: readonly CiVariable[];
  /** The project's groups, the top-level group first, its own group last. */
  readonly groups: readonly { readonly group: string; readonly variables: readonly CiVariable[] }[];
  readonly project: readonly CiVariable[];
  readonly protectedRefs: ProtectedRefRules;
}

/** A variable a job gets, and the ones of the same key it overrides (lowest first). */
export interface ResolvedVariable extends CiVariable {
  readonly overrides: readonly CiVariable[];
}

export interface VariableContext {
  readonly ref: PipelineRef;
  /** The job's `environment:` name, expanded; `undefined` for a job without one. */
  readonly environment?: string | undefined;
}

/**
 * The CI/CD variables a job gets from the instance, as GitLab builds them (Ci::Variables::Builder):
 * instance, then each group from the top-level group down to the project's own, then the project;
 * a later one overrides an earlier one of the same key. Protected variables only reach protected
 * refs; at each level `environment_scope` picks what applies (see `forEnvironment`).
 */
export function resolveRemoteVariables(set: RemoteVariableSet, context: VariableContext): ResolvedVariable[] {
  const protectedRef = isProtectedRef(context.ref, set.protectedRefs);
  const applies = (variable: CiVariable) => protectedRef || !variable.protected;
  const ordered = [
    ...set.instance.filter(applies),
    ...set.groups.flatMap((group) => forEnvironment(group.variables.filter(applies), context.environment)),
    ...forEnvironment(set.project.filter(applies), context.environment),
  ];
  const byKey = new Map<string, { winner: CiVariable; overridden: CiVariable[] }>();
  for (const variable of ordered) {
    const previous = byKey.get(variable.key);
    if (previous) {
      previous.overridden.push(previous.winner);
      previous.winner = variable;
    } else {
      byKey.set(variable.key, { winner: variable, overridden: [] });
    }
  }
  return [...byKey.values()].map(({ winner, overridden }) => ({ ...winner, overrides: overridden }));
}

/** `--secrets`: every level (`all`), the project's own variables (`project`), or none. */
export type SecretsScope = 'all' | 'project' | 'none';

export function limitToScope(set: RemoteVariableSet, scope: SecretsScope): RemoteVariableSet {
  if (scope === 'all') return set;
  return {
    instance: [],
    groups: [],
    project: scope === 'project' ? set.project : [],
    protectedRefs: set.protectedRefs,
  };
}
