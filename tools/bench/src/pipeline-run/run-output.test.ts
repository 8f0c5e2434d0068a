import { describe, expect, it } from 'vitest';
import {
  describeStateMismatch,
  FirstLineWatcher,
  gitlabCiLocalFirstLines,
  gitlabCiLocalJobStates,
  glciFirstLines,
  glciJobStates,
  isGitlabCiLocalJobStart,
  isGlciTraceLine,
} from './run-output.js';

const glciOutput = [
  JSON.stringify({ type: 'pipeline', pipelineId: 7, context: 'branch=main' }),
  JSON.stringify({ type: 'job', pipelineId: 7, name: 'build', status: 'running' }),
  JSON.stringify({ type: 'trace', pipelineId: 7, name: 'build', text: '' }),
  JSON.stringify({
    type: 'trace',
    pipelineId: 7,
    name: 'build',
    text: 'Running with gitlab-runner 17.9.0\n',
  }),
  JSON.stringify({ type: 'job', pipelineId: 7, name: 'build', status: 'success' }),
  JSON.stringify({ type: 'job', pipelineId: 7, name: 'lint', status: 'failed', allowedFailure: true }),
  JSON.stringify({ type: 'job', pipelineId: 8, name: 'child', status: 'failed' }),
  '',
].join('\n');

describe('the pipeline rows reading the tools output', () => {
  it("takes each root job's last state from glci run --json, allowed failures by name", () => {
    expect(glciJobStates(glciOutput)).toEqual({ build: 'success', lint: 'failed (allowed)' });
  });

  it("takes each job's state from gitlab-ci-local's closing summary", () => {
    const output = [
      'build      $ mkdir -p dist',
      '',
      ' PASS  build     ',
      ' WARN  spellcheck  pre_script',
      '  > checking the docs',
      ' FAIL  test  ',
      'pipeline finished in 15 s',
    ].join('\n');
    expect(gitlabCiLocalJobStates(output)).toEqual({
      build: 'success',
      spellcheck: 'failed (allowed)',
      test: 'failed',
    });
  });

  it('names every job whose state differs, and nothing when all match', () => {
    expect(
      describeStateMismatch({ a: 'success', b: 'success' }, { a: 'success', b: 'success' }),
    ).toBeUndefined();
    expect(describeStateMismatch({ a: 'failed', c: 'success' }, { a: 'success', b: 'success' })).toBe(
      'a: failed (expected success), b: absent (expected success), c: success (expected absent)',
    );
  });

  it("finds glci's first trace line with text, even when an event is split across chunks", () => {
    expect(
      isGlciTraceLine(JSON.stringify({ type: 'live', name: 'build', text: 'Running on runner-1\n' })),
    ).toBe(true);
    expect(isGlciTraceLine(JSON.stringify({ type: 'live', name: 'build', text: '\n' }))).toBe(false);
    const watcher = new FirstLineWatcher(isGlciTraceLine);
    const at = glciOutput.indexOf('Running with');
    expect(watcher.push(glciOutput.slice(0, at))).toBe(false);
    expect(watcher.seen).toBe(false);
    expect(watcher.push(glciOutput.slice(at, at + 40))).toBe(true);
    expect(watcher.push(glciOutput.slice(at + 40))).toBe(false);
    expect(watcher.seen).toBe(true);
  });

  it("finds gitlab-ci-local's first job start line, not its parsing lines", () => {
    expect(isGitlabCiLocalJobStart('build      starting glci-test/docker-cli:20.10-local (build)')).toBe(
      true,
    );
    expect(isGitlabCiLocalJobStart('parsing and downloads finished in 111 ms.')).toBe(false);
    expect(isGitlabCiLocalJobStart('json schema validated in 1.26 s')).toBe(false);
    expect(isGitlabCiLocalJobStart('build      $ mkdir -p dist')).toBe(false);
  });

  it('times the first job line of each kind, in both tools', () => {
    const line = (text: string, seconds: number, stream: 'stdout' | 'stderr' = 'stdout') => ({
      stream,
      text,
      seconds,
    });
    const glci = [
      line(JSON.stringify({ type: 'pipeline', pipelineId: 7 }), 0.5),
      line(JSON.stringify({ type: 'job', name: 'build', status: 'pending' }), 0.6),
      line(JSON.stringify({ type: 'job', name: 'build', status: 'running' }), 0.7),
      line(JSON.stringify({ type: 'job', name: 'test', status: 'running' }), 0.8),
      line(JSON.stringify({ type: 'live', name: 'build', text: '\n' }), 1.2),
      line(JSON.stringify({ type: 'live', name: 'build', text: 'Running on runner-1\n' }), 1.9),
      line(JSON.stringify({ type: 'trace', name: 'build', text: 'Running with gitlab-runner\n' }), 3.8),
      line('not json', 4.0, 'stderr'),
    ];
    expect(glciFirstLines(glci)).toEqual({ running: 0.7, live: 1.9, trace: 3.8 });
    const gitlabCiLocal = [
      line('parsing and downloads finished in 111 ms.', 0.3),
      line('build      starting glci-test/docker-cli:20.10-local (build)', 0.6),
      line('build      pulled glci-test/docker-cli:20.10-local', 0.9),
      line('build      $ mkdir -p dist', 1.4),
      line('build      > done', 1.5),
    ];
    expect(gitlabCiLocalFirstLines(gitlabCiLocal)).toEqual({ starting: 0.6, output: 1.4 });
  });
});
