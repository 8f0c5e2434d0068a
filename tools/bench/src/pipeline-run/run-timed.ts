import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface TimedRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from the spawn to the exit. */
  readonly seconds: number;
  /** From the spawn to the first output chunk `mark` accepted, when it accepted one. */
  readonly markSeconds?: number;
  /** Every output line with when it arrived (seconds from the spawn), stdout and stderr apart. */
  readonly lines: readonly TimedLine[];
}

export interface TimedLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  readonly seconds: number;
}

export interface TimedRunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long: a hung run must not hang the bench. */
  readonly timeoutMs: number;
  /**
   * Sees each chunk of output as it arrives, stdout and stderr each in order (a tool may print its
   * first job line on either); the first `true` sets `markSeconds`.
   */
  readonly mark?: (chunk: string, stream: 'stdout' | 'stderr') => boolean;
  /** Called once the child runs, with its pid (to sample its memory); its return is called at the exit. */
  readonly onSpawn?: (pid: number) => () => void;
}

/**
 * Runs a command to its end and times it from the spawn, the clock started right before
 * `spawn()`, so the child's start-up counts as the user waits for it.
 */
export function runTimed(
  command: string,
  args: readonly string[],
  options: TimedRunOptions,
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = child.pid === undefined ? undefined : options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    let markSeconds: number | undefined;
    const lines: TimedLine[] = [];
    const partial = { stdout: '', stderr: '' };
    const marked = (chunk: string, stream: 'stdout' | 'stderr') => {
      const seconds = (performance.now() - started) / 1000;
      if (markSeconds === undefined && options.mark?.(chunk, stream)) markSeconds = seconds;
      const split = (partial[stream] + chunk).split('\n');
      partial[stream] = split.pop() ?? '';
      for (const text of split) lines.push({ stream, text, seconds });
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      marked(chunk, 'stdout');
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      marked(chunk, 'stderr');
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      exited?.();
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      exited?.();
      const seconds = (performance.now() - started) / 1000;
      if (signal === 'SIGKILL' && seconds * 1000 >= options.timeoutMs) {
        reject(new Error(`${command} ${args.join(' ')} did not finish in ${options.timeoutMs / 1000} s`));
        return;
      }
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream]) lines.push({ stream, text: partial[stream], seconds });
      }
      resolve({
        code,
        stdout,
        stderr,
        seconds,
        lines,
        ...(markSeconds === undefined ? {} : { markSeconds }),
      });
    });
  });
}

/** The last lines of a run's output, for an error message. */
export function outputTail(run: Pick<TimedRun, 'stdout' | 'stderr'>, lines = 8): string {
  return `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-lines).join(' | ').slice(-1200);
}
