/**
 * What a stand-in instance holds, as written in `fixtures/instance.json`: users and their tokens,
 * groups and projects with members, CI/CD variables, protected refs, releases, job artifacts, CI
 * templates, and each project's git history (commits built from `fixtures/repos/<project>/<dir>`).
 */

/** GitLab's access levels (Guest 10, Reporter 20, Developer 30, Maintainer 40, Owner 50). */
export type AccessLevel = 10 | 20 | 30 | 40 | 50;

export type Visibility = 'public' | 'internal' | 'private';

export interface UserFixture {
  readonly username: string;
  readonly admin?: boolean;
  /** Project and group access tokens act as bot users. */
  readonly bot?: boolean;
}

export interface TokenFixture {
  readonly value: string;
  readonly username: string;
  readonly name: string;
  /** How GitLab issued it: personal, project or group access token, or an OAuth access token. */
  readonly kind: 'personal' | 'project' | 'group' | 'oauth';
  /** `api`, `read_api`, `read_repository`, ... */
  readonly scopes: readonly string[];
  readonly revoked?: boolean;
  /** ISO date; an expired token answers 401 like a wrong one. */
  readonly expiresAt?: string;
}

export interface VariableFixture {
  readonly key: string;
  /** `{{remoteUrl}}` is replaced with the include:remote server's base URL when the stand-in starts. */
  readonly value: string;
  readonly variable_type?: 'env_var' | 'file';
  readonly protected?: boolean;
  readonly masked?: boolean;
  readonly hidden?: boolean;
  readonly raw?: boolean;
  readonly environment_scope?: string;
  readonly description?: string | null;
}

export interface GroupFixture {
  /** Full path, e.g. `acme/platform`; the parent is the path without its last segment. */
  readonly path: string;
  readonly visibility: Visibility;
  readonly members?: Readonly<Record<string, AccessLevel>>;
  readonly variables?: readonly VariableFixture[];
}

export interface CommitFixture {
  /** A directory under `fixtures/repos/<project path>/`: files added or replaced by this commit. */
  readonly dir: string;
  readonly message: string;
  /** Files removed by this commit. */
  readonly delete?: readonly string[];
  /** Annotated tags on this commit. */
  readonly tags?: readonly string[];
}

export interface ReleaseFixture {
  readonly tag: string;
  /** ISO date; one in the future makes an upcoming release. */
  readonly releasedAt: string;
}

export interface ArtifactFixture {
  readonly ref: string;
  readonly job: string;
  /** Files of the artifacts archive (zip), by path. */
  readonly files: Readonly<Record<string, string>>;
}

export interface ProjectFixture {
  /** Full path, e.g. `acme/platform/web-app`; its namespace is the path without its last segment. */
  readonly path: string;
  readonly visibility: Visibility;
  readonly defaultBranch: string;
  readonly members?: Readonly<Record<string, AccessLevel>>;
  /** The default branch's history, oldest first. */
  readonly commits: readonly CommitFixture[];
  /** Other branches: name → the `dir` of the commit they point at. */
  readonly branches?: Readonly<Record<string, string>>;
  readonly variables?: readonly VariableFixture[];
  readonly protectedBranches?: readonly string[];
  readonly protectedTags?: readonly string[];
  readonly releases?: readonly ReleaseFixture[];
  readonly artifacts?: readonly ArtifactFixture[];
}

export interface InstanceFixture {
  readonly version: string;
  readonly users: readonly UserFixture[];
  readonly tokens: readonly TokenFixture[];
  readonly groups: readonly GroupFixture[];
  readonly projects: readonly ProjectFixture[];
  readonly instanceVariables?: readonly VariableFixture[];
  /** CI templates by key (`Jobs/Build`): files under `fixtures/templates/<key>.gitlab-ci.yml`. */
  readonly templates: readonly string[];
}
