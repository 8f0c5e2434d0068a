import { describe, expect, it } from 'vitest';
import { ExternalRegistries } from './external-registries.js';
import type { JobRecord } from './job-queue.js';
import type { Runner } from './runner-store.js';
import { jobSpecSchema } from './schemas.js';
import { jobSpec } from './test-support/harness.js';
import { predefinedVariables, type ServerContext, slugify, userVariables } from './variables.js';

const server: ServerContext = {
  serverUrl: new URL('http://host.docker.internal:39741'),
  registryHost: 'host.docker.internal:39741',
  registryMirror: 'http://host.docker.internal:39741',
  serverVersion: '18.4.0',
};
const runner = { id: 3, description: 'laptop', tags: ['docker'] } as unknown as Runner;

function job(overrides = {}): JobRecord {
  return {
    id: 12,
    spec: jobSpecSchema.parse(
      jobSpec({
        name: 'Build Image',
        project: { path: 'My-Group/Sub/App', id: 5 },
        git: {
          ref: 'feature/X',
          sha: 'b'.repeat(40),
          commit: { message: 'Title line\n\nBody text', author_name: 'Ada', author_email: 'ada@example.com' },
        },
        ...overrides,
      }),
    ),
    state: 'running',
    runnerId: 3,
    createdAt: Date.UTC(2026, 0, 1),
    startedAt: Date.UTC(2026, 0, 1, 0, 0, 5),
    finishedAt: undefined,
    failureReason: undefined,
    exitCode: undefined,
  };
}

