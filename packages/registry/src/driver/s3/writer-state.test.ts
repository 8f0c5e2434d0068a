import { describe, expect, it } from 'vitest';
import { decodeWriterState, encodeWriterState, stateSize } from './writer-state.js';

describe('writer state', () => {
  it('round-trips the upload id, the parts and a binary tail', () => {
    const tail = Uint8Array.from({ length: 300 }, (_, index) => index & 0xff);
    const state = {
      uploadId: 'upload-1',
      parts: [
        { n: 1, etag: '"a"', size: 5 * 1024 * 1024 },
        { n: 2, etag: '"b"', size: 6 * 1024 * 1024 },
      ],
      tail,
    };
    const decoded = decodeWriterState(encodeWriterState(state));
    expect(decoded.uploadId).toBe('upload-1');
    expect(decoded.parts).toEqual(state.parts);
    expect([...decoded.tail]).toEqual([...tail]);
    expect(stateSize(decoded)).toBe(11 * 1024 * 1024 + 300);
  });

  it('round-trips a writer that never filled a part', () => {
    const decoded = decodeWriterState(
      encodeWriterState({ uploadId: undefined, parts: [], tail: new Uint8Array([7]) }),
    );
    expect(decoded).toMatchObject({ uploadId: undefined, parts: [] });
    expect([...decoded.tail]).toEqual([7]);
  });

  it.each([
    ['no magic', Buffer.from('{"parts":[]}')],
    ['parts out of order', encodeRaw({ uploadId: 'u', parts: [{ n: 2, etag: 'x', size: 1 }] })],
    ['parts without an upload', encodeRaw({ parts: [{ n: 1, etag: 'x', size: 1 }] })],
    ['no parts list', encodeRaw({ uploadId: 'u' })],
  ])('refuses %s', (_, bytes) => {
    expect(() => decodeWriterState(bytes)).toThrow();
  });
});

function encodeRaw(json: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([Buffer.from('GLCIW1\n'), length, body]);
}
