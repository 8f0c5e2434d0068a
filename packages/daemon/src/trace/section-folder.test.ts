import { describe, expect, it } from 'vitest';
import { isScriptSection, SectionFolder } from './section-folder.js';
import type { TraceEvent } from './trace-parser.js';

const start = (name: string, time: number, options: Record<string, string> = {}): TraceEvent => ({
  kind: 'section-start',
  name,
  time,
  header: `${name} title`,
  options,
});
const end = (name: string, time: number): TraceEvent => ({ kind: 'section-end', name, time });
const line = (text: string): TraceEvent => ({ kind: 'line', text });

describe('SectionFolder', () => {
  it('folds a runner section to one item at its end, counting the lines it hides', () => {
    const folder = new SectionFolder();
    expect(folder.push([start('get_sources', 1), line('a'), line('b')])).toEqual([]);
    expect(folder.push([end('get_sources', 4)])).toEqual([
      {
        kind: 'section-folded',
        name: 'get_sources',
        header: 'get_sources title',
        depth: 0,
        durationSec: 3,
        hiddenLines: 2,
      },
    ]);
  });

  it('closes the sections still open inside the one that ends', () => {
    const folder = new SectionFolder();
    const items = folder.push([
      start('step_script', 0),
      start('outer', 1),
      start('inner', 2),
      line('x'),
      end('outer', 5),
    ]);
    expect(items).toEqual([
      { kind: 'section-open', name: 'step_script', header: 'step_script title', depth: 0 },
      { kind: 'section-open', name: 'outer', header: 'outer title', depth: 0 },
      { kind: 'section-open', name: 'inner', header: 'inner title', depth: 1 },
      { kind: 'line', text: 'x', depth: 2 },
      { kind: 'section-close', name: 'inner', header: 'inner title', depth: 1, durationSec: 3 },
      { kind: 'section-close', name: 'outer', header: 'outer title', depth: 0, durationSec: 4 },
    ]);
  });

  it('shows an unfinished folded section in full at the end', () => {
    const folder = new SectionFolder();
    folder.push([start('prepare_executor', 0), line('pulling'), start('nested', 1), line('deep')]);
    expect(folder.end()).toEqual([
      { kind: 'section-unfinished', name: 'prepare_executor', header: 'prepare_executor title', depth: 0 },
      { kind: 'line', text: 'pulling', depth: 0 },
      { kind: 'section-open', name: 'nested', header: 'nested title', depth: 0 },
      { kind: 'line', text: 'deep', depth: 1 },
    ]);
  });

  it('omits the duration of a hide_duration section and never folds in expand mode', () => {
    const folder = new SectionFolder({ expand: true });
    expect(folder.push([start('get_sources', 0, { hide_duration: 'true' }), end('get_sources', 9)])).toEqual([
      { kind: 'section-open', name: 'get_sources', header: 'get_sources title', depth: 0 },
      { kind: 'section-close', name: 'get_sources', header: 'get_sources title', depth: 0 },
    ]);
  });
});

describe('isScriptSection', () => {
  it.each([
    ['step_script', true],
    ['step_release', true],
    ['build_script', true],
    ['after_script', true],
    ['get_sources', false],
    ['upload_artifacts_on_success', false],
  ])('%s → %s', (name, expected) => {
    expect(isScriptSection(name)).toBe(expected);
  });
});
