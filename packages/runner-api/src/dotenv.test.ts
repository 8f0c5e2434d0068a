import { describe, expect, it } from 'vitest';
import { parseDotenv } from './dotenv.js';
import { BadRequestError } from './errors.js';

describe('parseDotenv', () => {
  it('reads KEY=value lines, keeps values as written and lets the last repeat win', () => {
    const text = [
      'BUILD_VERSION=v1.2.3',
      'REVIEW_URL=https://review.example.com/?a=1&b=2',
      'QUOTED="kept with its quotes"',
      'EMPTY=',
      '',
      '# a comment',
      'export EXPORTED=yes',
      'BUILD_VERSION=v1.2.4',
      'SPACED = around the sign',
    ].join('\n');
    expect(parseDotenv(text)).toEqual([
      ['REVIEW_URL', 'https://review.example.com/?a=1&b=2'],
      ['QUOTED', '"kept with its quotes"'],
      ['EMPTY', ''],
      ['EXPORTED', 'yes'],
      ['BUILD_VERSION', 'v1.2.4'],
      ['SPACED', 'around the sign'],
    ]);
  });

  it('accepts CRLF line ends', () => {
    expect(parseDotenv('A=1\r\nB=2\r\n')).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
  });

  it('refuses lines that are not KEY=value, naming the line', () => {
    expect(() => parseDotenv('A=1\nnot a variable\n')).toThrow(/line 2/);
    expect(() => parseDotenv('1ABC=x')).toThrow(BadRequestError);
    expect(() => parseDotenv('ÜBER=x')).toThrow(BadRequestError);
    expect(() => parseDotenv('NO-DASH=x')).toThrow(BadRequestError);
  });

  it("enforces GitLab's limits: 20 variables and 5 KiB by default", () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `V${i}=x`).join('\n');
    expect(parseDotenv(twenty)).toHaveLength(20);
    expect(() => parseDotenv(`${twenty}\nV20=x`)).toThrow(/more than 20 variables/);
    expect(() => parseDotenv(`A=${'x'.repeat(5 * 1024)}`)).toThrow(/larger than 5120 bytes/);
    expect(parseDotenv(`${twenty}\nV20=x`, { maxVariables: 21 })).toHaveLength(21);
  });
});
