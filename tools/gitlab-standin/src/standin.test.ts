import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURES_DIR, type RunningStandin, startGitlabStandin } from './standin.js';

/**
 * GitLab itself cannot run on these machines (it needs PostgreSQL, Redis, Gitaly and gigabytes of
 * memory), so glci's GitLab integration is tested against this stand-in. These tests pin the
 * stand-in to GitLab's documented answers (doc/api/*.md and lib/api/*.rb in GitLab's repository):
 * token checks, status codes and error bodies, pagination headers, and git over HTTP.
 */

const ADA = 'glpat-ada-maintainer-0000001';
const ADA_REPO_ONLY = 'glpat-ada-read-repo-0000003';
const BOB = 'glpat-bob-developer-0000004';
const ROOT = 'glpat-root-admin-000000005';
const REVOKED = 'glpat-ada-revoked-00000006';
const EXPIRED = 'glpat-ada-expired-00000007';
const EVE = 'glpat-eve-outsider-0000009';
const OAUTH = '5d0f6e2c9a1b4e7f8a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f';
const WEB_APP = 'acme%2Fplatform%2Fweb-app';

let standin: RunningStandin;
let ca: Buffer;

beforeAll(async () => {
  standin = await startGitlabStandin();
  ca = readFileSync(standin.caFile);
});
afterAll(() => standin?.close());

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: the answers are JSON of many documented shapes.
  json(): any;
}

function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    https
      .get(`${standin.url}${pathAndQuery}`, { ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString()),
          });
        });
      })
      .on('error', reject);
  });
}
const asAda = { 'private-token': ADA };

describe('the stand-in serves HTTPS with a certificate from a CA made for this run', () => {
  it('is refused by a client that trusts only the system CAs', async () => {
    const error = await new Promise<Error>((resolve) => {
      https.get(`${standin.url}/api/v4/version`, () => resolve(new Error('accepted'))).on('error', resolve);
    });
    expect(error.message).toMatch(/certificate/i);
  });
});

describe("token checks, as GitLab's API answers them", () => {
  it('shows a public project to anyone', async () => {
    const answer = await get('/api/v4/projects/acme%2Fcomponents%2Fcontainer');
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({
      path_with_namespace: 'acme/components/container',
      visibility: 'public',
    });
    expect(answer.json().permissions).toBeUndefined();
  });

  it('answers 404 "Project Not Found" for a private project without a token, or a token without access', async () => {
    for (const headers of [{}, { 'private-token': EVE }] as Record<string, string>[]) {
      const hidden = await get(`/api/v4/projects/${WEB_APP}/repository/files/app.py/raw`, headers);
      expect(hidden.status).toBe(404);
      expect(hidden.json()).toEqual({ message: '404 Project Not Found' });
    }
  });

  it('shows an internal project to any signed-in user, and to nobody else', async () => {
    const internal = '/api/v4/projects/acme%2Fplatform%2Fschemas/repository/tree';
    expect((await get(internal)).status).toBe(404);
    expect((await get(internal, { 'private-token': EVE })).status).toBe(200);
  });

  it('answers 401 for a wrong, revoked or expired token, even on a public resource', async () => {
    for (const token of ['glpat-nobody-knows-this', REVOKED, EXPIRED]) {
      const answer = await get('/api/v4/projects/acme%2Fcomponents%2Fcontainer', { 'private-token': token });
      expect(answer.status).toBe(401);
      expect(answer.json()).toEqual({ message: '401 Unauthorized' });
    }
  });

  it('answers 403 insufficient_scope for a token without read_api', async () => {
    const answer = await get(`/api/v4/projects/${WEB_APP}/variables`, { 'private-token': ADA_REPO_ONLY });
    expect(answer.status).toBe(403);
    expect(answer.json()).toMatchObject({ error: 'insufficient_scope', scope: 'api read_api' });
    const file = await get(`/api/v4/projects/${WEB_APP}/repository/files/app.py/raw?ref=main`, {
      'private-token': ADA_REPO_ONLY,
    });
    expect(file.status).toBe(200);
  });

  it('gives CI/CD variables to Maintainers only, and instance variables to administrators only', async () => {
    expect((await get(`/api/v4/projects/${WEB_APP}/variables`, { 'private-token': BOB })).status).toBe(403);
    expect((await get(`/api/v4/projects/${WEB_APP}/variables`, asAda)).status).toBe(200);
    expect((await get('/api/v4/groups/acme%2Fplatform/variables', asAda)).status).toBe(200);
    expect((await get('/api/v4/admin/ci/variables', asAda)).status).toBe(403);
    const instance = await get('/api/v4/admin/ci/variables', { 'private-token': ROOT });
    expect(instance.status).toBe(200);
    expect(instance.json()[0]).not.toHaveProperty('environment_scope');
  });

  it('takes OAuth tokens only as Bearer, and access tokens either way', async () => {
    expect((await get(`/api/v4/projects/${WEB_APP}`, { authorization: `Bearer ${OAUTH}` })).status).toBe(200);
    expect((await get(`/api/v4/projects/${WEB_APP}`, { 'private-token': OAUTH })).status).toBe(401);
    expect((await get(`/api/v4/projects/${WEB_APP}`, { authorization: `Bearer ${ADA}` })).status).toBe(200);
    const info = await get('/oauth/token/info', { authorization: `Bearer ${OAUTH}` });
    expect(info.json()).toMatchObject({ scope: ['read_api'] });
    expect((await get('/oauth/token/info', { authorization: `Bearer ${ADA}` })).status).toBe(401);
  });

  it("describes an access token's scopes at /personal_access_tokens/self", async () => {
    const answer = await get('/api/v4/personal_access_tokens/self', { 'private-token': ADA_REPO_ONLY });
    expect(answer.json()).toMatchObject({
      name: 'repository only',
      scopes: ['read_repository'],
      active: true,
    });
  });
});

