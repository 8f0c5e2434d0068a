import { describe, expect, it } from 'vitest';
import type { ArtifactRecord } from './artifact-store.js';
import { ExternalRegistries } from './external-registries.js';
import type { JobRecord } from './job-queue.js';
import { buildJobPayload } from './payload.js';
import type { Runner } from './runner-store.js';
import { type JobSpecInput, jobSpecSchema } from './schemas.js';
import { jobSpec } from './test-support/harness.js';

const server = {
  serverUrl: new URL('http://mock:8080/'),
  registryHost: 'mock:8080',
  registryMirror: 'http://mock:8080',
  serverVersion: '18.4.0',
};
const runner = {
  id: 1,
  description: '',
  tags: [],
  runUntagged: true,
  maximumTimeout: undefined,
} as unknown as Runner;

function record(
  id: number,
  overrides: Partial<JobSpecInput> = {},
  state: JobRecord['state'] = 'running',
): JobRecord {
  return {
    id,
    spec: jobSpecSchema.parse(jobSpec(overrides)),
    state,
    runnerId: 1,
    createdAt: 0,
    startedAt: 5000,
    finishedAt: undefined,
    failureReason: undefined,
    exitCode: undefined,
  };
}

const payload = (job: JobRecord, extra: Partial<Parameters<typeof buildJobPayload>[0]> = {}) =>
  buildJobPayload({ job, token: 'glcbt-9_t', runner, server, dependencies: [], now: 12_000, ...extra });

describe('buildJobPayload', () => {
  it('builds a minimal payload the runner decodes', () => {
    const body = payload(record(9));
    expect(body).not.toHaveProperty('run');
    expect(body).not.toHaveProperty('inputs');
    expect(body.image).toEqual({ name: '' });
    expect(body.steps).toEqual([
      { name: 'script', script: ['echo hello'], timeout: 3600, when: 'on_success', allow_failure: false },
    ]);
    expect(body.job_info).toMatchObject({ project_full_path: 'group/demo', time_in_queue_seconds: 12 });
    expect(body.git_info).toMatchObject({
      repo_url: 'http://gitlab-ci-token:glcbt-9_t@mock:8080/group/demo.git',
    });
    expect(body.credentials).toEqual([
      { type: 'registry', url: 'mock:8080', username: 'gitlab-ci-token', password: 'glcbt-9_t' },
    ]);
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it("lets the runner pull from an external registry with the mock's in-memory credentials", () => {
    const externalRegistries = new ExternalRegistries();
    externalRegistries.set('registry.corp', { username: 'u', password: 'p' });
    const body = payload(record(9, { external_registry: { host: 'registry.corp' } }), {
      server: { ...server, externalRegistries },
    });
    expect(body.credentials).toEqual([
      { type: 'registry', url: 'mock:8080', username: 'gitlab-ci-token', password: 'glcbt-9_t' },
      { type: 'registry', url: 'registry.corp', username: 'u', password: 'p' },
    ]);
  });

  it('omits executor_opts without options and caps the timeout at the runner maximum', () => {
    const body = payload(record(9, { image: { name: 'a', docker: {} }, timeout: 7200 }), {
      runner: { ...runner, maximumTimeout: 600 },
    });
    expect(body.image).toEqual({ name: 'a' });
    expect(body.runner_info).toEqual({ timeout: 600 });
  });

  it('lists only dependencies that have archive artifacts, with the running job token', () => {
    const artifact = { filename: 'artifacts.zip', size: 3 } as ArtifactRecord;
    const body = payload(record(9, { dependencies: [1, 2] }), {
      dependencies: [
        { job: record(1, { name: 'a' }, 'success'), artifact },
        { job: record(2, { name: 'b' }, 'success'), artifact: undefined },
      ],
    });
    expect(body.dependencies).toEqual([
      { id: 1, name: 'a', token: 'glcbt-9_t', artifacts_file: { filename: 'artifacts.zip', size: 3 } },
    ]);
  });

  it('suffixes cache keys by protection unless unprotected, and honours custom refspecs', () => {
    const body = payload(
      record(9, {
        git: {
          ref: 'main',
          sha: 'a'.repeat(40),
          protected: true,
          refspecs: ['+refs/heads/*:refs/remotes/origin/*'],
        },
        cache: [{ key: 'k', fallback_keys: ['f'] }, { key: 'shared', unprotect: true }, {}],
      }),
    );
    expect((body.cache as { key: string }[]).map((c) => c.key)).toEqual([
      'k-protected',
      'shared',
      'default-protected',
    ]);
    expect((body.cache as { fallback_keys: string[] }[])[0]?.fallback_keys).toEqual(['f-protected']);
    expect((body.git_info as { refspecs: string[] }).refspecs).toEqual([
      '+refs/heads/*:refs/remotes/origin/*',
    ]);
  });
});
