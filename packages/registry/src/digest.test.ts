import { describe, expect, it } from 'vitest';
import { DigestFormatError, isDigest, makeDigest, parseDigest } from './digest.js';

const HEX64 = 'a'.repeat(64);
const HEX128 = '0123456789abcdef'.repeat(8);

describe('digests', () => {
  it('parses sha256 and sha512', () => {
    const sha256 = parseDigest(`sha256:${HEX64}`);
    expect(sha256).toMatchObject({ algorithm: 'sha256', hex: HEX64 });
    expect(sha256.toString()).toBe(`sha256:${HEX64}`);
    expect(`${parseDigest(`sha512:${HEX128}`)}`).toBe(`sha512:${HEX128}`);
    expect(String(makeDigest('sha256', HEX64))).toBe(`sha256:${HEX64}`);
  });

  it.each([
    ['empty', ''],
    ['no algorithm', HEX64],
    ['upper-case hex', `sha256:${'A'.repeat(64)}`],
    ['short', `sha256:${'a'.repeat(63)}`],
    ['long', `sha256:${'a'.repeat(65)}`],
    ['sha512 length for sha256', `sha256:${HEX128}`],
    ['unknown algorithm', `md5:${'a'.repeat(32)}`],
    ['grammar-valid but unregistered algorithm', `sha256+b64u:${HEX64}`],
    ['path trick', `sha256:../${HEX64}`],
    ['encoded slash', `sha256%2F${HEX64}`],
    ['non-hex', `sha256:${'g'.repeat(64)}`],
    ['trailing newline', `sha256:${HEX64}\n`],
  ])('refuses %s', (_name, value) => {
    expect(() => parseDigest(value)).toThrow(DigestFormatError);
    expect(isDigest(value)).toBe(false);
  });

  it('keeps absurdly long input out of its message', () => {
    const error = (() => {
      try {
        parseDigest(`sha256:${'x'.repeat(100_000)}`);
      } catch (caught) {
        return caught as DigestFormatError;
      }
      return undefined;
    })();
    expect(error?.message.length).toBeLessThan(400);
  });
});
