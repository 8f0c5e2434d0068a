import { keepSgrOnly, RESET, SgrState, sgrSequences, stripAnsi } from './ansi.js';
import {
  startsWithTimestampHeader,
  TIMESTAMP_HEADER_LENGTH,
  TimestampStripper,
} from './timestamp-stripper.js';

/**
 * Turns the raw bytes of a gitlab-runner job log into lines and section events, incrementally:
 * chunks may split a line, a UTF-8 character, a timestamp header or a section marker anywhere.
 *
 * What a job log contains (runner `helpers/trace`, `shells/abstract.go`, `common/buildlogger`):
 * - ANSI SGR colours, and `\e[0K` (erase line) after markers and before headers;
 * - `\r` overwrites (progress bars), resolved here to what a terminal would finally show;
 * - `section_start:<unix>:<name>[<options>]\r\e[0K<header>` and `section_end:<unix>:<name>\r\e[0K`
 *   markers, often several on one line (`section_end:…\r\e[0Ksection_start:…\r\e[0K…`);
 * - with `FF_TIMESTAMPS`/`FF_USE_TIMESTAMPS`, a header before every line (see TimestampStripper).
 */

export type TraceEvent =
  /** One line of output: `\r` overwrites resolved, SGR colours kept (self-contained per line). */
  | { readonly kind: 'line'; readonly text: string }
  | {
      readonly kind: 'section-start';
      readonly name: string;
      /** The text after the marker on its line (the runner's cyan stage title); may be empty. */
      readonly header: string;
      /** Unix seconds, from the marker. */
      readonly time: number;
      /** `[collapsed=true,hide_duration=true]` → `{ collapsed: 'true', hide_duration: 'true' }`. */
      readonly options: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'section-end'; readonly name: string; readonly time: number };

