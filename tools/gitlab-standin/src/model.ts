import type { BuiltRepo } from './build-repos.js';
import type {
  AccessLevel,
  GroupFixture,
  InstanceFixture,
  ProjectFixture,
  TokenFixture,
  UserFixture,
  VariableFixture,
} from './fixture-types.js';

/** Who a request acts as, after GitLab's token checks. */
export type Identity =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly user: UserFixture; readonly token: TokenFixture }
  /** A token was sent and GitLab does not know it (wrong, revoked or expired): 401 everywhere. */
  | { readonly kind: 'invalid' };

export interface StandinProject extends ProjectFixture {
  readonly id: number;
  readonly repo: BuiltRepo;
}

export interface StandinGroup extends GroupFixture {
  readonly id: number;
}

/**
 * The instance's state and GitLab's access rules over it: visibility (public to everyone,
 * internal to any signed-in user, private to members), membership inherited from ancestor groups,
 * and roles (reading a private project's code needs Reporter; CI/CD variables and protected refs
 * need Maintainer; instance variables need an administrator).
 */
export class StandinModel {
  readonly groups: readonly StandinGroup[];
  readonly projects: readonly StandinProject[];
  readonly #users: ReadonlyMap<string, UserFixture>;
  readonly #tokens: ReadonlyMap<string, TokenFixture>;

  constructor(
    readonly fixture: InstanceFixture,
    repos: ReadonlyMap<string, BuiltRepo>,
    /** Replaces `{{remoteUrl}}` in variable values: the include:remote server's base URL. */
    readonly remoteUrl: string,
    readonly now: () => number = Date.now,
  ) {
    this.#users = new Map(fixture.users.map((user) => [user.username, user]));
    this.#tokens = new Map(fixture.tokens.map((token) => [token.value, token]));
    this.groups = fixture.groups.map((group, index) => ({ ...group, id: 100 + index }));
    this.projects = fixture.projects.map((project, index) => {
      const repo = repos.get(project.path);
      if (!repo) throw new Error(`no repository built for ${project.path}`);
      return { ...project, id: 1000 + index, repo };
    });
  }

  /** `PRIVATE-TOKEN` takes access tokens; `Authorization: Bearer` takes OAuth and access tokens alike. */
  identify(headers: { privateToken?: string | undefined; bearer?: string | undefined }): Identity {
    const value = headers.privateToken ?? headers.bearer;
    if (value === undefined) return { kind: 'anonymous' };
    const token = this.#tokens.get(value);
    if (!token || token.revoked) return { kind: 'invalid' };
    if (token.expiresAt && Date.parse(token.expiresAt) <= this.now()) return { kind: 'invalid' };
    if (token.kind === 'oauth' && headers.privateToken !== undefined) return { kind: 'invalid' };
    const user = this.#users.get(token.username);
    return user ? { kind: 'user', user, token } : { kind: 'invalid' };
  }

  /** A project by numeric id or full path (`group/sub/project`, case-insensitive as on GitLab). */
  project(id: string): StandinProject | undefined {
    const lower = id.toLowerCase();
    return this.projects.find((project) => String(project.id) === id || project.path.toLowerCase() === lower);
  }

  group(id: string): StandinGroup | undefined {
    const lower = id.toLowerCase();
    return this.groups.find((group) => String(group.id) === id || group.path.toLowerCase() === lower);
  }

  /** The ancestors of a path, nearest last: `a/b/c` → groups `a`, `a/b`. */
  ancestorGroups(path: string): StandinGroup[] {
    const segments = path.split('/');
    return segments
      .slice(0, -1)
      .map((_, index) => this.group(segments.slice(0, index + 1).join('/')))
      .filter((group): group is StandinGroup => group !== undefined);
  }

  /** The highest role a user holds on a project or group, directly or through an ancestor group. */
  accessLevel(
    identity: Identity,
    target: { path: string; members?: Readonly<Record<string, AccessLevel>> },
  ): number {
    if (identity.kind !== 'user') return 0;
    if (identity.user.admin) return 50;
    const username = identity.user.username;
    const levels = [target, ...this.ancestorGroups(target.path)].map(
      (holder) => holder.members?.[username] ?? 0,
    );
    return Math.max(0, ...levels);
  }

  canSee(identity: Identity, target: StandinProject | StandinGroup): boolean {
    if (target.visibility === 'public') return true;
    if (identity.kind !== 'user') return false;
    if (target.visibility === 'internal') return !identity.user.bot || this.accessLevel(identity, target) > 0;
    return this.accessLevel(identity, target) >= 10;
  }

  /** Reading a repository: anyone who sees a public or internal project; Reporter on a private one. */
  canReadCode(identity: Identity, project: StandinProject): boolean {
    if (!this.canSee(identity, project)) return false;
    return project.visibility !== 'private' || this.accessLevel(identity, project) >= 20;
  }

  variables(list: readonly VariableFixture[] | undefined) {
    return (list ?? []).map((variable) => ({
      variable_type: variable.variable_type ?? 'env_var',
      key: variable.key,
      // GitLab 17.4+ does not return the value of a hidden variable.
      value: variable.hidden ? null : variable.value.replaceAll('{{remoteUrl}}', this.remoteUrl),
      protected: variable.protected ?? false,
      masked: variable.masked ?? false,
      hidden: variable.hidden ?? false,
      raw: variable.raw ?? false,
      environment_scope: variable.environment_scope ?? '*',
      description: variable.description ?? null,
    }));
  }

  /** Instance variables have no environment scope. */
  instanceVariables() {
    return this.variables(this.fixture.instanceVariables).map(({ environment_scope: _, ...rest }) => rest);
  }
}
