import { WaitTimeoutError } from '../errors.js';
import type { StartedContainer } from '../orchestrator.js';

export interface WaitForLogLineOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Look at stdout only (default), or at stderr too. */
  readonly stderr?: boolean;
}

/**
 * Waits until the container, in its latest run, writes a line that `matches` — a server's
 * "listening" line. It follows the container's log stream, so nothing polls: no health-check
 * process every interval for as long as the container lives, and no lag behind the line. Fails
 * at once when the container stops (with the last lines it wrote), and after `timeoutMs`.
 */
export async function waitForLogLine(
  container: StartedContainer,
  matches: RegExp,
  options: WaitForLogLineOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const target = `container ${container.name} to write a line matching ${matches}`;
  options.signal?.throwIfAborted();
  const state = await container.state();
  if (!state.running) throw new WaitTimeoutError(target, 0, `it is ${state.status}`);
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new WaitTimeoutError(target, timeoutMs)), timeoutMs);
  try {
    // The latest run's lines: those after the previous run ended. (Not "since it started": its
    // process may write before Docker records the start.)
    const previousEnd =
      state.finishedAt && state.startedAt && state.finishedAt < state.startedAt
        ? state.finishedAt
        : undefined;
    const stream = await container.logs({
      follow: true,
      signal: controller.signal,
      stderr: options.stderr ?? false,
      ...(previousEnd ? { since: dockerSince(previousEnd) } : {}),
    });
    const tail: string[] = [];
    let pending = '';
    for await (const chunk of stream) {
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (matches.test(line)) return;
        tail.push(line);
        if (tail.length > 5) tail.shift();
      }
    }
    controller.signal.throwIfAborted();
    const now = await container.state();
    throw new WaitTimeoutError(
      target,
      0,
      `it is ${now.status}${tail.length ? `; it wrote: ${tail.join(' | ')}` : ''}`,
    );
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

/** RFC 3339 with nanoseconds (`2026-12-07T16:30:00.123456789Z`) → Docker's `seconds.nanoseconds`. */
export function dockerSince(rfc3339: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!match) throw new TypeError(`not an RFC 3339 time: ${rfc3339}`);
  const seconds = Math.floor(Date.parse(`${match[1]}${match[3]}`) / 1000);
  const nanos = (match[2] ?? '').padEnd(9, '0').slice(0, 9);
  return `${seconds}.${nanos}`;
}