export interface TraceParserOptions {
  /**
   * `auto` (default): strip runner timestamp headers when the log starts with one; `strip`:
   * always; `keep`: never (the headers stay in the text).
   */
  readonly timestamps?: 'auto' | 'strip' | 'keep';
  /** A line longer than this many bytes is cut into pieces (default 1 MiB), bounding memory. */
  readonly maxLineBytes?: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: a marker ends with \r ESC[0K, as the runner writes it.
const MARKER = /section_(start|end):(\d+):([A-Za-z0-9_.-]+)(?:\[([^\]\r\n]*)\])?\r\x1b\[0?K/g;
const NEWLINE = 0x0a;

export class TraceParser {
  readonly #mode: 'auto' | 'strip' | 'keep';
  readonly #maxLineBytes: number;
  #stripper: TimestampStripper | undefined;
  /** Undecided `auto` mode: the first bytes, until they show whether headers are there. */
  #probe: Buffer | undefined = Buffer.alloc(0);
  #line: Buffer[] = [];
  #lineBytes = 0;
  readonly #sgr = new SgrState();
  readonly #decoder = new TextDecoder('utf-8');

  constructor(options: TraceParserOptions = {}) {
    this.#mode = options.timestamps ?? 'auto';
    this.#maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    if (this.#mode === 'strip') this.#stripper = new TimestampStripper();
    if (this.#mode !== 'auto') this.#probe = undefined;
  }

  push(chunk: Uint8Array): TraceEvent[] {
    const events: TraceEvent[] = [];
    if (this.#probe !== undefined) {
      this.#probe = Buffer.concat([this.#probe, chunk]);
      const decided = this.#probe.length >= TIMESTAMP_HEADER_LENGTH || this.#probe.includes(NEWLINE);
      if (!decided) return events;
      const probe = this.#probe;
      this.#decide(probe);
      this.#content(this.#stripper ? this.#stripper.push(probe) : probe, events);
      return events;
    }
    this.#content(this.#stripper ? this.#stripper.push(chunk) : chunk, events);
    return events;
  }

  /** Flushes the last line, which had no `\n`. */
  end(): TraceEvent[] {
    const events: TraceEvent[] = [];
    if (this.#probe !== undefined) {
      const probe = this.#probe;
      this.#decide(probe);
      this.#content(this.#stripper ? this.#stripper.push(probe) : probe, events);
    }
    if (this.#stripper) this.#content(this.#stripper.end(), events);
    if (this.#lineBytes > 0) this.#flushLine(events, false);
    return events;
  }

  #decide(probe: Buffer): void {
    this.#probe = undefined;
    if (startsWithTimestampHeader(probe)) this.#stripper = new TimestampStripper();
  }

  #content(bytes: Uint8Array, events: TraceEvent[]): void {
    let offset = 0;
    while (offset < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, offset);
      const end = newline === -1 ? bytes.length : newline;
      const room = this.#maxLineBytes - this.#lineBytes;
      if (end - offset > room) {
        // Too long: print what there is; a character cut in two is completed by the next piece.
        this.#append(bytes.subarray(offset, offset + room));
        offset += room;
        this.#flushLine(events, true);
        continue;
      }
      this.#append(bytes.subarray(offset, end));
      if (newline === -1) return;
      offset = newline + 1;
      this.#flushLine(events, false);
    }
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#line.push(Buffer.from(bytes));
    this.#lineBytes += bytes.length;
  }

  #flushLine(events: TraceEvent[], cut: boolean): void {
    const raw = this.#decoder.decode(Buffer.concat(this.#line), { stream: cut });
    this.#line = [];
    this.#lineBytes = 0;
    parseLine(raw, this.#sgr, events);
  }
}

/** Splits one raw line at its section markers; the text after a `section_start` is its header. */
function parseLine(raw: string, sgr: SgrState, events: TraceEvent[]): void {
  let last = 0;
  let opened: { name: string; time: number; options: Record<string, string> } | undefined;
  /** Text between markers: a section's header, a line when it shows anything, else only colours. */
  const text = (segment: string, wholeLine: boolean) => {
    if (opened) {
      events.push({ kind: 'section-start', ...opened, header: renderText(segment, sgr) });
      opened = undefined;
    } else if (wholeLine || visible(segment)) {
      events.push({ kind: 'line', text: renderText(segment, sgr) });
    } else {
      sgr.update(keepSgrOnly(resolveCarriageReturns(segment)));
    }
  };
  for (const match of raw.matchAll(MARKER)) {
    text(raw.slice(last, match.index), false);
    last = match.index + match[0].length;
    const [, kind, time, name, options] = match as unknown as [string, string, string, string, string?];
    if (kind === 'start') opened = { name, time: Number(time), options: parseOptions(options) };
    else events.push({ kind: 'section-end', name, time: Number(time) });
  }
  text(raw.slice(last), last === 0);
}

function parseOptions(text: string | undefined): Record<string, string> {
  const options: Record<string, string> = {};
  if (!text) return options;
  for (const pair of text.split(',')) {
    const [key, value = ''] = pair.split('=');
    if (key?.trim()) options[key.trim()] = value.trim();
  }
  return options;
}

/** Whether text shows anything once escapes and `\r` overwrites are resolved. */
function visible(text: string): boolean {
  return stripAnsi(resolveCarriageReturns(text)).trim().length > 0;
}

/**
 * What a terminal finally shows for text with `\r` overwrites: the last piece that shows
 * anything. Colours set in the pieces before it still apply, so their SGR sequences are kept.
 */
export function resolveCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text;
  const pieces = text.split('\r');
  let chosen = pieces.length - 1;
  while (chosen > 0 && stripAnsi(pieces[chosen] ?? '').length === 0) chosen--;
  const earlierSgr = pieces
    .slice(0, chosen)
    .flatMap((piece) => sgrSequences(piece))
    .join('');
  return earlierSgr + (pieces[chosen] ?? '');
}

/**
 * One line as printed: overwrites resolved, only SGR escapes kept, and self-contained: colours
 * left open by earlier lines are re-opened at its start, and closed at its end.
 */
function renderText(text: string, sgr: SgrState): string {
  const resolved = keepSgrOnly(resolveCarriageReturns(text));
  const opening = sgr.prefix;
  sgr.update(resolved);
  return sgr.active ? `${opening}${resolved}${RESET}` : opening + resolved;
}
