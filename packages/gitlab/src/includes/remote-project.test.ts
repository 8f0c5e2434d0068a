import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IncludeCache } from '../cache/include-cache.js';
import { FetchTracker } from './fetch-tracker.js';
import type { IncludedFile } from './include-source.js';
import { createRemoteProject, type RemoteProjectContext } from './remote-project.js';
import type { IncludeTransport } from './transport.js';

const SHA = '4a143a7a1e6b2a2cbd0c2a7e5636ea2751315e51';
const FILES: Record<string, string> = {
  'ci/a.yml': 'a: 1\n',
  'ci/jobs/b.yml': 'b: 1\n',
  'docs/readme.md': '# x\n',
};

/** An in-memory transport that counts what it was asked. */
function fakeTransport(asked: string[]): IncludeTransport {
  return {
    name: 'api',
    resolveRef: async () => ({ sha: SHA, kind: 'commit' }),
    readFile: async (_project, _sha, file) => {
      asked.push(`file ${file}`);
      return FILES[file];
    },
    listTree: async (_project, _sha, dir) => {
      asked.push(`tree ${dir}`);
      return Object.keys(FILES).filter((file) => !dir || file.startsWith(`${dir}/`));
    },
    releases: async () => [],
    template: async () => '',
  };
}

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'glci-remote-project-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function projectWith(asked: string[], overrides: Partial<RemoteProjectContext> = {}) {
  const used: IncludedFile[] = [];
  const view = createRemoteProject({
    project: 'acme/app',
    ref: 'main',
    resolution: { sha: SHA, kind: 'branch', stale: false, resolvedAt: new Date(0) },
    instanceUrl: 'https://gitlab.example.com',
    cache: new IncludeCache(home, 'https://gitlab.example.com'),
    transport: fakeTransport(asked),
    tracker: new FetchTracker({ concurrency: 2 }),
    refresh: false,
    clock: () => 1_000,
    online: (_missing, fetch) => fetch(),
    record: (file) => {
      used.push(file);
      return file;
    },
    ...overrides,
  });
  return { view, used };
}

describe('createRemoteProject', () => {
  it('fetches a file once, then reads it from the cache', async () => {
    const asked: string[] = [];
    const first = await projectWith(asked).view.file('ci/a.yml');
    expect(first).toMatchObject({ content: 'a: 1\n', fromCache: false, fetchedAt: new Date(1_000) });
    const second = await projectWith(asked).view.file('ci/a.yml');
    expect(second).toMatchObject({
      content: 'a: 1\n',
      fromCache: true,
      origin: { project: 'acme/app', ref: 'main', sha: SHA, path: 'ci/a.yml' },
    });
    expect(asked).toEqual(['file ci/a.yml']);
  });

  it('lists only the directory a wildcard cannot leave', async () => {
    const asked: string[] = [];
    expect(await projectWith(asked).view.match('ci/**/*.yml')).toEqual(['ci/jobs/b.yml']);
    expect(await projectWith(asked).view.match('ci/*.yml')).toEqual(['ci/a.yml']);
    expect(asked).toEqual(['tree ci']);
  });

  it('marks files of a stale resolution stale, and hands every file to `record`', async () => {
    const { view, used } = projectWith([], {
      resolution: { sha: SHA, kind: 'branch', stale: true, resolvedAt: new Date(0) },
    });
    expect(await view.file('docs/readme.md')).toMatchObject({ stale: true });
    expect(await view.read('nope.yml')).toBeUndefined();
    expect(used).toHaveLength(1);
    expect(view).toMatchObject({ root: 'acme/app@4a143a7a', stale: true, refKind: 'branch' });
  });

  it('fetches again with refresh, and falls back to the cached copy when offline', async () => {
    const asked: string[] = [];
    await projectWith(asked).view.file('ci/a.yml');
    await projectWith(asked, { refresh: true }).view.file('ci/a.yml');
    expect(asked).toEqual(['file ci/a.yml', 'file ci/a.yml']);
    const offline = await projectWith(asked, {
      refresh: true,
      online: async (_missing, _fetch, fallback) => {
        if (!fallback) throw new Error('not cached');
        return fallback();
      },
    }).view.file('ci/a.yml');
    expect(offline).toMatchObject({ fromCache: true });
  });
});
