import { getCiTemplate } from '../api/ci-api.js';
import { listReleases } from '../api/project-api.js';
import { getBranch, getCommitId, getRawFile, getTag, listTree } from '../api/repository-api.js';
import type { RefKind } from '../cache/include-cache.js';
import { GitlabRequestError, GitlabUnreachableError } from '../errors.js';
import type { GitProjectAccess } from '../git/git-access.js';
import type { GitlabApiClient } from '../http/api-client.js';

/** A ref resolved on the instance. */
export interface ResolvedRef {
  readonly sha: string;
  readonly kind: RefKind;
}

/**
 * How project content reaches glci: GitLab's REST API with a token, or the user's own git access
 * without one. Both answer the same questions; the include source adds caching on top.
 */
export interface IncludeTransport {
  readonly name: 'api' | 'git';
  /** `ref` undefined means the default branch; `hint` is what the ref resolved to last time. */
  resolveRef(project: string, ref: string | undefined, hint?: RefKind): Promise<ResolvedRef>;
  /** `undefined` when the commit has no such file. */
  readFile(project: string, sha: string, path: string): Promise<string | undefined>;
  /** Every file under `dir` (recursive); `[]` when there is no such directory. */
  listTree(project: string, sha: string, dir: string): Promise<string[]>;
  /** Released versions (tag and commit); without the API, the project's tags stand in. */
  releases(project: string): Promise<{ tag: string; sha: string }[]>;
  template(name: string): Promise<string>;
}

const isNotFound = (error: unknown, what: string) =>
  error instanceof GitlabRequestError &&
  error.status === 404 &&
  (error.detail ?? '').includes(`${what} Not Found`);

export class ApiTransport implements IncludeTransport {
  readonly name = 'api';

  constructor(private readonly client: GitlabApiClient) {}

  async resolveRef(project: string, ref: string | undefined, hint?: RefKind): Promise<ResolvedRef> {
    try {
      return await this.#resolveRef(project, ref, hint);
    } catch (error) {
      // Whichever request failed (tag, branch, commit), the user asked for a ref of a project.
      if (error instanceof GitlabRequestError)
        throw new GitlabRequestError(
          { what: 'ref', project, ref: ref ?? 'HEAD' },
          error.url,
          error.status,
          error.detail,
          error.hint,
        );
      if (error instanceof GitlabUnreachableError)
        throw new GitlabUnreachableError(
          { what: 'ref', project, ref: ref ?? 'HEAD' },
          error.url,
          error.reason,
          error.hint,
        );
      throw error;
    }
  }

  async #resolveRef(project: string, ref: string | undefined, hint?: RefKind): Promise<ResolvedRef> {
    if (ref === undefined || ref === 'HEAD') {
      return { sha: await getCommitId(this.client, project, 'HEAD'), kind: 'default-branch' };
    }
    // A ref that was a branch last time is asked for as a branch: one request instead of two.
    if (hint === 'branch') {
      try {
        return { sha: (await getBranch(this.client, project, ref)).commitId, kind: 'branch' };
      } catch (error) {
        if (!isNotFound(error, 'Branch')) throw error;
      }
    }
    // git resolves a tag before a branch of the same name, and so does GitLab.
    try {
      return { sha: (await getTag(this.client, project, ref)).commitId, kind: 'tag' };
    } catch (error) {
      if (!isNotFound(error, 'Tag')) throw error;
    }
    const sha = await getCommitId(this.client, project, ref);
    return { sha, kind: /^[0-9a-f]{7,64}$/.test(ref) && sha.startsWith(ref) ? 'commit' : 'branch' };
  }

  async readFile(project: string, sha: string, path: string): Promise<string | undefined> {
    try {
      return (await getRawFile(this.client, project, path, sha)).content;
    } catch (error) {
      if (isNotFound(error, 'File')) return undefined;
      throw error;
    }
  }

  async listTree(project: string, sha: string, dir: string): Promise<string[]> {
    try {
      return await listTree(this.client, project, sha, dir);
    } catch (error) {
      if (isNotFound(error, 'Tree')) return [];
      throw error;
    }
  }

  async releases(project: string): Promise<{ tag: string; sha: string }[]> {
    const releases = await listReleases(this.client, project);
    const found: { tag: string; sha: string }[] = [];
    for (const release of releases) {
      if (release.upcoming_release) continue;
      // A release shows its commit to anyone who may read the repository; resolve its tag otherwise.
      const sha = release.commit?.id ?? (await getTag(this.client, project, release.tag_name)).commitId;
      found.push({ tag: release.tag_name, sha });
    }
    return found;
  }

  template(name: string): Promise<string> {
    return getCiTemplate(this.client, name);
  }
}

/**
 * Without a token: git for repositories (as gitlab-ci-local does), and the API without a token for
 * CI templates, which GitLab serves to anyone.
 */
export class GitTransport implements IncludeTransport {
  readonly name = 'git';

  constructor(
    private readonly git: GitProjectAccess,
    private readonly anonymousApi: GitlabApiClient,
  ) {}

  resolveRef(project: string, ref: string | undefined): Promise<ResolvedRef> {
    return this.git.resolveRef(project, ref);
  }

  readFile(project: string, sha: string, path: string): Promise<string | undefined> {
    return this.git.readFile(project, sha, path);
  }

  listTree(project: string, sha: string, dir: string): Promise<string[]> {
    return this.git.listTree(project, sha, dir);
  }

  releases(project: string): Promise<{ tag: string; sha: string }[]> {
    return this.git.listTags(project);
  }

  template(name: string): Promise<string> {
    return getCiTemplate(this.anonymousApi, name);
  }
}
