import { describe, expect, it } from 'vitest';
import { crc32, formatChecksum } from './crc32.js';

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(formatChecksum(crc32(Buffer.alloc(0)))).toBe('crc32:00000000');
  });

  it('is incremental', () => {
    const whole = crc32(Buffer.from('hello world'));
    expect(crc32(Buffer.from(' world'), crc32(Buffer.from('hello')))).toBe(whole);
    expect(formatChecksum(whole)).toBe('crc32:0d4a1185');
  });
});
