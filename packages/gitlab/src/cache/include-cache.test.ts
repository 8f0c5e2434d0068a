import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidReferenceError } from '../errors.js';
import { IncludeCache, instanceKey, isMovingRef, safeRepoPath } from './include-cache.js';

const SHA = '4a143a7a1e6b2a2cbd0c2a7e5636ea2751315e51';
let home: string;
let cache: IncludeCache;

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'glci-include-cache-'));
  cache = new IncludeCache(home, 'https://gitlab.example.com:8443');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('IncludeCache', () => {
  it('keeps a file per instance, project, commit and path', async () => {
    await cache.writeFile('acme/ci-templates', SHA, 'templates/base.yml', 'stages: [test]\n');
    const file = path.join(
      home,
      'includes',
      'gitlab%2Eexample%2Ecom_8443',
      'projects',
      'acme%2Fci-templates',
      'commits',
      SHA,
      'files',
      'templates',
      'base.yml',
    );
    expect(existsSync(file)).toBe(true);
    expect((await cache.readFile('acme/ci-templates', SHA, 'templates/base.yml'))?.value).toBe(
      'stages: [test]\n',
    );
    expect(await cache.readFile('acme/ci-templates', SHA, 'templates/other.yml')).toBeUndefined();
    expect(
      await new IncludeCache(home, 'https://gitlab.com').readFile(
        'acme/ci-templates',
        SHA,
        'templates/base.yml',
      ),
    ).toBeUndefined();
  });

  it("tells a cached file's age by when it was written", async () => {
    await cache.writeTemplate('Jobs/Build.gitlab-ci.yml', 'build: {}\n');
    const dir = path.join(cache.root, 'templates');
    const [name] = readdirSync(dir);
    const written = new Date('2026-03-01T10:00:00Z');
    utimesSync(path.join(dir, name!), written, written);
    expect((await cache.readTemplate('Jobs/Build.gitlab-ci.yml'))?.fetchedAt).toEqual(written);
  });

  it('keeps refs, releases, trees and remote files', async () => {
    await cache.writeRef('acme/app', 'release/1.0', { sha: SHA, kind: 'branch' });
    await cache.writeRef('acme/app', '~latest', { sha: SHA, kind: 'latest', tag: '2.0.0' });
    await cache.writeReleases('acme/app', [{ tag: '2.0.0', sha: SHA }]);
    await cache.writeTree('acme/app', SHA, '', ['a.yml', 'b/c.yml']);
    await cache.writeRemote('ab'.repeat(32), 'x: 1\n');
    expect((await cache.readRef('acme/app', 'release/1.0'))?.value).toEqual({ sha: SHA, kind: 'branch' });
    expect((await cache.readRef('acme/app', '~latest'))?.value.tag).toBe('2.0.0');
    expect((await cache.readReleases('acme/app'))?.value).toEqual([{ tag: '2.0.0', sha: SHA }]);
    expect((await cache.readTree('acme/app', SHA, ''))?.value).toEqual(['a.yml', 'b/c.yml']);
    expect((await cache.readRemote('ab'.repeat(32)))?.value).toBe('x: 1\n');
    expect(readdirSync(path.join(cache.root, 'projects', 'acme%2Fapp', 'refs')).sort()).toEqual([
      'release%2F1%2E0.json',
      '~latest.json',
    ]);
  });

  it('refuses paths, projects and SHAs that could leave the cache', async () => {
    await expect(cache.writeFile('acme/app', SHA, '../../../etc/passwd', 'x')).rejects.toThrow(
      InvalidReferenceError,
    );
    await expect(cache.writeFile('../../etc', SHA, 'a.yml', 'x')).rejects.toThrow(InvalidReferenceError);
    await expect(cache.writeFile('acme/app', '../..', 'a.yml', 'x')).rejects.toThrow(InvalidReferenceError);
    expect(safeRepoPath('/templates//./a.yml')).toBe('templates/a.yml');
    expect(() => safeRepoPath('a/../../b')).toThrow(InvalidReferenceError);
  });

  it('leaves no temporary files behind', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        cache.writeRef('acme/app', 'main', { sha: SHA, kind: 'branch', tag: `${i}` }),
      ),
    );
    expect(readdirSync(path.join(cache.root, 'projects', 'acme%2Fapp', 'refs'))).toEqual(['main.json']);
  });
});

describe('moving refs', () => {
  it('are branches and component versions chosen among releases; tags and SHAs do not move', () => {
    expect(
      ['branch', 'default-branch', 'latest', 'partial-semver'].every((kind) => isMovingRef(kind as never)),
    ).toBe(true);
    expect(['tag', 'commit', 'release'].some((kind) => isMovingRef(kind as never))).toBe(false);
  });

  it('names an instance directory after its host and port', () => {
    expect(instanceKey('https://gitlab.com')).toBe('gitlab%2Ecom');
    expect(instanceKey('https://example.com/gitlab/')).toBe('example%2Ecom%2Fgitlab');
  });
});
