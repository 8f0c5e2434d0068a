import { describe, expect, it } from 'vitest';
import type { BuiltRepo } from './build-repos.js';
import type { InstanceFixture } from './fixture-types.js';
import { StandinModel } from './model.js';

const repo: BuiltRepo = { gitDir: '/nonexistent', commits: new Map(), tags: new Map() };
const fixture: InstanceFixture = {
  version: '17.9.1',
  users: [{ username: 'ada' }, { username: 'bob' }, { username: 'root', admin: true }],
  tokens: [
    { value: 'glpat-ada', username: 'ada', name: 'a', kind: 'personal', scopes: ['api'] },
    { value: 'glpat-bob', username: 'bob', name: 'b', kind: 'personal', scopes: ['read_api'] },
    {
      value: 'glpat-old',
      username: 'ada',
      name: 'o',
      kind: 'personal',
      scopes: ['api'],
      expiresAt: '2020-01-01T00:00:00Z',
    },
    { value: 'f'.repeat(64), username: 'ada', name: 'oauth', kind: 'oauth', scopes: ['read_api'] },
  ],
  groups: [
    { path: 'acme', visibility: 'private', members: { ada: 40 } },
    { path: 'acme/platform', visibility: 'private' },
  ],
  projects: [
    {
      path: 'acme/platform/app',
      visibility: 'private',
      defaultBranch: 'main',
      commits: [],
      members: { bob: 20 },
    },
    { path: 'acme/platform/lib', visibility: 'internal', defaultBranch: 'main', commits: [] },
  ],
  templates: [],
};
const model = new StandinModel(
  fixture,
  new Map([
    ['acme/platform/app', repo],
    ['acme/platform/lib', repo],
  ]),
  'https://127.0.0.1:1',
  () => Date.parse('2026-06-01T00:00:00Z'),
);

describe('StandinModel access rules', () => {
  const ada = model.identify({ privateToken: 'glpat-ada' });
  const bob = model.identify({ privateToken: 'glpat-bob' });
  const app = model.project('acme/platform/app')!;

  it('knows tokens by header, and refuses expired ones and OAuth tokens in PRIVATE-TOKEN', () => {
    expect(ada.kind).toBe('user');
    expect(model.identify({}).kind).toBe('anonymous');
    expect(model.identify({ privateToken: 'glpat-old' }).kind).toBe('invalid');
    expect(model.identify({ privateToken: 'f'.repeat(64) }).kind).toBe('invalid');
    expect(model.identify({ bearer: 'f'.repeat(64) }).kind).toBe('user');
  });

  it('inherits roles from ancestor groups, and gives administrators everything', () => {
    expect(model.accessLevel(ada, app)).toBe(40);
    expect(model.accessLevel(bob, app)).toBe(20);
    expect(model.accessLevel(model.identify({ privateToken: 'glpat-bob' }), model.group('acme')!)).toBe(0);
  });

  it('shows private projects to members, internal ones to anyone signed in', () => {
    const lib = model.project('acme/platform/lib')!;
    expect(model.canSee({ kind: 'anonymous' }, app)).toBe(false);
    expect(model.canReadCode(bob, app)).toBe(true);
    expect(model.canSee(bob, lib)).toBe(true);
    expect(model.canSee({ kind: 'anonymous' }, lib)).toBe(false);
  });

  it('finds projects by path case-insensitively, or by id', () => {
    expect(model.project('ACME/Platform/App')?.path).toBe('acme/platform/app');
    expect(model.project(String(app.id))?.path).toBe('acme/platform/app');
  });
});
