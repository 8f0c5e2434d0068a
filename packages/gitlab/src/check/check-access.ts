import { getAccessTokenSelf, getCurrentUser, getOauthTokenInfo, getVersion } from '../api/identity-api.js';
import { getProject } from '../api/project-api.js';
import { projectId } from '../api/repository-api.js';
import { GitlabError, GitlabRequestError } from '../errors.js';
import type { GitlabApiClient } from '../http/api-client.js';
import { ancestorPaths } from '../variables/fetch-variables.js';

/** What a token may read, probed on the instance (`glci config --gitlab --check`). */
export interface AccessReport {
  /** The instance answered at all (a 401 is an answer). */
  readonly reachable: boolean;
  /** Why it did not, or why the token was refused. */
  readonly problem?: string;
  readonly version?: string;
  /** Who the token acts as; absent without a token or when it was refused. */
  readonly user?: { readonly username: string; readonly bot: boolean };
  readonly tokenAccepted?: boolean;
  readonly scopes?: readonly string[];
  readonly tokenName?: string;
  readonly expiresAt?: string | null;
  readonly project?: ProjectAccess;
}

export interface ProjectAccess {
  readonly path: string;
  readonly visible: boolean;
  /** `Maintainer`, `Developer`, ... or `none` (a public or internal project seen without membership). */
  readonly role?: string;
  readonly problem?: string;
  readonly repository?: Readable;
  readonly variables?: Readable;
  readonly protectedRefs?: Readable;
  readonly groupVariables?: readonly { readonly group: string; readonly access: Readable }[];
  readonly instanceVariables?: Readable;
}

/** Whether a probe could read a resource, and the status when it could not. */
export type Readable =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: number; readonly detail?: string };

const ROLES: Record<number, string> = {
  10: 'Guest',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainer',
  50: 'Owner',
};

/**
 * Asks the instance who the token is and what it may read, with the API calls glci itself makes:
 * the user and the token's scopes, then for the project (when there is one) its repository, its
 * CI/CD variables, its protected refs, its groups' variables and the instance's.
 */
export async function checkGitlabAccess(
  client: GitlabApiClient,
  options: { readonly project?: string | undefined } = {},
): Promise<AccessReport> {
  const identity = await checkIdentity(client);
  if (!identity.reachable || identity.tokenAccepted === false || !options.project) return identity;
  return { ...identity, project: await checkProject(client, options.project) };
}

async function checkIdentity(client: GitlabApiClient): Promise<AccessReport> {
  if (!client.token) {
    // Without a token only the instance's answer can be checked: /version answers 401 to anyone.
    const status = await probe(() => getVersion(client));
    return status.ok || status.status > 0
      ? { reachable: true }
      : { reachable: false, problem: status.detail ?? 'no answer' };
  }
  try {
    const user = await getCurrentUser(client);
    const version = await getVersion(client).catch(() => undefined);
    const token =
      client.token.scheme === 'oauth'
        ? await getOauthTokenInfo(client).then((info) => ({ scopes: info.scopes }))
        : await getAccessTokenSelf(client).then((self) => ({
            scopes: self.scopes,
            tokenName: self.name,
            expiresAt: self.expires_at ?? null,
          }));
    return {
      reachable: true,
      tokenAccepted: true,
      user: { username: user.username, bot: user.bot ?? false },
      ...(version ? { version: version.version } : {}),
      ...token,
    };
  } catch (error) {
    if (error instanceof GitlabRequestError && error.status === 401)
      return { reachable: true, tokenAccepted: false, problem: error.hint ?? error.message };
    if (error instanceof GitlabError) return { reachable: false, problem: error.message };
    throw error;
  }
}

async function checkProject(client: GitlabApiClient, path: string): Promise<ProjectAccess> {
  let project: Awaited<ReturnType<typeof getProject>>;
  try {
    project = await getProject(client, path);
  } catch (error) {
    if (error instanceof GitlabRequestError)
      return { path, visible: false, problem: error.hint ?? error.message };
    throw error;
  }
  const level = Math.max(
    project.permissions?.project_access?.access_level ?? 0,
    project.permissions?.group_access?.access_level ?? 0,
  );
  const id = projectId(path);
  const status = async (apiPath: string): Promise<Readable> => {
    try {
      const code = await client.status(apiPath, { what: apiPath }, { per_page: 1 });
      return code === 200 ? { ok: true } : { ok: false, status: code };
    } catch (error) {
      if (error instanceof GitlabError) return { ok: false, status: 0, detail: error.message };
      throw error;
    }
  };
  const groups = project.namespace.kind === 'group' ? ancestorPaths(project.namespace.full_path) : [];
  const [repository, variables, protectedRefs, instanceVariables, ...groupAccess] = await Promise.all([
    status(`/projects/${id}/repository/tree`),
    status(`/projects/${id}/variables`),
    status(`/projects/${id}/protected_branches`),
    status('/admin/ci/variables'),
    ...groups.map((group) => status(`/groups/${encodeURIComponent(group)}/variables`)),
  ]);
  return {
    path,
    visible: true,
    role: ROLES[level] ?? 'none',
    repository: repository!,
    variables: variables!,
    protectedRefs: protectedRefs!,
    groupVariables: groups.map((group, index) => ({ group, access: groupAccess[index]! })),
    instanceVariables: instanceVariables!,
  };
}

async function probe(read: () => Promise<unknown>): Promise<Readable> {
  try {
    await read();
    return { ok: true };
  } catch (error) {
    if (error instanceof GitlabRequestError)
      return { ok: false, status: error.status, ...(error.detail ? { detail: error.detail } : {}) };
    if (error instanceof GitlabError) return { ok: false, status: 0, detail: error.message };
    throw error;
  }
}
