import { describe, expect, it } from 'vitest';
import { resolveCarriageReturns, TraceParser } from './trace-parser.js';

const parse = (text: string) => {
  const parser = new TraceParser();
  return [...parser.push(Buffer.from(text)), ...parser.end()];
};

describe('TraceParser', () => {
  it('turns markers into section events, the text after a start into its header', () => {
    const log =
      'section_start:10:get_sources[collapsed=true,hide_duration=true]\r\x1b[0K\x1b[0K\x1b[36;1mGetting source\x1b[0;m\n' +
      'cloning\n' +
      'section_end:12:get_sources\r\x1b[0Ksection_start:12:step_script\r\x1b[0KRun\n' +
      'section_end:15:step_script\r\x1b[0K\x1b[32;1mJob succeeded\x1b[0;m\n';
    expect(parse(log)).toEqual([
      {
        kind: 'section-start',
        name: 'get_sources',
        time: 10,
        options: { collapsed: 'true', hide_duration: 'true' },
        header: '\x1b[36;1mGetting source\x1b[0;m',
      },
      { kind: 'line', text: 'cloning' },
      { kind: 'section-end', name: 'get_sources', time: 12 },
      { kind: 'section-start', name: 'step_script', time: 12, options: {}, header: 'Run' },
      { kind: 'section-end', name: 'step_script', time: 15 },
      { kind: 'line', text: '\x1b[32;1mJob succeeded\x1b[0;m' },
    ]);
  });

  it('keeps empty lines, but not the empty rest of a line after a marker', () => {
    expect(parse('a\n\nsection_end:1:x\r\x1b[0K\n')).toEqual([
      { kind: 'line', text: 'a' },
      { kind: 'line', text: '' },
      { kind: 'section-end', name: 'x', time: 1 },
    ]);
  });

  it('accepts \\e[K as the marker terminator too', () => {
    expect(parse('section_end:1:x\r\x1b[K\n')).toEqual([{ kind: 'section-end', name: 'x', time: 1 }]);
  });
});

describe('resolveCarriageReturns', () => {
  it.each([
    ['no overwrite', 'no overwrite'],
    ['10%\r50%\r100%', '100%'],
    ['done\r', 'done'],
    ['\x1b[32m10%\r50%', '\x1b[32m50%'],
    ['abc\r\x1b[0K', 'abc'],
  ])('%j → %j', (text, shown) => {
    expect(resolveCarriageReturns(text)).toBe(shown);
  });
});
