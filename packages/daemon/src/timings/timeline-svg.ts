import { spanCategory } from './format-timings.js';
import type { PipelineTimings, TimedSpan } from './pipeline-timings.js';

/** A colour per kind of time (colour-blind-safe where it matters: glci vs runner vs scripts). */
const COLOURS: Readonly<Record<string, string>> = {
  'glci before the first job': '#7f7f7f',
  'glci between jobs': '#bcbd22',
  'dispatch (images, queue, pick-up)': '#e377c2',
  'runner: preparing the executor': '#1f77b4',
  'runner: sources, cache, artifacts in': '#17becf',
  'job scripts': '#2ca02c',
  'runner: cache, artifacts out, cleanup': '#9467bd',
  'runner: removing containers, final update': '#d62728',
  other: '#c7c7c7',
};

const ROW = 22;
const LABEL = 180;
const PLOT = 900;
const TOP = 40;

/**
 * `glci log --svg FILE`: the pipeline as a timeline, one row per job (and one for glci's start),
 * each span a bar coloured by its kind, the critical path's jobs marked, seconds along the top.
 * Self-contained SVG, every text escaped.
 */
export function timelineSvg(timings: PipelineTimings): string {
  const ends = [
    ...timings.phases.map((span) => span.endMs),
    ...timings.jobs.flatMap((job) => job.spans.map((span) => span.endMs)),
    timings.endMs ?? timings.startMs,
  ];
  const totalMs = Math.max(1, ...ends.map((end) => end - timings.startMs));
  const x = (ms: number) => LABEL + ((ms - timings.startMs) / totalMs) * PLOT;
  const rows: { label: string; spans: readonly TimedSpan[]; critical: boolean }[] = [
    ...(timings.phases.length > 0 ? [{ label: 'glci', spans: timings.phases, critical: false }] : []),
    ...timings.jobs.map((job) => ({
      label: job.attempt > 1 ? `${job.name} #${job.attempt}` : job.name,
      spans: job.spans,
      critical: job.critical,
    })),
  ];
  const legendTop = TOP + rows.length * ROW + 30;
  const kinds = Object.keys(COLOURS);
  const height = legendTop + kinds.length * 16 + 10;
  const width = LABEL + PLOT + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(
      `pipeline #${timings.pipelineId} ${timings.status}: ${(totalMs / 1000).toFixed(2)} s; critical path ${timings.criticalPath.join(' → ') || '–'}`,
    )}</text>`,
  ];
  const step = tickStep(totalMs);
  for (let tick = 0; tick <= totalMs; tick += step) {
    const at = LABEL + (tick / totalMs) * PLOT;
    parts.push(
      `<line x1="${at.toFixed(1)}" y1="${TOP - 6}" x2="${at.toFixed(1)}" y2="${TOP + rows.length * ROW}" stroke="#e0e0e0"/>`,
      `<text x="${at.toFixed(1)}" y="${TOP - 9}" text-anchor="middle" fill="#555">${(tick / 1000).toFixed(step < 1000 ? 1 : 0)} s</text>`,
    );
  }
  rows.forEach((row, index) => {
    const y = TOP + index * ROW;
    parts.push(
      `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end"${row.critical ? ' font-weight="bold"' : ''}>${escapeXml(
        `${row.critical ? '★ ' : ''}${row.label}`,
      )}</text>`,
    );
    for (const span of row.spans) {
      const left = x(span.startMs);
      const barWidth = Math.max(0.5, x(span.endMs) - left);
      const colour = COLOURS[spanCategory(span.name)] ?? COLOURS.other!;
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="${ROW - 6}" fill="${colour}"${
          row.critical ? ' stroke="#000" stroke-width="0.6"' : ''
        }><title>${escapeXml(`${row.label}: ${span.name} ${((span.endMs - span.startMs) / 1000).toFixed(2)} s (${span.label})`)}</title></rect>`,
      );
    }
  });
  kinds.forEach((kind, index) => {
    const y = legendTop + index * 16;
    parts.push(
      `<rect x="${LABEL}" y="${y - 10}" width="12" height="12" fill="${COLOURS[kind]}"/>`,
      `<text x="${LABEL + 18}" y="${y}">${escapeXml(kind)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** A round tick spacing giving 5–12 ticks. */
function tickStep(totalMs: number): number {
  for (const step of [100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000]) {
    if (totalMs / step <= 12) return step;
  }
  return 3_600_000;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
