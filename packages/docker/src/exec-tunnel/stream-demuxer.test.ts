import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StreamDemuxer, StreamFormatError } from './stream-demuxer.js';

function frame(type: number, payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function demuxAll(stream: Buffer, chunkSize: number) {
  const demuxer = new StreamDemuxer();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  for (let offset = 0; offset < stream.length; offset += chunkSize) {
    const part = demuxer.push(stream.subarray(offset, offset + chunkSize));
    stdout.push(...part.stdout);
    stderr.push(...part.stderr);
  }
  return {
    stdout: Buffer.concat(stdout),
    stderr: Buffer.concat(stderr).toString(),
    incomplete: demuxer.incomplete,
  };
}

describe('StreamDemuxer', () => {
  const body = randomBytes(100_000);
  const stream = Buffer.concat([
    frame(1, body.subarray(0, 40_000)),
    frame(2, 'warning: '),
    frame(1, Buffer.alloc(0)),
    frame(1, body.subarray(40_000)),
    frame(2, 'done\n'),
  ]);

  it.each([1, 3, 7, 8, 9, 4096, stream.length])('splits stdout from stderr in chunks of %i bytes', (size) => {
    expect(demuxAll(stream, size)).toEqual({ stdout: body, stderr: 'warning: done\n', incomplete: false });
  });

  it('knows when the stream ended inside a frame', () => {
    expect(demuxAll(stream.subarray(0, 20), 20).incomplete).toBe(true);
    expect(demuxAll(stream.subarray(0, 5), 5).incomplete).toBe(true);
  });

  it('refuses bytes that are not frames (a TTY stream)', () => {
    expect(() => new StreamDemuxer().push(Buffer.from('HTTP/1.1 200 OK\r\n'))).toThrow(StreamFormatError);
  });
});
