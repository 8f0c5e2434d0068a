import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JobRecord, JobSpecInput } from '@glci/runner-api';
import { type RunnerEntryOptions, type RunnerGlobalOptions, renderRunnersConfig } from '@glci/runner-api';
import { type RunningGitlabRunner, startGitlabRunner } from '@glci/testkit';
import { createMockServer, type MockServerOptions, type RunningMockServer } from '../create-mock-server.js';

const execFileAsync = promisify(execFile);
export const SECRET = 'internal-secret-for-real-runner-tests';
export const PROJECT = 'group/demo';

export interface FinishedJob {
  readonly record: JobRecord;
  /** The log as the mock stored it (what the runner sent, checksum-verified at the final update). */
  readonly trace: string;
}

export interface RealRunnerHarness extends AsyncDisposable {
  readonly mock: RunningMockServer;
  readonly runner: RunningGitlabRunner;
  readonly dataDir: string;
  /** The runner's authentication token (registered with the mock). */
  readonly token: string;
  /** Serves `repoDir` as `group/demo` for pipeline `pipelineId`; returns the commit to build. */
  publish(repoDir: string, pipelineId?: number): Promise<string>;
  enqueue(spec: Partial<JobSpecInput> & Pick<JobSpecInput, 'script'>): JobRecord;
  /** Waits until the job has reached a final state (and its log was verified when it ran). */
  finished(jobId: number, timeoutMs?: number): Promise<FinishedJob>;
  run(spec: Partial<JobSpecInput> & Pick<JobSpecInput, 'script'>, timeoutMs?: number): Promise<FinishedJob>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Where the mock listens; a Docker-executor runner needs an address containers reach. */
  readonly host?: string;
  readonly mock?: Partial<MockServerOptions>;
  /** Settings of the runner's one `[[runners]]` entry (url and token are filled in). */
  readonly entry?: Partial<RunnerEntryOptions>;
  readonly global?: RunnerGlobalOptions;
  readonly tags?: readonly string[];
}

/**
 * A mock on a free port plus the official gitlab-runner as a host process taking its jobs (the
 * shell executor by default), for tests that prove the mock with the real runner.
 */
export async function startRealRunnerHarness(options: HarnessOptions = {}): Promise<RealRunnerHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'glci-real-runner-'));
  const mock = await createMockServer({ secret: SECRET, dataDir, longPollMs: 2_000, ...options.mock }).listen(
    {
      host: options.host ?? '127.0.0.1',
      port: 0,
      closeTimeoutMs: 500,
    },
  );
  const api = mock.runnerApi;
  const { token } = api.registerRunner({ tags: [...(options.tags ?? [])], runUntagged: true });
  const buildsRoot = path.join(dataDir, 'runner');
  const config = renderRunnersConfig(
    { concurrent: 4, checkInterval: 1, logLevel: 'info', ...options.global },
    [
      {
        url: mock.url,
        token,
        name: 'real-runner-test',
        executor: 'shell',
        buildsDir: path.join(buildsRoot, 'builds'),
        cacheDir: path.join(buildsRoot, 'cache'),
        ...options.entry,
      },
    ],
  );
  const runner = await startGitlabRunner(config);
  let nextPipeline = 1;
  let sha = '';

  const harness: RealRunnerHarness = {
    mock,
    runner,
    dataDir,
    token,
    async publish(repoDir, pipelineId = nextPipeline) {
      nextPipeline = pipelineId + 1;
      ({ sha } = await api.publishRepository({ projectPath: PROJECT, repoDir, ref: 'main', pipelineId }));
      return sha;
    },
    enqueue(spec) {
      return api.enqueue({
        name: 'job',
        project: { path: PROJECT },
        pipeline: { id: Math.max(1, nextPipeline - 1) },
        git: { ref: 'main', sha },
        ...spec,
      });
    },
    async finished(jobId, timeoutMs = 60_000) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        for await (const _event of api.events.watch(jobId, { signal: controller.signal })) {
          // watch() ends after the job's final state.
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        clearTimeout(timer);
      }
      const record = api.job(jobId)!;
      if (!['success', 'failed', 'canceled'].includes(record.state)) {
        throw new Error(
          `job ${jobId} is still ${record.state} after ${timeoutMs} ms; runner log:\n${runner.output()}`,
        );
      }
      return { record, trace: api.trace(jobId).toString('utf8') };
    },
    async run(spec, timeoutMs) {
      return await harness.finished(harness.enqueue(spec).id, timeoutMs);
    },
    async close() {
      await runner.stop();
      await mock.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => harness.close(),
  };
  return harness;
}

/** A git repository with `commits` commits on `main` (a README changed by each). */
export async function makeRepository(commits = 1): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glci-real-runner-repo-'));
  const git = (...args: string[]) =>
    execFileAsync('git', [
      '-C',
      dir,
      '-c',
      'user.name=Ada Tester',
      '-c',
      'user.email=ada@example.com',
      ...args,
    ]);
  await git('init', '-q', '-b', 'main');
  for (let index = 1; index <= commits; index += 1) {
    await writeFile(path.join(dir, 'README.md'), `# demo\n\nrevision ${index}\n`);
    await git('add', '-A');
    await git('commit', '-q', '-m', `Commit number ${index}`);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** ANSI escape sequences (colours, erase-line) as the runner writes them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what this matches
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The script lines' output with the runner's colour codes and section markers removed. */
export function plain(trace: string): string {
  return trace
    .replace(/section_(?:start|end):\d+:[^\r\n]*\r/g, '')
    .replace(ANSI_ESCAPE, '')
    .replace(/\r/g, '');
}