describe('repository endpoints', () => {
  it('serves a raw file with the commit it was read from (X-Gitlab-Commit-Id)', async () => {
    const sha = standin.sha('acme/platform/ci-templates', '02-cache-keys');
    const answer = await get(
      `/api/v4/projects/acme%2Fplatform%2Fci-templates/repository/files/templates%2Fjobs%2Fpackage.yml/raw?ref=${sha}`,
      asAda,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['x-gitlab-commit-id']).toBe(sha);
    expect(answer.body.toString()).toContain('.package:python:');
  });

  it('answers 404 "File Not Found" and "Commit Not Found" as GitLab does', async () => {
    const base = '/api/v4/projects/acme%2Fplatform%2Fci-templates/repository/files';
    expect((await get(`${base}/nope.yml/raw?ref=main`, asAda)).json()).toEqual({
      message: '404 File Not Found',
    });
    expect((await get(`${base}/README.md/raw?ref=no-such-ref`, asAda)).json()).toEqual({
      message: '404 Commit Not Found',
    });
  });

  it('pages the recursive tree with keyset pagination through the Link header', async () => {
    const seen: string[] = [];
    let next: string | undefined =
      '/api/v4/projects/acme%2Fplatform%2Fci-templates/repository/tree?ref=v1.1.0&recursive=true&pagination=keyset&per_page=2';
    while (next) {
      const answer = await get(next, asAda);
      seen.push(...answer.json().map((entry: { path: string }) => entry.path));
      const link = answer.headers.link as string | undefined;
      next = link
        ? new URL(/<([^>]+)>; rel="next"/.exec(link)![1]!).pathname +
          new URL(/<([^>]+)>/.exec(link)![1]!).search
        : undefined;
    }
    expect(seen.sort()).toEqual([
      'README.md',
      'templates',
      'templates/base.gitlab-ci.yml',
      'templates/jobs',
      'templates/jobs/package.yml',
      'templates/jobs/test.yml',
      'templates/rules',
      'templates/rules/workflow.yml',
    ]);
  });

  it('gives offset pagination its X-headers and Link', async () => {
    const answer = await get(`/api/v4/projects/${WEB_APP}/variables?per_page=4&page=2`, asAda);
    expect(answer.headers).toMatchObject({
      'x-page': '2',
      'x-per-page': '4',
      'x-total': '9',
      'x-total-pages': '3',
      'x-next-page': '3',
      'x-prev-page': '1',
    });
    expect(answer.headers.link).toMatch(/[?&]page=3[^>]*>; rel="next"/);
    expect(answer.json()).toHaveLength(4);
  });

  it('resolves tags, branches and commits, and flags protected refs', async () => {
    const tag = await get(`/api/v4/projects/${WEB_APP}/repository/tags/v1.0.0`, asAda);
    expect(tag.json()).toMatchObject({ name: 'v1.0.0', protected: true });
    expect(tag.json().target).not.toBe(tag.json().commit.id); // an annotated tag
    const branch = await get(`/api/v4/projects/${WEB_APP}/repository/branches/release%2F1.0`, asAda);
    expect(branch.json()).toMatchObject({ name: 'release/1.0', protected: true, default: false });
    const feature = await get(`/api/v4/projects/${WEB_APP}/repository/branches/feature%2Flogin`, asAda);
    expect(feature.json().protected).toBe(false);
    const commit = await get(`/api/v4/projects/${WEB_APP}/repository/commits/main`, asAda);
    expect(commit.json().id).toBe(tag.json().commit.id);
  });

  it('lists releases newest first, each with its commit', async () => {
    const answer = await get('/api/v4/projects/acme%2Fcomponents%2Fcontainer/releases');
    expect(answer.json().map((release: { tag_name: string }) => release.tag_name)).toEqual([
      '2.1.0-rc.1',
      '1.2.0',
      '2.0.0',
      '1.1.0',
      '1.0.0',
    ]);
    expect(answer.json()[2].commit.id).toBe(standin.sha('acme/components/container', '2.0.0'));
  });

  it('serves CI templates by key, slashes encoded, without a token', async () => {
    const answer = await get('/api/v4/templates/gitlab_ci_ymls/Security%2FLicense-Check');
    expect(answer.status).toBe(200);
    expect(answer.json().content).toContain('template: Jobs/License-Check.gitlab-ci.yml');
    expect((await get('/api/v4/templates/gitlab_ci_ymls/Nope')).json()).toEqual({
      message: '404 Template Not Found',
    });
  });

  it("downloads a job's artifacts of a ref as a zip", async () => {
    const answer = await get(
      '/api/v4/projects/acme%2Fplatform%2Fschemas/jobs/artifacts/main/download?job=publish-schemas',
      asAda,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.subarray(0, 2).toString()).toBe('PK');
    const missing = await get(
      '/api/v4/projects/acme%2Fplatform%2Fschemas/jobs/artifacts/main/download?job=x',
      asAda,
    );
    expect(missing.status).toBe(404);
  });

  it('answers 404 for endpoints GitLab has but glci does not call', async () => {
    expect((await get(`/api/v4/projects/${WEB_APP}/pipelines`, asAda)).status).toBe(404);
  });

  it('replaces {{remoteUrl}} in variable values with the include:remote server', async () => {
    const variables = (await get('/api/v4/groups/acme/variables', asAda)).json();
    expect(variables.find((v: { key: string }) => v.key === 'ACME_CI_REMOTE').value).toBe(
      `${standin.remote.url}/ci`,
    );
  });

  it('adds the configured latency to every answer', async () => {
    standin.setLatency(80);
    const started = Date.now();
    await get('/api/v4/projects/acme%2Fcomponents%2Fcontainer');
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    standin.setLatency(0);
  });
});

