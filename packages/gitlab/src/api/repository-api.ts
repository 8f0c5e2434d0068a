import type { GitlabApiClient } from '../http/api-client.js';
import { branchSchema, commitSchema, type TreeEntry, tagSchema, treeEntrySchema } from './schemas.js';

/** `group/project` → `group%2Fproject`, the `:id` form GitLab documents for namespaced paths. */
export const projectId = (project: string) => encodeURIComponent(project);

/** A file's raw content at a ref, and the commit GitLab read it from (`X-Gitlab-Commit-Id`). */
export interface RawFile {
  readonly content: string;
  readonly commitId: string | undefined;
}

/** `GET /projects/:id/repository/files/:file_path/raw?ref=` (repository_files.md). */
export async function getRawFile(
  client: GitlabApiClient,
  project: string,
  path: string,
  ref: string,
): Promise<RawFile> {
  const { body, headers } = await client.text(
    `/projects/${projectId(project)}/repository/files/${encodeURIComponent(path)}/raw`,
    { what: `file ${path}`, project, ref },
    { ref },
  );
  const commitId = headers['x-gitlab-commit-id'];
  return { content: body, commitId: typeof commitId === 'string' ? commitId : undefined };
}

/**
 * `GET /projects/:id/repository/tree?recursive=true` (repositories.md): every blob under `path`
 * at `ref`, keyset-paginated (the `Link` header is followed whichever pagination the instance uses).
 */
export async function listTree(
  client: GitlabApiClient,
  project: string,
  ref: string,
  path = '',
): Promise<string[]> {
  const entries: TreeEntry[] = await client.pages(
    `/projects/${projectId(project)}/repository/tree`,
    treeEntrySchema,
    { what: path ? `tree ${path}/` : 'repository tree', project, ref },
    { ref, recursive: true, pagination: 'keyset', ...(path ? { path } : {}) },
  );
  return entries.filter((entry) => entry.type === 'blob').map((entry) => entry.path);
}

/** `GET /projects/:id/repository/commits/:sha`: a branch, tag or (short) SHA to the full commit SHA. */
export async function getCommitId(client: GitlabApiClient, project: string, ref: string): Promise<string> {
  const commit = await client.json(
    `/projects/${projectId(project)}/repository/commits/${encodeURIComponent(ref)}`,
    commitSchema,
    { what: 'commit', project, ref },
  );
  return commit.id;
}

/** `GET /projects/:id/repository/tags/:tag_name`: the commit a tag points at (annotated or not). */
export async function getTag(client: GitlabApiClient, project: string, tag: string) {
  const found = await client.json(
    `/projects/${projectId(project)}/repository/tags/${encodeURIComponent(tag)}`,
    tagSchema,
    { what: `tag ${tag}`, project },
  );
  return { name: found.name, commitId: found.commit.id, protected: found.protected };
}

/** `GET /projects/:id/repository/branches/:branch`: its head commit and whether it is protected. */
export async function getBranch(client: GitlabApiClient, project: string, branch: string) {
  const found = await client.json(
    `/projects/${projectId(project)}/repository/branches/${encodeURIComponent(branch)}`,
    branchSchema,
    { what: `branch ${branch}`, project },
  );
  return { name: found.name, commitId: found.commit.id, protected: found.protected };
}
