import { describe, expect, it } from 'vitest';
import { TokenIssuer } from './tokens.js';

describe('TokenIssuer', () => {
  const issuer = new TokenIssuer('0123456789abcdef0123456789abcdef');

  it('derives runner and job tokens that parse back to their ids', () => {
    const runner = issuer.runnerToken(7);
    expect(runner).toMatch(/^glrt-7_/);
    expect(issuer.parseRunnerToken(runner)).toBe(7);
    const job = issuer.jobToken(42);
    expect(job).toMatch(/^glcbt-42_/);
    expect(issuer.parseJobToken(job)).toBe(42);
  });

  it('derives legacy runner tokens without a prefix, distinct from glrt- tokens', () => {
    const legacy = issuer.legacyRunnerToken(7);
    expect(legacy).toMatch(/^7_[A-Za-z0-9_-]{32}$/);
    expect(issuer.parseRunnerToken(legacy)).toBe(7);
    // Same id, other kind: neither MAC passes for the other form.
    expect(issuer.parseRunnerToken(`glrt-${legacy}`)).toBeUndefined();
    expect(issuer.parseRunnerToken(issuer.runnerToken(7).slice('glrt-'.length))).toBeUndefined();
  });

  it('refuses forged, swapped, truncated and foreign tokens', () => {
    const job = issuer.jobToken(42);
    expect(issuer.parseJobToken(job.replace('glcbt-42_', 'glcbt-43_'))).toBeUndefined();
    expect(issuer.parseJobToken(job.slice(0, -1))).toBeUndefined();
    expect(issuer.parseRunnerToken(job)).toBeUndefined();
    expect(issuer.parseJobToken(`glcbt-1_${'A'.repeat(32)}`)).toBeUndefined();
    expect(issuer.parseJobToken(undefined)).toBeUndefined();
    expect(issuer.parseJobToken('glcbt-0_x')).toBeUndefined();
    expect(new TokenIssuer('another secret of 32 bytes......').parseJobToken(job)).toBeUndefined();
  });

  it('keeps the secret to itself', () => {
    expect(JSON.stringify(issuer)).not.toContain('0123456789abcdef');
    expect(Object.keys(issuer)).toEqual([]);
    expect(issuer.registrationToken()).toMatch(/^GR1348941/);
  });

  it('rejects short secrets', () => {
    expect(() => new TokenIssuer('short')).toThrow(RangeError);
  });
});
