import { stripAnsi } from './ansi.js';
import type { TraceEvent } from './trace-parser.js';

/**
 * What a reader sees of a job log once sections are folded. Items come in output order; a folded
 * section appears once, at its end, when its duration is known.
 */
export type TraceViewItem =
  | { readonly kind: 'line'; readonly text: string; readonly depth: number }
  /** An expanded section's title, at its start; its lines follow. */
  | { readonly kind: 'section-open'; readonly name: string; readonly header: string; readonly depth: number }
  /** An expanded section's end. */
  | {
      readonly kind: 'section-close';
      readonly name: string;
      readonly header: string;
      readonly depth: number;
      readonly durationSec?: number;
    }
  /** A folded section: one item for all of it, at its end. */
  | {
      readonly kind: 'section-folded';
      readonly name: string;
      readonly header: string;
      readonly depth: number;
      readonly durationSec?: number;
      /** Lines the fold hides (nested sections' lines included). */
      readonly hiddenLines: number;
    }
  /** A folded section that never ended (the job was killed inside it): shown in full after this. */
  | {
      readonly kind: 'section-unfinished';
      readonly name: string;
      readonly header: string;
      readonly depth: number;
    };

export interface SectionFolderOptions {
  /** Keep every section expanded (headers, lines and ends). */
  readonly expand?: boolean;
}

interface OpenSection {
  readonly name: string;
  readonly header: string;
  readonly time: number;
  readonly depth: number;
  readonly hideDuration: boolean;
  /** Folded itself (and not inside another folded section). */
  readonly folded: boolean;
}

/**
 * Folds sections. The rule, without expand:
 * - the runner's own top-level sections (`prepare_executor`, `get_sources`, `restore_cache`,
 *   `upload_artifacts_on_success`, …) fold to one line with their duration;
 * - script sections (`step_script`, `step_<name>`, `build_script`, `after_script`) stay
 *   expanded: that output is what the user came for;
 * - sections a script opens itself stay expanded unless they ask for `[collapsed=true]`, as on
 *   GitLab;
 * - a folded section that never ends is shown in full at the end: the job died in it, and what
 *   it printed is the likely reason.
 */
export class SectionFolder {
  readonly #expand: boolean;
  readonly #stack: OpenSection[] = [];
  /** Items inside the outermost folded section, replayed if it never ends. */
  #hidden: TraceViewItem[] = [];
  #hiddenLines = 0;

  constructor(options: SectionFolderOptions = {}) {
    this.#expand = options.expand ?? false;
  }

  push(events: readonly TraceEvent[]): TraceViewItem[] {
    const items: TraceViewItem[] = [];
    for (const event of events) {
      if (event.kind === 'line') this.#line(event.text, items);
      else if (event.kind === 'section-start') this.#start(event, items);
      else this.#end(event.name, event.time, items);
    }
    return items;
  }

  /** Open sections at the end of the log: folded ones are shown in full. */
  end(): TraceViewItem[] {
    const items: TraceViewItem[] = [];
    const folded = this.#stack.find((section) => section.folded);
    if (folded) {
      items.push({
        kind: 'section-unfinished',
        name: folded.name,
        header: folded.header,
        depth: folded.depth,
      });
      items.push(...this.#hidden);
    }
    this.#stack.length = 0;
    this.#hidden = [];
    this.#hiddenLines = 0;
    return items;
  }

  get #insideFold(): boolean {
    return this.#stack.some((section) => section.folded);
  }

  /**
   * Indentation: a section's lines sit one level below its title, except in top-level sections
   * (the runner's stages), whose lines are the job's plain output.
   */
  get #depth(): number {
    return Math.max(0, this.#stack.length - 1);
  }

  #emit(item: TraceViewItem, items: TraceViewItem[]): void {
    if (this.#insideFold) {
      this.#hidden.push(item);
      if (item.kind === 'line') this.#hiddenLines++;
    } else {
      items.push(item);
    }
  }

  #line(text: string, items: TraceViewItem[]): void {
    this.#emit({ kind: 'line', text, depth: this.#depth }, items);
  }

  #start(event: Extract<TraceEvent, { kind: 'section-start' }>, items: TraceViewItem[]): void {
    const header = stripAnsi(event.header).trim() ? event.header : event.name;
    const depth = this.#depth;
    const topLevel = this.#stack.length === 0;
    const folds =
      !this.#expand &&
      !this.#insideFold &&
      (event.options.collapsed === 'true' || (topLevel && !isScriptSection(event.name)));
    if (!folds) this.#emit({ kind: 'section-open', name: event.name, header, depth }, items);
    this.#stack.push({
      name: event.name,
      header,
      time: event.time,
      depth,
      hideDuration: event.options.hide_duration === 'true',
      folded: folds,
    });
  }

  #end(name: string, time: number, items: TraceViewItem[]): void {
    const index = this.#stack.findLastIndex((section) => section.name === name);
    if (index === -1) return; // an end without a start: nothing to close
    // Closing a section closes the sections still open inside it.
    while (this.#stack.length > index) {
      const section = this.#stack.pop()!;
      const durationSec = section.hideDuration ? undefined : Math.max(0, time - section.time);
      const timing = durationSec === undefined ? {} : { durationSec };
      const base = { name: section.name, header: section.header, depth: section.depth, ...timing };
      if (section.folded) {
        items.push({ kind: 'section-folded', ...base, hiddenLines: this.#hiddenLines });
        this.#hidden = [];
        this.#hiddenLines = 0;
      } else {
        this.#emit({ kind: 'section-close', ...base }, items);
      }
    }
  }
}

/** The sections holding the job's own script output. */
export function isScriptSection(name: string): boolean {
  return name.startsWith('step_') || name === 'build_script' || name === 'after_script';
}
