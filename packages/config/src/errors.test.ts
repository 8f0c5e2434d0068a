import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, displayPath, formatIssue, formatKeyPath } from './errors.js';

describe('formatIssue', () => {
  it('names the file and key', () => {
    expect(formatIssue({ file: '/p/.glciconfig.toml', key: 'cache.ttl', message: 'bad' })).toBe(
      '/p/.glciconfig.toml: cache.ttl: bad',
    );
  });

  it('adds line and column for syntax errors', () => {
    expect(
      formatIssue({ file: '/p/.glciconfig.toml', key: 'cache.ttl', message: 'bad', line: 3, column: 7 }),
    ).toBe('/p/.glciconfig.toml:3:7: cache.ttl: bad');
  });

  it('leaves the key out when there is none', () => {
    expect(formatIssue({ file: '/p/c.toml', key: '', message: 'cannot be read (EACCES)' })).toBe(
      '/p/c.toml: cannot be read (EACCES)',
    );
  });

  it('says "configuration" for a problem of the merged result', () => {
    expect(formatIssue({ file: undefined, key: 'cache.ttl', message: 'bad' })).toBe(
      'configuration: cache.ttl: bad',
    );
  });
});

describe('displayPath', () => {
  it('shows files under the home directory with ~', () => {
    expect(displayPath(`${os.homedir()}/.glci/config.toml`)).toBe('~/.glci/config.toml');
  });

  it('shows other files as they are', () => {
    expect(displayPath('/srv/project/.glciconfig.toml')).toBe('/srv/project/.glciconfig.toml');
  });
});

describe('formatKeyPath', () => {
  it('joins names with dots and puts indexes in brackets', () => {
    expect(formatKeyPath(['registry', 'upstreams', 1, 'url'])).toBe('registry.upstreams[1].url');
    expect(formatKeyPath([])).toBe('');
  });
});

describe('ConfigError', () => {
  it('lists every issue, one per line, and keeps them for programs', () => {
    const issues = [
      { file: '/a.toml', key: 'x', message: 'one' },
      { file: '/b.toml', key: 'y', message: 'two' },
    ];
    const error = new ConfigError(issues);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('/a.toml: x: one\n/b.toml: y: two');
    expect(error.issues).toEqual(issues);
  });
});