describe('git over HTTP (git http-backend)', () => {
  const exec = promisify(execFile);
  const gitEnv = () => ({
    ...process.env,
    GIT_SSL_CAINFO: standin.caFile,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  });
  const credential = (token: string) => [
    '-c',
    `credential.helper=!f() { echo username=glci; echo password=${token}; }; f`,
  ];

  it('clones a public project anonymously with a partial, shallow clone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'standin-clone-'));
    try {
      await exec(
        'git',
        [
          'clone',
          '--quiet',
          '--depth=1',
          '--filter=blob:none',
          `${standin.url}/acme/components/quality.git`,
          dir,
        ],
        { env: gitEnv() },
      );
      expect(readFileSync(path.join(dir, 'templates/lint.yml'), 'utf8')).toContain('allow_failure');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for credentials for a private project, and takes a token as the password', async () => {
    const url = `${standin.url}/acme/platform/web-app.git`;
    await expect(exec('git', ['ls-remote', url], { env: gitEnv() })).rejects.toThrow(
      /Authentication failed|could not read Username/,
    );
    const { stdout } = await exec('git', [...credential(ADA), 'ls-remote', url, 'refs/tags/v1.0.0'], {
      env: gitEnv(),
    });
    expect(stdout).toContain('refs/tags/v1.0.0');
    await expect(
      exec('git', [...credential('glpat-ada-maintainer-WRONG'), 'ls-remote', url], { env: gitEnv() }),
    ).rejects.toThrow(/Authentication failed/);
  });

  it('refuses a push', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'standin-push-'));
    try {
      await exec('git', ['init', '--quiet', dir]);
      await exec('git', ['-C', dir, 'commit', '--quiet', '--allow-empty', '-m', 'x'], {
        env: {
          ...gitEnv(),
          GIT_AUTHOR_NAME: 'x',
          GIT_AUTHOR_EMAIL: 'x@x',
          GIT_COMMITTER_NAME: 'x',
          GIT_COMMITTER_EMAIL: 'x@x',
        },
      });
      await expect(
        exec(
          'git',
          [
            ...credential(ADA),
            '-C',
            dir,
            'push',
            `${standin.url}/acme/components/quality.git`,
            'HEAD:refs/heads/x',
          ],
          {
            env: gitEnv(),
          },
        ),
      ).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the fixtures', () => {
  const webAppCi = readFileSync(
    path.join(DEFAULT_FIXTURES_DIR, 'repos/acme/platform/web-app/01-initial/.gitlab-ci.yml'),
    'utf8',
  );

  it('pin the shared templates to the commit the stand-in builds for v1.1.0', () => {
    expect(webAppCi).toContain(`ref: ${standin.sha('acme/platform/ci-templates', 'v1.1.0')}`);
  });

  it('give the remote include the integrity of the file the remote server serves', () => {
    const content = readFileSync(path.join(DEFAULT_FIXTURES_DIR, 'remote/ci/notify.yml'));
    expect(webAppCi).toContain(`integrity: sha256-${createHash('sha256').update(content).digest('base64')}`);
  });
});
