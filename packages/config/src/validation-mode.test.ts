import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from './load.js';
import { preferInterpretedValidation } from './validation-mode.js';

afterEach(() => {
  z.config({ jitless: false });
});

describe('preferInterpretedValidation', () => {
  it('turns off compiled parsers and validates the same configuration the same way', () => {
    const toml = '[cache]\nttl = "1h"\n[gitlab]\nurl = "https://gitlab.example.com"\n';
    const compiled = parseConfig(toml, { env: {} });
    const compiledError = () => parseConfig('[cache]\nttl = 5', { env: {} });
    expect(compiledError).toThrow(/cache\.ttl/);
    preferInterpretedValidation();
    expect(z.config().jitless).toBe(true);
    expect(parseConfig(toml, { env: {} })).toEqual(compiled);
    expect(compiledError).toThrow(/cache\.ttl/);
  });
});
