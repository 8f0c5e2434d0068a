import { type PullProgressEvent, PullProgressTracker } from '@glci/docker';
import { humanSize } from './format.js';

/** One line: `[=========>          ] 45%  1.2 MB / 2.7 MB  2/4 layers`. */
export function renderProgressBar(
  summary: { current: number; total: number; layers: number; done: number },
  width = 30,
): string {
  const ratio = summary.total > 0 ? Math.min(1, summary.current / summary.total) : 0;
  const filled = Math.round(ratio * width);
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  const percent = `${Math.round(ratio * 100)}%`.padStart(4);
  return `[${bar}] ${percent}  ${humanSize(summary.current)} / ${humanSize(summary.total)}  ${summary.done}/${summary.layers} layers`;
}

/**
 * Shows a pull's per-layer progress: a bar redrawn in place on a terminal, otherwise one line per
 * finished layer (so logs stay readable).
 */
export function pullProgressPrinter(stream: NodeJS.WriteStream | NodeJS.WritableStream) {
  const tracker = new PullProgressTracker();
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  return {
    onProgress(event: PullProgressEvent): void {
      tracker.update(event);
      if (tty) stream.write(`\r${renderProgressBar(tracker.summary())}`);
      else if (event.layer && /pull complete|already exists/i.test(event.status)) {
        stream.write(`${event.layer}: ${event.status}\n`);
      }
    },
    finish(): void {
      if (tty) stream.write(`\r${renderProgressBar(tracker.summary())}\n`);
    },
  };
}
