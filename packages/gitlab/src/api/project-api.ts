import type { GitlabApiClient } from '../http/api-client.js';
import { projectId } from './repository-api.js';
import {
  type GitlabProject,
  type GitlabRelease,
  projectSchema,
  protectedRefSchema,
  releaseSchema,
} from './schemas.js';

/** `GET /projects/:id` (projects.md). */
export function getProject(client: GitlabApiClient, project: string): Promise<GitlabProject> {
  return client.json(`/projects/${projectId(project)}`, projectSchema, { what: 'project', project });
}

/** `GET /projects/:id/releases`, newest `released_at` first (releases/_index.md). */
export function listReleases(client: GitlabApiClient, project: string): Promise<GitlabRelease[]> {
  return client.pages(
    `/projects/${projectId(project)}/releases`,
    releaseSchema,
    { what: 'releases', project },
    {
      order_by: 'released_at',
      sort: 'desc',
    },
  );
}

/** `GET /projects/:id/protected_branches` (protected_branches.md): names and wildcards. */
export async function listProtectedBranches(client: GitlabApiClient, project: string): Promise<string[]> {
  const refs = await client.pages(`/projects/${projectId(project)}/protected_branches`, protectedRefSchema, {
    what: 'protected branches',
    project,
  });
  return refs.map((ref) => ref.name);
}

/** `GET /projects/:id/protected_tags` (protected_tags.md): names and wildcards. */
export async function listProtectedTags(client: GitlabApiClient, project: string): Promise<string[]> {
  const refs = await client.pages(`/projects/${projectId(project)}/protected_tags`, protectedRefSchema, {
    what: 'protected tags',
    project,
  });
  return refs.map((ref) => ref.name);
}

/**
 * `GET /projects/:id/jobs/artifacts/:ref_name/download?job=` (job_artifacts.md): the artifacts
 * archive (zip) of the named job of the latest successful pipeline of a ref, as `needs:project` has it.
 */
export function downloadJobArtifacts(
  client: GitlabApiClient,
  project: string,
  ref: string,
  job: string,
): Promise<Buffer> {
  return client.buffer(
    `/projects/${projectId(project)}/jobs/artifacts/${encodeURIComponent(ref)}/download`,
    { what: `artifacts of job ${job}`, project, ref },
    { job },
  );
}
