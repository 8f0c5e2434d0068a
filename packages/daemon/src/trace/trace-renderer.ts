import { RESET, stripAnsi } from './ansi.js';
import { SectionFolder, type TraceViewItem } from './section-folder.js';
import { TraceParser, type TraceParserOptions } from './trace-parser.js';

export interface TraceRendererOptions extends TraceParserOptions {
  /** The job name every line is prefixed with. */
  readonly jobName: string;
  /** Pad the job name to this width, so the output of several jobs lines up (default: its length). */
  readonly nameWidth?: number;
  /** Keep colours (a terminal) or strip every escape sequence (a file, a pipe). */
  readonly color: boolean;
  /** Keep sections expanded: every line, plus each section's end with its duration. */
  readonly expand?: boolean;
}

/**
 * A job log as `glci run` and `glci log` print it: one output line per log line, prefixed with
 * the job name in the job's colour, timestamps stripped, sections folded (see SectionFolder).
 * Incremental: `push` raw chunks as they arrive, `end` when the log is complete. Lines are
 * returned without a trailing newline.
 */
export class TraceRenderer {
  readonly #parser: TraceParser;
  readonly #folder: SectionFolder;
  readonly #format: (item: TraceViewItem) => string | undefined;

  constructor(options: TraceRendererOptions) {
    this.#parser = new TraceParser(options);
    this.#folder = new SectionFolder({ expand: options.expand ?? false });
    this.#format = traceLineFormatter(options);
  }

  push(chunk: Uint8Array): string[] {
    return this.#render(this.#folder.push(this.#parser.push(chunk)));
  }

  end(): string[] {
    const items = this.#folder.push(this.#parser.end());
    return this.#render([...items, ...this.#folder.end()]);
  }

  #render(items: readonly TraceViewItem[]): string[] {
    const lines: string[] = [];
    for (const item of items) {
      const line = this.#format(item);
      if (line !== undefined) lines.push(line);
    }
    return lines;
  }
}

/** Renders a complete log at once. */
export function renderTrace(log: Uint8Array, options: TraceRendererOptions): string[] {
  const renderer = new TraceRenderer(options);
  return [...renderer.push(log), ...renderer.end()];
}

/** Job name colours: distinct, readable on dark and light backgrounds; red is left for failures. */
const JOB_COLOURS = [36, 35, 33, 34, 32, 96, 95, 93, 94, 92] as const;

/** The SGR colour code a job name gets: stable across runs for the same name. */
export function jobColour(jobName: string): number {
  let hash = 0x811c9dc5;
  for (const char of jobName) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return JOB_COLOURS[hash % JOB_COLOURS.length]!;
}

/** `3s`, `1m05s`, `2h03m`. */
export function formatSectionDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** Formats one view item as an output line, or `undefined` for items not shown. */
export function traceLineFormatter(
  options: Pick<TraceRendererOptions, 'jobName' | 'nameWidth' | 'color' | 'expand'>,
): (item: TraceViewItem) => string | undefined {
  const name = options.jobName.padEnd(options.nameWidth ?? 0);
  const prefix = options.color ? `\x1b[${jobColour(options.jobName)}m${name}${RESET} | ` : `${name} | `;
  const text = (value: string) => (options.color ? value : stripAnsi(value));
  const dim = (value: string) => (options.color ? `\x1b[2m${value}${RESET}` : value);
  const duration = (seconds: number | undefined) =>
    seconds === undefined ? '' : ` ${dim(`(${formatSectionDuration(seconds)})`)}`;
  return (item) => {
    const indent = '  '.repeat(item.depth);
    switch (item.kind) {
      case 'line':
        return `${prefix}${indent}${text(item.text)}`;
      case 'section-open':
        return `${prefix}${indent}▾ ${text(item.header)}`;
      case 'section-close':
        return options.expand ? `${prefix}${indent}▴ ${item.name}${duration(item.durationSec)}` : undefined;
      case 'section-folded':
        return `${prefix}${indent}▸ ${text(item.header)}${duration(item.durationSec)}`;
      case 'section-unfinished':
        return `${prefix}${indent}▾ ${text(item.header)} ${dim('(unfinished)')}`;
    }
  };
}
