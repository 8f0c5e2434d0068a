/**
 * Which CI/CD variables of one level a job gets, by their `environment_scope`, as GitLab selects
 * them (HasEnvironmentScope.for_environment): a job without an environment gets only `*`; a job
 * with one gets `*`, scopes whose `*` wildcards match its name (SQL LIKE: `%` and `_` literal,
 * case-sensitive, the whole name), and the scope equal to its name; when several define a key,
 * the exact scope wins over a wildcard, and a wildcard over `*`.
 */

/** How well a scope matches: 0 for `*`, 1 for a wildcard pattern, 2 for the exact name; -1: no match. */
export function environmentScopeRank(scope: string, environment: string | undefined): number {
  if (scope === '*') return 0;
  if (environment === undefined) return -1;
  if (scope === environment) return 2;
  if (!scope.includes('*')) return -1;
  const pattern = scope
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(environment) ? 1 : -1;
}

export function matchesEnvironmentScope(scope: string, environment: string | undefined): boolean {
  return environmentScopeRank(scope, environment) >= 0;
}

/** The variables of one level that apply to an environment, least relevant first (stable within a rank). */
export function forEnvironment<T extends { readonly environmentScope: string }>(
  variables: readonly T[],
  environment: string | undefined,
): T[] {
  return variables
    .map((variable, index) => ({
      variable,
      index,
      rank: environmentScopeRank(variable.environmentScope, environment),
    }))
    .filter((entry) => entry.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.variable);
}
