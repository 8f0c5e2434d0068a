import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeRepository,
  plain,
  type RealRunnerHarness,
  startRealRunnerHarness,
} from '../test-support/real-runner.js';

/**
 * `id_tokens` end to end: the official gitlab-runner (shell executor) runs a job that logs in to a
 * service with its ID token, the way a job logs in to Vault or a cloud. The service trusts the
 * mock as its OIDC issuer: it reads the mock's discovery document, fetches the key set it names
 * and verifies the token's signature, issuer, audience and expiry, as a real relying party does.
 */
let harness: RealRunnerHarness;
let repo: Awaited<ReturnType<typeof makeRepository>>;
let service: Server;
let serviceUrl: string;
const logins: { status: number; claims?: JWTPayload; error?: string }[] = [];

beforeAll(async () => {
  repo = await makeRepository(3);
  harness = await startRealRunnerHarness({ global: { concurrent: 1 } });
  await harness.publish(repo.dir);
  const issuer = harness.mock.url.replace(/\/$/, '');
  service = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', async () => {
      try {
        const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
          issuer: string;
          jwks_uri: string;
        };
        const { payload } = await jwtVerify(body.trim(), createRemoteJWKSet(new URL(discovery.jwks_uri)), {
          issuer: discovery.issuer,
          audience: 'https://login.service.test',
          algorithms: ['RS256'],
        });
        logins.push({ status: 200, claims: payload });
        res.writeHead(200).end(`welcome ${payload.sub}\n`);
      } catch (error) {
        logins.push({ status: 401, error: String(error) });
        res.writeHead(401).end('denied\n');
      }
    });
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => service?.close(resolve));
  await harness?.close();
  await repo?.remove();
});

describe('id_tokens through the official runner', () => {
  it('gives the job a token a relying party verifies against the mock’s JWKS', async () => {
    const { record, trace } = await harness.run({
      name: 'oidc-login',
      id_tokens: { SERVICE_ID_TOKEN: { aud: 'https://login.service.test' } },
      script: [
        'test -n "$SERVICE_ID_TOKEN"',
        'echo "token: $SERVICE_ID_TOKEN"',
        `curl -sS --fail -X POST --data "$SERVICE_ID_TOKEN" ${serviceUrl}/login`,
      ],
    });
    expect(record.state).toBe('success');
    expect(trace).toContain('Running with gitlab-runner 17.9.0');
    // The token is masked in the log, as GitLab masks it.
    expect(plain(trace)).toContain('token: [MASKED]');
    expect(plain(trace)).toContain(`welcome project_path:group/demo:ref_type:branch:ref:`);
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({
      status: 200,
      claims: {
        iss: harness.mock.url.replace(/\/$/, ''),
        aud: 'https://login.service.test',
        project_path: 'group/demo',
        job_id: String(record.id),
        pipeline_source: record.spec.pipeline.source,
        ref_type: 'branch',
      },
    });
  }, 120_000);

  it('a token for another audience is refused by the same service', async () => {
    const { record } = await harness.run({
      name: 'wrong-audience',
      id_tokens: { OTHER_TOKEN: { aud: 'https://somewhere.else' } },
      script: [`curl -sS --fail -X POST --data "$OTHER_TOKEN" ${serviceUrl}/login`],
    });
    expect(record.state).toBe('failed');
    expect(logins.at(-1)).toMatchObject({ status: 401 });
    expect(logins.at(-1)!.error).toMatch(/aud/);
  }, 120_000);
});
