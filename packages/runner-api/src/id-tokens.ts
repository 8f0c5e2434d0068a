import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JWK,
  type KeyLike,
  SignJWT,
} from 'jose';
import type { JobRecord } from './job-queue.js';
import type { Runner } from './runner-store.js';
import type { ServerContext } from './variables.js';

/**
 * The OIDC ID tokens of `id_tokens:`, as GitLab issues them (`Gitlab::Ci::JwtV2`): RS256 JWTs with
 * GitLab's claims for the job, `iss` the server URL, `sub` `project_path:…:ref_type:…:ref:…`, valid
 * for the job's timeout. The signing key is glci's own (not GitLab's): a service trusts these
 * tokens only when told to trust the mock's issuer, whose discovery document and key set the mock
 * serves at GitLab's paths (`/.well-known/openid-configuration`, `/oauth/discovery/keys`).
 */
export class IdTokenIssuer {
  #key: Promise<{ privateKey: KeyLike; jwk: JWK }> | undefined;

  /** `keyFile`: where the signing key is kept across restarts (a persistent mock); in memory when omitted. */
  constructor(private readonly options: { readonly keyFile?: string } = {}) {}

  /** One signed token for `job` with audience `aud` (one or several). */
  async mint(input: {
    readonly job: JobRecord;
    readonly runner: Runner;
    readonly server: ServerContext;
    readonly aud: string | readonly string[];
    readonly now: number;
  }): Promise<string> {
    const { privateKey, jwk } = await this.#signingKey();
    const claims = idTokenClaims(input.job, input.runner, input.server);
    const issuedAt = Math.floor(input.now / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid!, typ: 'JWT' })
      .setJti(randomUUID())
      .setIssuer(issuerOf(input.server))
      .setSubject(`project_path:${claims.project_path}:ref_type:${claims.ref_type}:ref:${claims.ref}`)
      .setAudience(typeof input.aud === 'string' ? input.aud : [...input.aud])
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt - 5)
      .setExpirationTime(issuedAt + input.job.spec.timeout)
      .sign(privateKey);
  }

  /** The key set a verifier fetches (`jwks_uri`). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.#signingKey()).jwk] };
  }

  /** GitLab's OpenID discovery document for the issuer (what `/.well-known/openid-configuration` answers). */
  discovery(server: ServerContext): Record<string, unknown> {
    const issuer = issuerOf(server);
    return {
      issuer,
      jwks_uri: `${issuer}/oauth/discovery/keys`,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      userinfo_endpoint: `${issuer}/oauth/userinfo`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
      claims_supported: [...CLAIMS_SUPPORTED],
    };
  }

  #signingKey(): Promise<{ privateKey: KeyLike; jwk: JWK }> {
    this.#key ??= (async () => {
      const file = this.options.keyFile;
      let privateKey: KeyLike;
      if (file && existsSync(file))
        privateKey = await importPKCS8(readFileSync(file, 'utf8'), 'RS256', { extractable: true });
      else {
        privateKey = (await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })).privateKey;
        if (file) {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, await exportPKCS8(privateKey), { mode: 0o600 });
        }
      }
      // The public half of the key, named by its RFC 7638 thumbprint as GitLab names its keys.
      const { kty, n, e } = await exportJWK(privateKey);
      const publicJwk: JWK = { kty: kty!, n: n!, e: e! };
      const kid = await calculateJwkThumbprint(publicJwk);
      return { privateKey, jwk: { ...publicJwk, kid, use: 'sig', alg: 'RS256' } };
    })();
    return this.#key;
  }
}

const CLAIMS_SUPPORTED = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'namespace_id',
  'namespace_path',
  'project_id',
  'project_path',
  'user_id',
  'user_login',
  'user_email',
  'user_access_level',
  'pipeline_id',
  'pipeline_source',
  'job_id',
  'ref',
  'ref_type',
  'ref_path',
  'ref_protected',
  'environment',
  'environment_protected',
  'runner_id',
  'runner_environment',
  'sha',
  'project_visibility',
  'ci_config_ref_uri',
  'ci_config_sha',
] as const;

/** The issuer is the server URL jobs reach the mock at (`CI_SERVER_URL`), as GitLab's is its own. */
function issuerOf(server: ServerContext): string {
  return server.serverUrl.toString().replace(/\/+$/, '');
}

/**
 * GitLab's predefined claims for a job (`Gitlab::Ci::Jwt` and `JwtV2`): the project's and user's,
 * the pipeline's and job's, the ref's, the environment's when the job has one, and the runner's.
 * Ids are strings, as GitLab writes them. glci runs as one local user (`GITLAB_USER_*`).
 */
export function idTokenClaims(
  job: JobRecord,
  runner: Runner,
  server: ServerContext,
): Record<string, string> & {
  project_path: string;
  ref: string;
  ref_type: string;
} {
  const { spec } = job;
  const namespace = spec.project.path.split('/').slice(0, -1).join('/');
  const isTag = spec.git.ref_type === 'tag';
  const refPath = isTag ? `refs/tags/${spec.git.ref}` : `refs/heads/${spec.git.ref}`;
  const host = server.serverUrl.host;
  return {
    namespace_id: '1',
    namespace_path: namespace,
    project_id: String(spec.project.id),
    project_path: spec.project.path,
    user_id: '1',
    user_login: 'glci',
    user_email: spec.git.commit.author_email || 'glci@localhost',
    user_access_level: 'owner',
    job_namespace_id: '1',
    job_namespace_path: namespace,
    job_project_id: String(spec.project.id),
    job_project_path: spec.project.path,
    pipeline_id: String(spec.pipeline.id),
    pipeline_source: spec.pipeline.source,
    job_id: String(job.id),
    ref: spec.git.ref,
    ref_type: isTag ? 'tag' : 'branch',
    ref_path: refPath,
    ref_protected: String(spec.git.protected),
    ...(spec.environment
      ? {
          environment: spec.environment,
          environment_protected: 'false',
          deployment_tier: 'other',
          environment_action: 'start',
        }
      : {}),
    runner_id: String(runner.id),
    runner_environment: 'self-hosted',
    sha: spec.git.sha,
    project_visibility: 'private',
    ci_config_ref_uri: `${host}/${spec.project.path}//.gitlab-ci.yml@${refPath}`,
    ci_config_sha: spec.git.sha,
  };
}