describe('predefinedVariables', () => {
  const vars = (record = job()) =>
    Object.fromEntries(predefinedVariables(server, record, runner, 'glcbt-12_token').map((v) => [v.key, v]));

  it('describes the server, project, pipeline, commit and job', () => {
    const v = vars();
    const value = (key: string) => v[key]?.value;
    expect(value('CI_SERVER_URL')).toBe('http://host.docker.internal:39741');
    expect(value('CI_SERVER_HOST')).toBe('host.docker.internal');
    expect(value('CI_SERVER_PORT')).toBe('39741');
    expect(value('CI_API_V4_URL')).toBe('http://host.docker.internal:39741/api/v4');
    expect(value('CI_PROJECT_PATH')).toBe('My-Group/Sub/App');
    expect(value('CI_PROJECT_NAME')).toBe('App');
    expect(value('CI_PROJECT_NAMESPACE')).toBe('My-Group/Sub');
    expect(value('CI_PROJECT_PATH_SLUG')).toBe('my-group-sub-app');
    expect(value('CI_PIPELINE_ID')).toBe('7');
    expect(value('CI_COMMIT_SHA')).toBe('b'.repeat(40));
    expect(value('CI_COMMIT_SHORT_SHA')).toBe('bbbbbbbb');
    expect(value('CI_COMMIT_REF_NAME')).toBe('feature/X');
    expect(value('CI_COMMIT_REF_SLUG')).toBe('feature-x');
    expect(value('CI_COMMIT_BRANCH')).toBe('feature/X');
    expect(v.CI_COMMIT_TAG).toBeUndefined();
    expect(value('CI_COMMIT_TITLE')).toBe('Title line');
    expect(value('CI_COMMIT_DESCRIPTION')).toBe('Body text');
    expect(value('CI_COMMIT_AUTHOR')).toBe('Ada <ada@example.com>');
    expect(value('CI_JOB_ID')).toBe('12');
    expect(value('CI_JOB_NAME_SLUG')).toBe('build-image');
    expect(value('CI_JOB_STARTED_AT')).toBe('2026-01-01T00:00:05Z');
    expect(value('CI_RUNNER_TAGS')).toBe('["docker"]');
  });

  it('gives the registry and mirror variables, with the token masked and private', () => {
    const v = vars();
    expect(v.CI_REGISTRY?.value).toBe('host.docker.internal:39741');
    expect(v.CI_REGISTRY_IMAGE?.value).toBe('host.docker.internal:39741/my-group/sub/app');
    expect(v.CI_REGISTRY_USER?.value).toBe('gitlab-ci-token');
    expect(v.CI_REGISTRY_PASSWORD).toEqual({
      key: 'CI_REGISTRY_PASSWORD',
      value: 'glcbt-12_token',
      public: false,
      masked: true,
    });
    expect(v.CI_JOB_TOKEN).toMatchObject({ value: 'glcbt-12_token', public: false, masked: true });
    expect(v.CI_REPOSITORY_URL).toMatchObject({
      value: 'http://gitlab-ci-token:glcbt-12_token@host.docker.internal:39741/My-Group/Sub/App.git',
      public: false,
    });
    expect(v.DOCKER_REGISTRY_MIRROR?.value).toBe('http://host.docker.internal:39741');
    expect(v.KANIKO_MIRROR_ARGS?.value).toBe(
      '--registry-mirror host.docker.internal:39741 --insecure-registry host.docker.internal:39741',
    );
  });

  it("points CI_REGISTRY* at an external registry, with its credentials from the mock's memory", () => {
    const registries = new ExternalRegistries();
    registries.set('registry.corp:5000', { username: 'ci-bot', password: 's3cret$HOME' });
    const external = { ...server, externalRegistries: registries };
    const record = job({ external_registry: { host: 'registry.corp:5000' } });
    const v = Object.fromEntries(
      predefinedVariables(external, record, runner, 'glcbt-12_token').map((entry) => [entry.key, entry]),
    );
    expect(v.CI_REGISTRY?.value).toBe('registry.corp:5000');
    expect(v.CI_REGISTRY_IMAGE?.value).toBe('registry.corp:5000/my-group/sub/app');
    expect(v.CI_REGISTRY_USER?.value).toBe('ci-bot');
    // Raw: the runner must not expand the `$HOME` in a password.
    expect(v.CI_REGISTRY_PASSWORD).toEqual({
      key: 'CI_REGISTRY_PASSWORD',
      value: 's3cret$HOME',
      public: false,
      masked: true,
      raw: true,
    });
    // Pulls still go through the embedded registry's cache.
    expect(v.CI_DEPENDENCY_PROXY_SERVER?.value).toBe('host.docker.internal:39741');
    // The spec names the host only: the password is never part of what the mock saves.
    expect(JSON.stringify(record.spec)).not.toContain('s3cret');

    // A registry that takes anonymous pushes: no login variables.
    registries.set('registry.corp:5000', undefined);
    const anonymous = Object.fromEntries(
      predefinedVariables(external, record, runner, 't').map((entry) => [entry.key, entry.value]),
    );
    expect(anonymous.CI_REGISTRY).toBe('registry.corp:5000');
    expect(anonymous.CI_REGISTRY_USER).toBeUndefined();
    expect(anonymous.CI_REGISTRY_PASSWORD).toBeUndefined();
  });

  it('refuses an external registry named with a scheme or a path', () => {
    for (const host of ['http://registry.corp', 'registry.corp/team', 'registry corp']) {
      expect(() => job({ external_registry: { host } }), host).toThrow(/expected a registry host/);
    }
  });

  it('gives no registry, dependency proxy or mirror variable to a job without the registry', () => {
    const v = vars(job({ registry: false }));
    for (const key of [
      'CI_REGISTRY',
      'CI_REGISTRY_IMAGE',
      'CI_REGISTRY_USER',
      'CI_REGISTRY_PASSWORD',
      'CI_DEPENDENCY_PROXY_SERVER',
      'CI_DEPENDENCY_PROXY_PASSWORD',
      'DOCKER_REGISTRY_MIRROR',
      'KANIKO_MIRROR_ARGS',
    ]) {
      expect(v[key], key).toBeUndefined();
    }
    expect(v.CI_JOB_TOKEN?.value).toBe('glcbt-12_token');
  });

  it('leaves the variables the runner adds to the runner', () => {
    const v = vars();
    for (const key of ['CI_PROJECT_DIR', 'CI_BUILDS_DIR', 'CI_JOB_STATUS', 'CI_JOB_TIMEOUT', 'CI_SERVER']) {
      expect(v[key]).toBeUndefined();
    }
  });

  it('switches to tag variables for tag pipelines', () => {
    const v = vars(job({ git: { ref: 'v1.0', ref_type: 'tag', sha: 'c'.repeat(40) } }));
    expect(v.CI_COMMIT_TAG?.value).toBe('v1.0');
    expect(v.CI_COMMIT_BRANCH).toBeUndefined();
  });

  it('sets no CI_COMMIT_BRANCH in a merge request pipeline, as GitLab does', () => {
    const v = vars(job({ pipeline: { id: 7, source: 'merge_request_event' } }));
    expect(v.CI_PIPELINE_SOURCE?.value).toBe('merge_request_event');
    expect(v.CI_COMMIT_REF_NAME?.value).toBe('feature/X');
    expect(v.CI_COMMIT_BRANCH).toBeUndefined();
    expect(v.CI_COMMIT_TAG).toBeUndefined();
  });
});

describe('userVariables', () => {
  it('maps masked, file, raw and expand: false', () => {
    const spec = jobSpecSchema.parse(
      jobSpec({
        variables: {
          A: 'plain',
          N: 3,
          M: { value: 'secret-value', masked: true },
          F: { value: 'file content', file: true },
          R: { value: '$NOT_EXPANDED', expand: false },
          P: { value: 'private', public: false },
        },
      }),
    );
    expect(userVariables(spec.variables)).toEqual([
      { key: 'A', value: 'plain', public: true },
      { key: 'N', value: '3', public: true },
      { key: 'M', value: 'secret-value', public: true, masked: true },
      { key: 'F', value: 'file content', public: true, file: true },
      { key: 'R', value: '$NOT_EXPANDED', public: true, raw: true },
      { key: 'P', value: 'private', public: false },
    ]);
  });

  it('slugifies like GitLab', () => {
    expect(slugify('Feature/ÄBC--x_y')).toBe('feature--bc--x-y');
    expect(slugify('a'.repeat(70))).toHaveLength(63);
  });
});
