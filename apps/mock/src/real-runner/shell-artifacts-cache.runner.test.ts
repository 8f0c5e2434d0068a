import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { configSchema } from '@glci/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeRepository,
  plain,
  type RealRunnerHarness,
  startRealRunnerHarness,
} from '../test-support/real-runner.js';

/**
 * Artifacts, dotenv reports and the S3 cache, with the official runner (shell executor): every
 * archive goes through the runner's own helper commands (artifacts-uploader, artifacts-downloader,
 * cache-archiver, cache-extractor) to the mock and back.
 */
let harness: RealRunnerHarness;
let repo: Awaited<ReturnType<typeof makeRepository>>;

beforeAll(async () => {
  repo = await makeRepository(1);
  harness = await startRealRunnerHarness({
    global: { concurrent: 1 },
    mock: {
      // 64 KiB of cache in all: the small caches below fit, the 256 KiB one gets 507.
      config: configSchema.parse({
        cache: { max_size: '64KB' },
        registry: { storage: { driver: 'memory' }, upstreams: [] },
      }),
    },
  });
  await harness.publish(repo.dir);
});

afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

/** The shell executor's local cache directory, which the S3 cache must not depend on. */
async function wipeLocalCache(): Promise<void> {
  const cacheDir = path.join(harness.dataDir, 'runner', 'cache');
  await rm(cacheDir, { recursive: true, force: true });
}

describe('the official runner, shell executor: artifacts and cache', () => {
  it('uploads artifacts and a dotenv report that a dependent job receives', async () => {
    const build = await harness.run({
      name: 'build',
      stage: 'build',
      script: [
        'mkdir -p dist',
        'echo "the build output" > dist/app.txt',
        'echo "BUILD_VERSION=v1.2.$CI_JOB_ID" > build.env',
        'echo "DEPLOY_URL=https://review.example.com/demo" >> build.env',
      ],
      artifacts: { paths: ['dist/'], reports: { dotenv: 'build.env' } },
    });
    expect(build.record.state).toBe('success');
    expect(plain(build.trace)).toMatch(/Uploading artifacts as "archive" to coordinator\.\.\. 201 Created/);
    expect(plain(build.trace)).toMatch(/Uploading artifacts as "dotenv" to coordinator\.\.\. 201 Created/);

    const deploy = await harness.run({
      name: 'deploy',
      stage: 'deploy',
      dependencies: [build.record.id],
      variables: { DEPLOY_URL: 'the YAML value, overridden by the dotenv report' },
      script: ['cat dist/app.txt', 'echo "version=$BUILD_VERSION url=$DEPLOY_URL"'],
    });
    expect(deploy.record.state).toBe('success');
    const out = plain(deploy.trace);
    expect(out).toMatch(/Downloading artifacts for build \(\d+\)\.\.\./);
    expect(out).toContain('\nthe build output\n');
    expect(out).toContain(`\nversion=v1.2.${build.record.id} url=https://review.example.com/demo\n`);
  });

  it('saves a cache to the mock and restores it after the local cache directory was wiped', async () => {
    const save = await harness.run({
      name: 'fill-cache',
      script: ['mkdir -p .deps', 'echo "cached dependency $CI_JOB_ID" > .deps/lib.txt'],
      cache: { key: 'deps-v1', paths: ['.deps/'] },
    });
    expect(save.record.state).toBe('success');
    expect(plain(save.trace)).toMatch(/Uploading cache\.zip to .*runner-cache\/.*deps-v1-non_protected/);
    expect(plain(save.trace)).toContain('Created cache');
    await wipeLocalCache();

    const restore = await harness.run({
      name: 'use-cache',
      variables: { GIT_STRATEGY: 'clone' }, // a fresh checkout: .deps can only come from the cache
      script: ['cat .deps/lib.txt'],
      cache: { key: 'deps-v1', paths: ['.deps/'], policy: 'pull' },
    });
    expect(restore.record.state).toBe('success');
    const out = plain(restore.trace);
    expect(out).toMatch(/Downloading cache from .*deps-v1-non_protected/);
    expect(out).toContain('Successfully extracted cache');
    expect(out).toContain(`\ncached dependency ${save.record.id}\n`);
    // A pull-policy cache is never uploaded.
    expect(out).not.toContain('Uploading cache.zip');
  });

  it('restores from a fallback key when the job key has no cache yet', async () => {
    const restore = await harness.run({
      name: 'fallback',
      variables: { GIT_STRATEGY: 'clone' },
      script: ['cat .deps/lib.txt'],
      cache: { key: 'deps-v2', fallback_keys: ['deps-v1'], paths: ['.deps/'], policy: 'pull' },
    });
    expect(restore.record.state).toBe('success');
    expect(plain(restore.trace)).toMatch(/cached dependency \d+/);
  });

  it('answers a cache over the size limit with 507, which the runner reports without failing the job', async () => {
    const { record, trace } = await harness.run({
      name: 'huge-cache',
      script: ['mkdir -p big', 'head -c 262144 /dev/urandom > big/blob.bin'],
      cache: { key: 'too-big', paths: ['big/'] },
    });
    expect(record.state).toBe('success');
    const out = plain(trace);
    expect(out).toMatch(/Uploading cache\.zip to .*too-big/);
    expect(out).toMatch(/507 Insufficient Storage/);
    expect(out).toContain('Job succeeded');
    const stored = await readdir(path.join(harness.dataDir, 'cache')).catch(() => [] as string[]);
    expect(stored.join(' ')).not.toMatch(/too-big/);
  });
});
