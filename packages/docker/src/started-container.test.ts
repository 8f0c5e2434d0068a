import { describe, expect, it } from 'vitest';
import { demuxBuffer } from './started-container.js';

describe('demuxBuffer', () => {
  it('strips the stdout/stderr frame headers of non-TTY logs', () => {
    const frame = (stream: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    expect(demuxBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')])).toString()).toBe('out\nerr\n');
    expect(demuxBuffer(Buffer.from('plain tty text')).toString()).toBe('plain tty text');
  });
});
