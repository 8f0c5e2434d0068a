import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { resolveExternalRegistry } from './external-registry.js';
import { parseConfig } from './load.js';

const FILE = '/etc/glci/config.toml';
const config = (text: string) => parseConfig(text, { env: { REGISTRY_PASSWORD: 'from-env' } });

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveExternalRegistry', () => {
  it('is undefined without [registry] url or --registry: the embedded registry is used', () => {
    expect(resolveExternalRegistry(config(''))).toBeUndefined();
  });

  it('takes [registry] url, username and password (a $VAR reference too)', () => {
    const resolved = resolveExternalRegistry(
      config(
        '[registry]\nurl = "https://registry.corp:5000/"\nusername = "ci"\npassword = "$REGISTRY_PASSWORD"\n',
      ),
    );
    expect(resolved).toEqual({
      url: 'https://registry.corp:5000',
      host: 'registry.corp:5000',
      plainHttp: false,
      credentials: { username: 'ci', password: 'from-env' },
    });
  });

  it('lets the flags win key by key, and knows a plain-HTTP registry', () => {
    const resolved = resolveExternalRegistry(
      config('[registry]\nurl = "https://registry.corp"\nusername = "ci"\npassword = "p"\n'),
      {
        url: 'http://127.0.0.1:5000',
        password: 'flag-password',
      },
    );
    expect(resolved).toEqual({
      url: 'http://127.0.0.1:5000',
      host: '127.0.0.1:5000',
      plainHttp: true,
      credentials: { username: 'ci', password: 'flag-password' },
    });
    expect(resolveExternalRegistry(config(''), { url: 'http://registry.local' })).toEqual({
      url: 'http://registry.local',
      host: 'registry.local',
      plainHttp: true,
    });
  });

  it('names the key or the flag and what was expected', () => {
    expect(
      message(() =>
        resolveExternalRegistry(config('[registry]\nurl = "https://registry.corp/team"\n'), {}, FILE),
      ),
    ).toBe(
      `${FILE}: registry.url: expected the registry's root URL such as "https://registry.corp" (no path, query or login; username and password are keys of their own), got "https://registry.corp/team"`,
    );
    expect(message(() => resolveExternalRegistry(config(''), { url: 'ftp://x' }))).toBe(
      'configuration: --registry: expected an http:// or https:// URL, got "ftp://x"',
    );
    expect(message(() => resolveExternalRegistry(config(''), { url: 'https://r.corp', username: 'u' }))).toBe(
      'configuration: --registry-password: expected both username and password for the registry, or neither (anonymous pushes)',
    );
    expect(message(() => resolveExternalRegistry(config(''), { password: 'p' }))).toBe(
      'configuration: --registry-password: names a login but no registry: set [registry] url (or --registry URL) too',
    );
  });

  it('never puts the password in an error', () => {
    const text = message(() =>
      resolveExternalRegistry(config(''), { url: 'https://u:hunter2@r.corp', password: 'hunter2' }),
    );
    expect(text).toContain('--registry');
    expect(text).not.toContain('hunter2');
  });
});
