/**
 * What the pipeline rows read from the two tools' output: each job's final state (a run that did
 * not do what the pipeline says is an ERROR, never a time) and, for glci, the moment its first job
 * trace line reaches stdout.
 */

import type { TimedLine } from './run-timed.js';

/** A job's final state, in the words of `glci run`'s summary: `success`, `failed`, `failed (allowed)`. */
export type JobStates = Readonly<Record<string, string>>;

/** The pipeline id of a `glci run --json` (its first event, `pipeline`). */
export function glciPipelineId(stdout: string): number | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type?: unknown; pipelineId?: unknown };
    if (event.type === 'pipeline' && typeof event.pipelineId === 'number') return event.pipelineId;
  }
  return undefined;
}

/** Each job's final state in the root pipeline, from `glci run --json` (NDJSON events). */
export function glciJobStates(stdout: string): JobStates {
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const root = events.find((event) => event.type === 'pipeline')?.pipelineId;
  const states: Record<string, string> = {};
  for (const event of events) {
    if (event.type !== 'job' || event.pipelineId !== root) continue;
    states[String(event.name)] = event.allowedFailure ? 'failed (allowed)' : String(event.status);
  }
  return states;
}

/**
 * Each job's final state from gitlab-ci-local's closing summary (` PASS  build`, ` WARN  lint
 * pre_script` for a failure allowed to fail, ` FAIL  test ...`), printed without colours
 * (`--no-color`). Job names must not contain spaces.
 */
export function gitlabCiLocalJobStates(output: string): JobStates {
  const words: Record<string, string> = { PASS: 'success', WARN: 'failed (allowed)', FAIL: 'failed' };
  const states: Record<string, string> = {};
  for (const match of output.matchAll(/^ (PASS|WARN|FAIL) {2}(\S+)/gm)) {
    states[match[2]!] = words[match[1]!]!;
  }
  return states;
}

/** Undefined when `actual` is `expected`; otherwise what differs, for the row's ERROR. */
export function describeStateMismatch(actual: JobStates, expected: JobStates): string | undefined {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences = names
    .filter((name) => actual[name] !== expected[name])
    .map((name) => `${name}: ${actual[name] ?? 'absent'} (expected ${expected[name] ?? 'absent'})`);
  return differences.length === 0 ? undefined : differences.join(', ');
}

/**
 * Watches a tool's output as it arrives, chunk by chunk and line by line, for the first line that
 * `matches`: the first line of a job's log the user sees. One watcher per stream (lines are split
 * per stream).
 */
export class FirstLineWatcher {
  readonly #matches: (line: string) => boolean;
  #pending = '';
  #seen = false;

  constructor(matches: (line: string) => boolean) {
    this.#matches = matches;
  }

  get seen(): boolean {
    return this.#seen;
  }

  /** Feeds a chunk; true exactly once, on the chunk that completes the first matching line. */
  push(chunk: string): boolean {
    if (this.#seen) return false;
    this.#pending += chunk;
    const lines = this.#pending.split('\n');
    this.#pending = lines.pop() ?? '';
    if (lines.some((line) => this.#matches(line))) {
      this.#seen = true;
      return true;
    }
    return false;
  }
}

/**
 * In `glci run --json`'s stdout: a job's first output line, whichever way it came: a `trace`
 * event (the runner's uploaded log) or a `live` event (its containers' output from Docker, which
 * `glci run` shows on a terminal as it is written) carrying text.
 */
export function isGlciTraceLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  const event = JSON.parse(line) as { type?: unknown; text?: unknown };
  return (
    (event.type === 'trace' || event.type === 'live') &&
    typeof event.text === 'string' &&
    event.text.trim().length > 0
  );
}

/**
 * In gitlab-ci-local's output: a job's first line, `build      starting IMAGE (STAGE)` (its
 * lines start with the job name, padded).
 */
export function isGitlabCiLocalJobStart(line: string): boolean {
  return /^\S+ +starting \S/.test(line);
}

/** When a run's first job lines of each kind arrived, in seconds from the spawn (absent: none came). */
export type FirstLines = Readonly<Record<string, number>>;

/**
 * glci's first job lines by kind, from `glci run --json`'s stdout: `running` (a job event saying
 * the runner took a job, what `glci run` prints as `▶ JOB running`), `live` (its containers' first
 * output line from Docker) and `trace` (the first bytes of the runner's own uploaded log).
 */
export function glciFirstLines(lines: readonly TimedLine[]): FirstLines {
  const first: Record<string, number> = {};
  for (const line of lines) {
    if (line.stream !== 'stdout' || !line.text.startsWith('{')) continue;
    const event = JSON.parse(line.text) as { type?: unknown; status?: unknown; text?: unknown };
    const kind =
      event.type === 'job' && event.status === 'running'
        ? 'running'
        : (event.type === 'live' || event.type === 'trace') &&
            typeof event.text === 'string' &&
            event.text.trim().length > 0
          ? event.type
          : undefined;
    if (kind !== undefined && first[kind] === undefined) first[kind] = line.seconds;
  }
  return first;
}

/**
 * gitlab-ci-local's first job lines by kind: `starting` (`JOB  starting IMAGE (STAGE)`, printed
 * before it pulls or creates anything) and `output` (the first line from the job's container: a
 * script line echoed as `JOB  $ command`, or its output as `JOB  > text`).
 */
export function gitlabCiLocalFirstLines(lines: readonly TimedLine[]): FirstLines {
  const first: Record<string, number> = {};
  for (const line of lines) {
    const kind = isGitlabCiLocalJobStart(line.text)
      ? 'starting'
      : /^\S+ +[$>] /.test(line.text)
        ? 'output'
        : undefined;
    if (kind !== undefined && first[kind] === undefined) first[kind] = line.seconds;
  }
  return first;
}
