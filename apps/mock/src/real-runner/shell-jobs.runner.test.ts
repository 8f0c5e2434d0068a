import { crc32, formatChecksum } from '@glci/runner-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeRepository,
  plain,
  type RealRunnerHarness,
  startRealRunnerHarness,
} from '../test-support/real-runner.js';

/**
 * The official gitlab-runner (shell executor, a host process) against createMockServer: logs,
 * exit codes, git and the predefined variables, as the real runner sees them.
 */
let harness: RealRunnerHarness;
let repo: Awaited<ReturnType<typeof makeRepository>>;
let sha: string;

beforeAll(async () => {
  repo = await makeRepository(30);
  // One job at a time: the next job gets the same builds directory (the runner picks one per
  // concurrency slot), so the second clone is a fetch into the first one's checkout.
  harness = await startRealRunnerHarness({ global: { concurrent: 1 } });
  sha = await harness.publish(repo.dir);
});

afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

describe('the official runner, shell executor', () => {
  it('runs a job whose stored log is exactly what it printed, checksum verified', async () => {
    const verified: unknown[] = [];
    const onVerified = (event: unknown) => verified.push(event);
    harness.mock.runnerApi.events.on('trace-verified', onVerified);
    const { record, trace } = await harness.run({
      name: 'hello',
      script: ['echo "hello from $CI_JOB_NAME"', 'printf "%s\\n" "unicode: grüße ✓"'],
    });
    harness.mock.runnerApi.events.off('trace-verified', onVerified);
    expect(record.state).toBe('success');
    expect(trace).toContain('Running with gitlab-runner 17.9.0');
    expect(plain(trace)).toContain('\nhello from hello\n');
    expect(plain(trace)).toContain('\nunicode: grüße ✓\n');
    expect(trace).toMatch(/Job succeeded/);
    const bytes = harness.mock.runnerApi.trace(record.id);
    expect(verified).toContainEqual({
      type: 'trace-verified',
      jobId: record.id,
      checksum: formatChecksum(crc32(bytes)),
      bytesize: bytes.length,
    });
  });

  it('fails a job with the script exit code and failure reason', async () => {
    const { record, trace } = await harness.run({
      name: 'fails',
      script: ['echo before', 'exit 42', 'echo never'],
    });
    expect(record).toMatchObject({ state: 'failed', failureReason: 'script_failure', exitCode: 42 });
    expect(plain(trace)).toContain('\nbefore\n');
    expect(plain(trace)).not.toContain('\nnever\n');
    expect(plain(trace)).toContain('ERROR: Job failed: exit status 42');
  });

  it('stores a log over 1 MiB byte for byte (several trace patches)', async () => {
    // 3 MiB of lines with their own number, so a lost or repeated patch shows.
    const script = [
      'for i in $(seq 1 49152); do printf "line %06d %s\\n" $i 0123456789abcdef0123456789abcdef0123456789abcdef; done',
    ];
    const { record, trace } = await harness.run({ name: 'big-log', script }, 120_000);
    expect(record.state).toBe('success');
    const lines = plain(trace)
      .split('\n')
      .filter((line) => line.startsWith('line '));
    expect(lines).toHaveLength(49152);
    expect(lines[0]).toBe('line 000001 0123456789abcdef0123456789abcdef0123456789abcdef');
    expect(lines.at(-1)).toBe('line 049152 0123456789abcdef0123456789abcdef0123456789abcdef');
    expect(Buffer.byteLength(trace)).toBeGreaterThan(2.5 * 1024 * 1024);
    expect(lines).toEqual(
      Array.from(
        { length: 49152 },
        (_, i) => `line ${String(i + 1).padStart(6, '0')} ${'0123456789abcdef'.repeat(3)}`,
      ),
    );
  });

  it('clones with the job token, shallow to GIT_DEPTH, and fetches into the existing checkout next time', async () => {
    // GIT_STRATEGY=clone starts from an empty directory whatever ran before in this builds dir.
    const first = await harness.run({
      name: 'clone',
      git: { ref: 'main', sha, depth: 5 },
      variables: { GIT_STRATEGY: 'clone' },
      script: [
        'git rev-parse HEAD',
        'echo "commits: $(git rev-list --count HEAD)"',
        'cat README.md',
        'git remote get-url origin',
      ],
    });
    expect(first.record.state).toBe('success');
    const out = plain(first.trace);
    expect(out).toContain(`\n${sha}\n`);
    expect(out).toContain('\ncommits: 5\n');
    expect(out).toContain('revision 30');
    expect(out).toMatch(/Created fresh repository/);
    // The job token in the remote URL is masked in the log.
    expect(out).not.toMatch(/glcbt-/);
    const second = await harness.run({
      name: 'clone',
      git: { ref: 'main', sha, depth: 5 },
      script: ['echo "commits: $(git rev-list --count HEAD)"'],
    });
    expect(second.record.state).toBe('success');
    expect(plain(second.trace)).toMatch(/Reinitialized existing Git repository|Fetching changes/);
    expect(plain(second.trace)).not.toMatch(/Created fresh repository/);
    expect(plain(second.trace)).toContain('\ncommits: 5\n');
  });

  it('hands the job the predefined variables, with CI_JOB_TOKEN and CI_REGISTRY_PASSWORD masked', async () => {
    const { record, trace } = await harness.run({
      name: 'variables',
      stage: 'build',
      git: {
        ref: 'main',
        sha,
        commit: {
          message: 'Commit number 30\n\nbody text',
          author_name: 'Ada Tester',
          author_email: 'ada@example.com',
        },
      },
      script: [
        'env | grep -E "^(CI=|CI_|DOCKER_REGISTRY_MIRROR|KANIKO_MIRROR_ARGS|GITLAB_CI)" | sort',
        'echo "token: $CI_JOB_TOKEN"',
        'echo "password: $CI_REGISTRY_PASSWORD"',
        'test "$CI_JOB_TOKEN" = "$CI_REGISTRY_PASSWORD" && echo "the registry password is the job token"',
        'case "$CI_JOB_TOKEN" in glcbt-*) echo "token has the glcbt- prefix";; esac',
      ],
    });
    expect(record.state).toBe('success');
    const out = plain(trace);
    const value = (name: string) => out.match(new RegExp(`^${name}=(.*)$`, 'm'))?.[1];
    const host = new URL(harness.mock.url).host;
    expect(value('CI')).toBe('true');
    expect(value('GITLAB_CI')).toBe('true');
    expect(value('CI_REGISTRY')).toBe(host);
    expect(value('CI_REGISTRY_IMAGE')).toBe(`${host}/group/demo`);
    expect(value('CI_REGISTRY_USER')).toBe('gitlab-ci-token');
    expect(value('CI_REGISTRY_PASSWORD')).toBe('[MASKED]');
    expect(value('CI_JOB_TOKEN')).toBe('[MASKED]');
    expect(out).toContain('token: [MASKED]');
    expect(out).toContain('the registry password is the job token');
    expect(out).toContain('token has the glcbt- prefix');
    expect(value('CI_COMMIT_SHA')).toBe(sha);
    expect(value('CI_COMMIT_SHORT_SHA')).toBe(sha.slice(0, 8));
    expect(value('CI_COMMIT_REF_NAME')).toBe('main');
    expect(value('CI_COMMIT_BRANCH')).toBe('main');
    expect(value('CI_COMMIT_TITLE')).toBe('Commit number 30');
    expect(value('CI_COMMIT_AUTHOR')).toBe('Ada Tester <ada@example.com>');
    expect(value('CI_PIPELINE_ID')).toBe('1');
    expect(value('CI_PIPELINE_SOURCE')).toBe('push');
    expect(value('CI_JOB_NAME')).toBe('variables');
    expect(value('CI_JOB_STAGE')).toBe('build');
    expect(value('CI_PROJECT_PATH')).toBe('group/demo');
    expect(value('CI_SERVER_URL')).toBe(harness.mock.url);
    expect(value('DOCKER_REGISTRY_MIRROR')).toBe(harness.mock.url);
    expect(value('KANIKO_MIRROR_ARGS')).toBe(`--registry-mirror ${host} --insecure-registry ${host}`);
    // Never the raw token anywhere in the log.
    expect(trace).not.toMatch(/glcbt-[A-Za-z0-9_-]{10,}/);
  });
});
