import { listGroupVariables, listInstanceVariables, listProjectVariables } from '../api/ci-api.js';
import { getProject, listProtectedBranches, listProtectedTags } from '../api/project-api.js';
import { GitlabRequestError } from '../errors.js';
import type { GitlabApiClient } from '../http/api-client.js';
import { type CiVariable, fromApiVariable } from './ci-variable.js';
import type { RemoteVariableSet, SecretsScope } from './resolve-variables.js';

/** The variables a token could read, and what it could not (with why), when glci fetched them. */
export interface FetchedVariables {
  readonly set: RemoteVariableSet;
  readonly fetchedAt: Date;
  /** One line per level or list the token may not read: `instance variables: 403 …, administrators only`. */
  readonly unavailable: readonly string[];
}

/**
 * Fetches a project's CI/CD variables with GitLab's semantics in mind: the project's, each ancestor
 * group's (top-level first) and the instance's (administrators only), every page, plus the
 * protected branches and tags that decide who gets protected ones. What the token may not read is
 * left out and said in `unavailable`; without the protected refs, no ref counts as protected
 * (protected values are then never handed out).
 */
export async function fetchRemoteVariables(
  client: GitlabApiClient,
  project: string,
  options: { readonly scope?: Exclude<SecretsScope, 'none'>; readonly clock?: () => number } = {},
): Promise<FetchedVariables> {
  const scope = options.scope ?? 'all';
  const unavailable: string[] = [];
  const optional = async <T>(what: string, fallback: T, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof GitlabRequestError && (error.status === 403 || error.status === 404)) {
        unavailable.push(
          `${what}: ${error.status}${error.detail ? ` (${error.detail})` : ''}${error.hint ? `: ${error.hint}` : ''}`,
        );
        return fallback;
      }
      throw error;
    }
  };
  const details = await getProject(client, project);
  const groupPaths =
    scope === 'all' && details.namespace.kind === 'group' ? ancestorPaths(details.namespace.full_path) : [];
  const [projectVariables, groups, instance, branches, tags] = await Promise.all([
    optional(`CI/CD variables of ${project}`, [] as CiVariable[], async () =>
      (await listProjectVariables(client, project)).map((v) =>
        fromApiVariable(v, { kind: 'project', project }),
      ),
    ),
    Promise.all(
      groupPaths.map(async (group) => ({
        group,
        variables: await optional(`CI/CD variables of group ${group}`, [] as CiVariable[], async () =>
          (await listGroupVariables(client, group)).map((v) => fromApiVariable(v, { kind: 'group', group })),
        ),
      })),
    ),
    scope === 'all'
      ? optional('instance CI/CD variables', [] as CiVariable[], async () =>
          (await listInstanceVariables(client)).map((v) => fromApiVariable(v, { kind: 'instance' })),
        )
      : Promise.resolve([] as CiVariable[]),
    optional(`protected branches of ${project}`, [] as string[], () =>
      listProtectedBranches(client, project),
    ),
    optional(`protected tags of ${project}`, [] as string[], () => listProtectedTags(client, project)),
  ]);
  return {
    set: { instance, groups, project: projectVariables, protectedRefs: { branches, tags } },
    fetchedAt: new Date((options.clock ?? Date.now)()),
    unavailable,
  };
}

/** `a/b/c` → `a`, `a/b`, `a/b/c`: a namespace and its ancestors, top-level first. */
export function ancestorPaths(namespace: string): string[] {
  const segments = namespace.split('/');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}
