import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner } from './test-support/fake-runner.js';
import { type Harness, jobSpec, startApi } from './test-support/harness.js';

describe('id_tokens', () => {
  let h: Harness;
  let runner: FakeRunner;
  beforeEach(async () => {
    h = await startApi({ longPollMs: 0 });
    runner = new FakeRunner(h.url, h.api.registerRunner().token);
  });
  afterEach(() => h.close());

  it('hands a job RS256 tokens with GitLab’s claims, verifiable against the served key set', async () => {
    const queued = h.api.enqueue(
      jobSpec({
        name: 'login',
        timeout: 600,
        environment: 'staging',
        id_tokens: { VAULT_ID_TOKEN: { aud: 'https://vault.example' }, MULTI: { aud: ['a', 'b'] } },
      }),
    );
    const payload = (await runner.requestJob())!;
    const variables = payload.variables as {
      key: string;
      value: string;
      public: boolean;
      masked?: boolean;
    }[];
    const token = variables.find((variable) => variable.key === 'VAULT_ID_TOKEN')!;
    expect(token).toMatchObject({ public: false, masked: true });
    expect(decodeProtectedHeader(token.value)).toMatchObject({ alg: 'RS256', typ: 'JWT' });

    const discovery = (await (await fetch(`${h.url}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    const issuer = h.url.replace(/\/$/, '');
    expect(discovery).toMatchObject({ issuer, jwks_uri: `${issuer}/oauth/discovery/keys` });
    const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload: claims } = await jwtVerify(token.value, keys, {
      issuer: discovery.issuer,
      audience: 'https://vault.example',
      algorithms: ['RS256'],
    });
    const spec = queued.spec;
    expect(claims).toMatchObject({
      sub: `project_path:${spec.project.path}:ref_type:branch:ref:${spec.git.ref}`,
      project_path: spec.project.path,
      project_id: String(spec.project.id),
      namespace_path: spec.project.path.split('/').slice(0, -1).join('/'),
      ref: spec.git.ref,
      ref_type: 'branch',
      ref_path: `refs/heads/${spec.git.ref}`,
      pipeline_id: String(spec.pipeline.id),
      pipeline_source: spec.pipeline.source,
      job_id: String(queued.id),
      environment: 'staging',
      sha: spec.git.sha,
      user_login: 'glci',
      runner_environment: 'self-hosted',
    });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);

    const multi = variables.find((variable) => variable.key === 'MULTI')!;
    const verified = await jwtVerify(multi.value, keys, { issuer, audience: 'b' });
    expect(verified.payload.aud).toEqual(['a', 'b']);
    // Another issuer's key set does not verify it.
    await expect(jwtVerify(token.value, keys, { issuer: 'https://gitlab.com' })).rejects.toThrow(/iss/);
  });

  it('refuses an id_tokens name that is no variable name', () => {
    expect(() => h.api.enqueue(jobSpec({ id_tokens: { 'BAD-NAME': { aud: 'x' } } }))).toThrow(
      /job spec: id_tokens.BAD-NAME/,
    );
  });
});
