import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, GzipFormatError, readGzipMembers, tableCrc32 } from './gzip-members.js';
import { gzipMember } from './test-support/archives.js';

describe('readGzipMembers', () => {
  it('reads concatenated members with their names, comments and times', () => {
    const bytes = Buffer.concat([
      gzipMember('a.xml', 'reports/a.xml', Buffer.from('first')),
      gzipMember('b.xml', undefined, Buffer.alloc(100_000, 7)),
      Buffer.alloc(16), // zero padding after the last member is allowed
    ]);
    const members = readGzipMembers(bytes);
    expect(members.map(({ name, comment, data }) => ({ name, comment, size: data.length }))).toEqual([
      { name: 'a.xml', comment: 'reports/a.xml', size: 5 },
      { name: 'b.xml', comment: undefined, size: 100_000 },
    ]);
    expect(members[0]?.modified?.toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });

  it('reads what Node gzip writes (no name)', () => {
    expect(readGzipMembers(gzipSync('plain'))[0]?.data.toString()).toBe('plain');
  });

  it.each([
    ['not gzip at all', Buffer.from('hello world, this is text')],
    ['a truncated member', gzipSync(randomBytes(1000)).subarray(0, 200)],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s', (_, bytes) => {
    expect(() => readGzipMembers(bytes)).toThrow(GzipFormatError);
  });
});

describe('crc32', () => {
  it('the table fallback agrees with zlib', () => {
    const data = randomBytes(4096);
    expect(tableCrc32(data)).toBe(crc32(data));
    expect(tableCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});
