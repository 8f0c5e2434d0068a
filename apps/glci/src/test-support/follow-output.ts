import type { ChildProcess } from 'node:child_process';

/**
 * Collects a running `glci` child's output, so a test can wait for a line (`until(text)` resolves
 * once stdout contains `text`) before it kills or cuts something mid-job.
 */
export function followOutput(child: ChildProcess) {
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...waiters]) {
      if (stdout.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    until: (text: string) =>
      stdout.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ text, resolve })),
    exited,
    output: () => ({ stdout, stderr }),
  };
}
