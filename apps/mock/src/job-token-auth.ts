import { ALLOW, type AuthDecision, type AuthorizeHook, type AuthRequest } from '@glci/registry';

/** What the hook needs from the Runner API: `RunnerApi.verifyJobToken`. */
export type JobTokenVerifier = (
  token: unknown,
) => { readonly jobId: number; readonly registryPath: string } | undefined;

export interface JobTokenAuthOptions {
  readonly verifyJobToken: JobTokenVerifier;
  /** User names accepted with a job token as password; default `['gitlab-ci-token']` (`CI_REGISTRY_USER`). */
  readonly users?: readonly string[];
  readonly realm?: string;
}

/**
 * The embedded registry's authorization, as GitLab's container registry treats `CI_JOB_TOKEN`:
 *
 * - reads (pull, catalog) are anonymous, with or without credentials (stale credentials of a
 *   finished job do not break a pull);
 * - `/v2/` with no or invalid credentials is challenged (401 `WWW-Authenticate: Basic`), so
 *   `docker login` really checks the token;
 * - writes (push, delete) need HTTP Basic `gitlab-ci-token:<job token>` of a job that is running
 *   right now, and only on its own `CI_REGISTRY_IMAGE` (`<project path>` or below it); anything
 *   else is 403 DENIED. The token is checked on every request, so it stops working the moment its
 *   job ends (HTTP Basic rather than the token flow, whose JWTs would outlive the job).
 */
export function jobTokenAuth(options: JobTokenAuthOptions): AuthorizeHook {
  const users = new Set(options.users ?? ['gitlab-ci-token']);
  const challenge: AuthDecision = {
    kind: 'challenge',
    challenge: `Basic realm="${(options.realm ?? 'glci mock registry').replace(/"/g, '')}"`,
  };
  return (request: AuthRequest): AuthDecision => {
    if (request.actions.length > 0 && request.actions.every((action) => action === 'pull')) return ALLOW;
    const credentials = request.credentials;
    if (credentials.kind !== 'basic') return challenge;
    const claims = users.has(credentials.username) ? options.verifyJobToken(credentials.password) : undefined;
    if (!claims) return { ...challenge, message: 'invalid or expired job token' };
    if (request.actions.length === 0) return { kind: 'allow', subject: `job ${claims.jobId}` };
    const repository = request.repository;
    if (repository === undefined || !withinPath(repository, claims.registryPath)) {
      return {
        kind: 'deny',
        message: `job ${claims.jobId} may push only to ${claims.registryPath} and below it`,
      };
    }
    return { kind: 'allow', subject: `job ${claims.jobId}` };
  };
}

/** `group/app` is within `group/app` and `group/app/x`, never `group/application`. */
export function withinPath(repository: string, prefix: string): boolean {
  return repository === prefix || repository.startsWith(`${prefix}/`);
}
