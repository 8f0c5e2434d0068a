import { stripAnsi } from '../trace/ansi.js';

/** One of the runner's sections in a job log, with when it started and ended (ms since the epoch). */
export interface TimedSection {
  readonly name: string;
  /** Its title (`Preparing the "docker" executor`), plain text; the name when it has none. */
  readonly title: string;
  readonly startMs: number;
  /** Absent when the log ends inside it (the job was killed there). */
  readonly endMs?: number;
}

/** When things happened in a job log, as far as the log itself says. */
export interface TraceTimeline {
  /** Top-level sections (the runner's stages) in log order; nested ones are left out. */
  readonly sections: readonly TimedSection[];
  /** The first and last record's time, when the log has timestamps. */
  readonly firstMs?: number;
  readonly lastMs?: number;
  /** Whether times come from the runner's per-line timestamps (µs) or only from section markers (s). */
  readonly precise: boolean;
}

// A record header with FF_USE_TIMESTAMPS: `2026-12-07T16:30:00.123456Z 01O+` (see TimestampStripper).
const HEADER = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) [0-9a-f]{2}[OE][ +]/;
// A marker ends with \r ESC[0K; with timestamps on, the runner's write ends at the \r, so the
// ESC[0K opens the next record (a `+` continuation).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the runner's escapes, as it writes them.
const MARKER = /section_(start|end):(\d+):([A-Za-z0-9_.-]+)(?:\[[^\]\r\n]*\])?\r(?:\x1b\[0?K)?/g;

/**
 * The timeline of a raw job log: each top-level section's start and end. With the runner's
 * timestamps on (`FF_USE_TIMESTAMPS`, its default), a marker's time is its record's, to the
 * microsecond; without, the marker's own Unix seconds.
 */
export function traceTimeline(raw: Uint8Array): TraceTimeline {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  const sections: { name: string; title: string; startMs: number; endMs?: number }[] = [];
  const open: { name: string; index?: number }[] = [];
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  let precise = false;
  let untitled: { title: string } | undefined;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    const recordMs = header ? Date.parse(header[1]!) : undefined;
    if (recordMs !== undefined) {
      precise = true;
      firstMs ??= recordMs;
      lastMs = recordMs;
    }
    const content = header ? line.slice(header[0].length) : line;
    const markers = [...content.matchAll(MARKER)];
    // With timestamps, a marker ends its record and the title follows in the next one.
    const before = stripAnsi(content.slice(0, markers[0]?.index ?? content.length)).trim();
    if (untitled !== undefined && before) {
      untitled.title = before;
      untitled = undefined;
    }
    markers.forEach((marker, position) => {
      const [, kind, seconds, name] = marker;
      const at = recordMs ?? Number(seconds) * 1000;
      untitled = undefined;
      if (kind === 'start') {
        const next = markers[position + 1];
        const after = stripAnsi(
          content.slice(marker.index + marker[0].length, next?.index ?? content.length),
        );
        if (open.length === 0) {
          const section = { name: name!, title: after.trim() || name!, startMs: at };
          sections.push(section);
          open.push({ name: name!, index: sections.length - 1 });
          if (!after.trim()) untitled = section;
        } else {
          open.push({ name: name! });
        }
        return;
      }
      const index = open.findLastIndex((section) => section.name === name);
      if (index === -1) return;
      // Closing a section closes what is still open inside it.
      const [closed] = open.splice(index);
      if (closed!.index !== undefined) sections[closed!.index]!.endMs = at;
    });
  }
  return {
    sections,
    ...(firstMs !== undefined ? { firstMs } : {}),
    ...(lastMs !== undefined ? { lastMs } : {}),
    precise,
  };
}
