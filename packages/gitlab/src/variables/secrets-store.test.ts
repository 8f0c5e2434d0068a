import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { tokenOf } from '../test-support/fixtures.js';
import type { FetchedVariables } from './fetch-variables.js';
import { SecretsStore, secretsKey } from './secrets-store.js';

const fetched = (value: string): FetchedVariables => ({
  set: {
    instance: [],
    groups: [],
    project: [
      {
        key: 'SECRET',
        value,
        variableType: 'env_var',
        protected: false,
        masked: true,
        hidden: false,
        raw: false,
        environmentScope: '*',
        description: undefined,
        level: { kind: 'project', project: 'acme/app' },
      },
    ],
    protectedRefs: { branches: [], tags: [] },
  },
  fetchedAt: new Date(0),
  unavailable: [],
});

describe('SecretsStore', () => {
  it('keeps fetched variables for the TTL, then fetches again', async () => {
    let now = 0;
    const store = new SecretsStore({ ttlMs: 6 * 3_600_000, clock: () => now });
    const load = vi.fn(async () => fetched('one'));
    expect((await store.get('k', load)).fromMemory).toBe(false);
    now = 6 * 3_600_000 - 1;
    expect((await store.get('k', load)).fromMemory).toBe(true);
    now = 6 * 3_600_000;
    expect((await store.get('k', load)).fromMemory).toBe(false);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('fetches again when asked to refresh, and keeps nothing with a TTL of 0', async () => {
    const store = new SecretsStore({ ttlMs: 60_000 });
    const load = vi.fn(async () => fetched('x'));
    await store.get('k', load);
    await store.get('k', load, { refresh: true });
    expect(load).toHaveBeenCalledTimes(2);
    const none = new SecretsStore({ ttlMs: 0 });
    await none.get('k', load);
    expect(none.size).toBe(0);
  });

  it('shares one fetch between concurrent asks', async () => {
    const store = new SecretsStore({ ttlMs: 60_000 });
    const load = vi.fn(async () => fetched('x'));
    await Promise.all([store.get('k', load), store.get('k', load), store.get('k', load)]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('never shows the values it holds', async () => {
    const store = new SecretsStore({ ttlMs: 60_000 });
    await store.get('k', async () => fetched('very-secret-value'));
    expect(inspect(store, { depth: 10, showHidden: true })).not.toContain('very-secret-value');
    expect(JSON.stringify({ store })).toBe('{"store":"SecretsStore(1 entries)"}');
  });

  it('keys entries by instance, project, scope and token without holding the token', () => {
    const a = secretsKey(
      'https://gitlab.example.com',
      'acme/app',
      'all',
      tokenOf('glpat-aaaaaaaaaaaaaaaaaaaa'),
    );
    const b = secretsKey(
      'https://gitlab.example.com',
      'acme/app',
      'all',
      tokenOf('glpat-bbbbbbbbbbbbbbbbbbbb'),
    );
    expect(a).not.toBe(b);
    expect(a).not.toContain('glpat-aaaa');
    expect(secretsKey('https://gitlab.example.com', 'acme/app', 'project', undefined)).toBe(
      'https://gitlab.example.com|acme/app|project|anonymous',
    );
  });
});
