import { describe, expect, it } from 'vitest';
import { startsWithTimestampHeader, TimestampStripper } from './timestamp-stripper.js';

const strip = (chunks: readonly string[]) => {
  const stripper = new TimestampStripper();
  const out = chunks.map((chunk) => stripper.push(Buffer.from(chunk)).toString());
  return out.join('') + stripper.end().toString();
};

describe('TimestampStripper', () => {
  it('removes the header of every record', () => {
    expect(strip(['2024-11-23T08:20:00.000001Z 00O one\n2024-11-23T08:20:00.000002Z 01E two\n'])).toBe(
      'one\ntwo\n',
    );
  });

  it('drops the newline before a + record of the same stream', () => {
    expect(strip(['2024-11-23T08:20:00.000001Z 00O a\r\n2024-11-23T08:20:00.000002Z 00O+b\n'])).toBe(
      'a\rb\n',
    );
  });

  it('keeps the newline before a + record of another stream', () => {
    expect(strip(['2024-11-23T08:20:00.000001Z 00O a\n2024-11-23T08:20:00.000002Z 0fO+b\n'])).toBe('a\nb\n');
  });

  it('handles a header split over many chunks', () => {
    const record = '2024-11-23T08:20:00.000001Z 01O hello\n';
    expect(strip(record.split(''))).toBe('hello\n');
  });

  it('keeps what is not a header as text', () => {
    expect(strip(['2024-11-23T08:20:00.000001Z 01O a\nnot a header, but long enough to look\n'])).toBe(
      'a\nnot a header, but long enough to look\n',
    );
    expect(strip(['2024-11-23T08:20:00.000001Z 01O a\n2024-11'])).toBe('a\n2024-11');
  });
});

describe('startsWithTimestampHeader', () => {
  it.each([
    ['2024-11-23T08:20:00.000001Z 01O x', true],
    ['2024-11-23T08:20:00.000001Z 1fE+x', true],
    ['2024-11-23T08:20:00.000001Z 01X x', false],
    ['2024-11-23T08:20:00Z 01O x and more text', false],
    ['short', false],
  ])('%j → %s', (text, expected) => {
    expect(startsWithTimestampHeader(Buffer.from(text))).toBe(expected);
  });
});
