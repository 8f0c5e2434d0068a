import { describe, expect, it } from 'vitest';
import { crc32, formatChecksum } from './crc32.js';
import { PayloadTooLargeError, RangeMismatchError } from './errors.js';
import { MemoryTraceStore } from './trace-store.js';

const b = (text: string) => Buffer.from(text);

describe('MemoryTraceStore', () => {
  it('appends contiguous chunks and keeps a running checksum', () => {
    const traces = new MemoryTraceStore();
    expect(traces.append(1, b('hello '), { start: 0, end: 5 })).toMatchObject({ length: 6, offset: 0 });
    expect(traces.append(1, b('world'), { start: 6, end: 10 }).length).toBe(11);
    expect(traces.read(1).toString()).toBe('hello world');
    expect(traces.checksum(1)).toBe(formatChecksum(crc32(b('hello world'))));
    expect(traces.length(2)).toBe(0);
  });

  it('treats a re-sent or overlapping chunk as idempotent', () => {
    const traces = new MemoryTraceStore();
    traces.append(1, b('abcdef'), { start: 0, end: 5 });
    expect(traces.append(1, b('cdef'), { start: 2, end: 5 }).appended.length).toBe(0);
    const result = traces.append(1, b('efgh'), { start: 4, end: 7 });
    expect(result).toMatchObject({ length: 8, offset: 6 });
    expect(result.appended.toString()).toBe('gh');
    expect(traces.read(1).toString()).toBe('abcdefgh');
  });

  it('answers a gap or a conflicting overlap with the stored length', () => {
    const traces = new MemoryTraceStore();
    traces.append(1, b('abc'), { start: 0, end: 2 });
    const gap = (() => {
      try {
        traces.append(1, b('x'), { start: 5, end: 5 });
      } catch (error) {
        return error;
      }
    })();
    expect(gap).toBeInstanceOf(RangeMismatchError);
    expect((gap as RangeMismatchError).storedLength).toBe(3);
    expect((gap as RangeMismatchError).headers.Range).toBe('0-3');
    expect(() => traces.append(1, b('XY'), { start: 1, end: 2 })).toThrow(RangeMismatchError);
    expect(() => traces.append(1, b('abcd'), { start: 3, end: 3 })).toThrow(RangeMismatchError);
  });

  it('replaces the trace when the runner re-sends from 0 with different bytes', () => {
    const traces = new MemoryTraceStore();
    traces.append(1, b('garbled'), { start: 0, end: 6 });
    expect(traces.append(1, b('good'), { start: 0, end: 3 }).reset).toBe(true);
    expect(traces.read(1).toString()).toBe('good');
    expect(traces.checksum(1)).toBe(formatChecksum(crc32(b('good'))));
  });

  it('caps a log', () => {
    const traces = new MemoryTraceStore({ maxBytes: 4 });
    expect(() => traces.append(1, b('12345'), { start: 0, end: 4 })).toThrow(PayloadTooLargeError);
  });
});
