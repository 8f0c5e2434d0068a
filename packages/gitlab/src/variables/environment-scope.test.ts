import { describe, expect, it } from 'vitest';
import { environmentScopeRank, forEnvironment, matchesEnvironmentScope } from './environment-scope.js';

describe("environment_scope, as GitLab's HasEnvironmentScope matches it", () => {
  it('gives a job without an environment only the * scope', () => {
    expect(matchesEnvironmentScope('*', undefined)).toBe(true);
    expect(matchesEnvironmentScope('production', undefined)).toBe(false);
    expect(matchesEnvironmentScope('review/*', undefined)).toBe(false);
  });

  it.each([
    ['*', 'review/app', 0],
    ['review/*', 'review/app', 1],
    ['review/app', 'review/app', 2],
    ['*/app', 'review/app', 1],
    ['review', 'review/app', -1],
    ['review/*', 'review', -1],
    ['review/*', 'review/', 1],
    ['*-staging', 'eu-staging', 1],
    ['Production', 'production', -1],
    ['prod_1', 'prodX1', -1],
    ['100%', '100x', -1],
    ['100%', '100%', 2],
    ['review/*/web', 'review/a/b/web', 1],
  ] as const)('scope %j for environment %j ranks %i', (scope, environment, rank) => {
    expect(environmentScopeRank(scope, environment)).toBe(rank);
  });

  it('orders what applies so that the exact scope wins, then a wildcard, then *', () => {
    const variables = [
      { environmentScope: 'review/app', value: 'exact' },
      { environmentScope: '*', value: 'any' },
      { environmentScope: 'production', value: 'other' },
      { environmentScope: 'review/*', value: 'wildcard' },
    ];
    expect(forEnvironment(variables, 'review/app').map((v) => v.value)).toEqual(['any', 'wildcard', 'exact']);
    expect(forEnvironment(variables, 'review/other').map((v) => v.value)).toEqual(['any', 'wildcard']);
    expect(forEnvironment(variables, undefined).map((v) => v.value)).toEqual(['any']);
  });
});
