import { parse, TomlError } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { describeTomlError, tomlKeyPathAt } from './toml-syntax-error.js';

describe('tomlKeyPathAt', () => {
  it('names the key assigned on the line, under its table', () => {
    expect(tomlKeyPathAt('[cache]\nttl = "1h"\nttl = "2h"', 3)).toBe('cache.ttl');
  });

  it('names a dotted key at the top level', () => {
    expect(tomlKeyPathAt('network.mock_server_port = = 1', 1)).toBe('network.mock_server_port');
  });

  it('names the table for an error in its header', () => {
    expect(tomlKeyPathAt('[network\nport = 1', 1)).toBe('network');
  });

  it('counts arrays of tables', () => {
    const text = '[[registry.upstreams]]\nurl = "https://a"\n[[registry.upstreams]]\nurl = https://b';
    expect(tomlKeyPathAt(text, 4)).toBe('registry.upstreams[1].url');
  });

  it('keeps the key of a value that runs over several lines', () => {
    expect(tomlKeyPathAt('[network.extra_hosts]\nentries = [\n  "a:1.2.3.4",\n', 4)).toBe(
      'network.extra_hosts.entries',
    );
  });

  it('strips quotes from quoted keys', () => {
    expect(tomlKeyPathAt('["registry"]\n"url" = ', 2)).toBe('registry.url');
  });

  it('is empty when nothing precedes the error', () => {
    expect(tomlKeyPathAt('= 1', 1)).toBe('');
  });
});

describe('describeTomlError', () => {
  function syntaxError(text: string): TomlError {
    try {
      parse(text);
    } catch (error) {
      if (error instanceof TomlError) return error;
    }
    throw new Error(`expected ${JSON.stringify(text)} to be invalid TOML`);
  }

  it('gives the key, the parser reason, line and column', () => {
    const text = '[cache]\nttl = "1h"\nttl = "2h"';
    expect(describeTomlError(text, syntaxError(text))).toEqual({
      key: 'cache.ttl',
      message: 'invalid TOML: trying to redefine an already defined table or value',
      line: 3,
      column: 1,
    });
  });

  it('explains that a size with a unit must be quoted', () => {
    const text = '[cache]\nmax_size = 500MB # half a gig';
    expect(describeTomlError(text, syntaxError(text))).toEqual({
      key: 'cache.max_size',
      message:
        'invalid TOML: illegal character in numeric literal (a size or duration is a string: write "500MB", "30m")',
      line: 2,
      column: 15,
    });
  });
});
