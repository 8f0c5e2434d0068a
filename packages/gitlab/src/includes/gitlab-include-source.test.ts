import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, createSilentLogger } from '@glci/config';
import { mostAtOnce, type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GitlabRequestError,
  IntegrityMismatchError,
  InvalidReferenceError,
  NotCachedError,
} from '../errors.js';
import { resolveGitlabInstance } from '../instance.js';
import { TOKENS } from '../test-support/fixtures.js';
import type { FetchProgress } from './fetch-tracker.js';
import { createIncludeSource, type IncludeSourceOptions } from './gitlab-include-source.js';
import { integrityOf } from './integrity.js';

// GitLab cannot run here: the stand-in answers as GitLab's API documentation says (see its own
// tests), include:remote files come from a real HTTPS server on loopback, and every test planning
// "twice" uses a fresh source over the same $GLCI_HOME, as two glci commands would.

const TEMPLATES = 'acme/platform/ci-templates';
const CONTAINER = 'acme/components/container';
const QUALITY = 'acme/components/quality';

let standin: RunningStandin;
let work: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-include-source-'));
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

const freshHome = () => mkdtempSync(path.join(work, 'home-'));

function sourceFor(
  on: RunningStandin,
  glciHome: string,
  options: Partial<IncludeSourceOptions> & {
    token?: string | null;
    concurrency?: number;
    /** `[gitlab] includes_ttl`; "0" (ask for moving refs every time) unless a test is about it. */
    includesTtl?: string;
  } = {},
) {
  const { token = TOKENS.ada, concurrency, includesTtl = '0', ...rest } = options;
  const instance = resolveGitlabInstance({
    config: configSchema.parse({
      gitlab: {
        url: on.url,
        ca_file: on.caFile,
        timeout: '10s',
        includes_ttl: includesTtl,
        ...(concurrency ? { concurrency } : {}),
      },
    }).gitlab,
    env: token ? { GITLAB_TOKEN: token } : {},
  });
  return createIncludeSource({ instance, glciHome, logger: createSilentLogger(), ...rest });
}

/** Requests to the stand-in while `work` runs. */
async function requestsDuring<T>(
  on: RunningStandin,
  work: () => Promise<T>,
): Promise<{ result: T; paths: string[] }> {
  const before = on.requests.length;
  const result = await work();
  return { result, paths: on.requests.slice(before).map((request) => request.path) };
}

describe('include:project', () => {
  it('reads a file at a pinned SHA, and its nested wildcard includes in that project and commit', async () => {
    const sha = standin.sha(TEMPLATES, 'v1.1.0');
    const project = await sourceFor(standin, freshHome()).project(TEMPLATES, sha);
    expect(project).toMatchObject({
      project: TEMPLATES,
      sha,
      refKind: 'commit',
      root: `${TEMPLATES}@${sha.slice(0, 8)}`,
    });
    expect(await project.read('templates/base.gitlab-ci.yml')).toContain('local: templates/jobs/*.yml');
    expect(await project.match('templates/jobs/*.yml')).toEqual([
      'templates/jobs/package.yml',
      'templates/jobs/test.yml',
    ]);
    const file = await project.file('/templates/jobs/test.yml');
    expect(file).toMatchObject({
      origin: { kind: 'project', project: TEMPLATES, ref: sha, sha, path: 'templates/jobs/test.yml' },
      fromCache: false,
      stale: false,
    });
    expect(await project.read('templates/nope.yml')).toBeUndefined();
  });

  it('needs no network for a SHA or a tag once cached', async () => {
    const home = freshHome();
    const sha = standin.sha(TEMPLATES, 'v1.1.0');
    const read = (source: ReturnType<typeof sourceFor>) =>
      Promise.all([
        source.projectFile(TEMPLATES, sha, 'templates/base.gitlab-ci.yml'),
        source.projectFile(TEMPLATES, 'v1.0.0', 'templates/jobs/test.yml'),
        source.projectTree(TEMPLATES, sha, 'templates/**/*.yml'),
      ]);
    const cold = await requestsDuring(standin, () => read(sourceFor(standin, home)));
    expect(cold.paths.length).toBeGreaterThanOrEqual(4);
    const warm = await requestsDuring(standin, () => read(sourceFor(standin, home)));
    expect(warm.paths).toEqual([]);
    expect(warm.result[0]).toMatchObject({ fromCache: true, stale: false });
    expect(warm.result[1]?.content).toBe(cold.result[1]?.content);
  });

  it('asks for a branch again whenever online, with one request, and reads its files from the cache', async () => {
    const home = freshHome();
    await sourceFor(standin, home).projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml');
    const warm = await requestsDuring(standin, () =>
      sourceFor(standin, home).projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml'),
    );
    expect(warm.paths).toEqual([
      `/api/v4/projects/${encodeURIComponent(TEMPLATES)}/repository/branches/main`,
    ]);
    expect(warm.result).toMatchObject({ fromCache: true, stale: false, origin: { ref: 'main' } });
  });

  it('within [gitlab] includes_ttl, takes a branch as it resolved last time; after it, asks again', async () => {
    const home = freshHome();
    const ttl = { includesTtl: '5m' };
    await sourceFor(standin, home, ttl).projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml');
    const within = await requestsDuring(standin, () =>
      sourceFor(standin, home, ttl).projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml'),
    );
    expect(within.paths).toEqual([]);
    expect(within.result).toMatchObject({ fromCache: true, stale: false, origin: { ref: 'main' } });
    const later = { ...ttl, clock: () => Date.now() + 6 * 60_000 };
    const after = await requestsDuring(standin, () =>
      sourceFor(standin, home, later).projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml'),
    );
    expect(after.paths).toEqual([
      `/api/v4/projects/${encodeURIComponent(TEMPLATES)}/repository/branches/main`,
    ]);
    const refreshed = await requestsDuring(standin, () =>
      sourceFor(standin, home, { ...ttl, refresh: true }).projectFile(TEMPLATES, 'main', 'README.md'),
    );
    expect(refreshed.paths).toContain(
      `/api/v4/projects/${encodeURIComponent(TEMPLATES)}/repository/branches/main`,
    );
  });

  it('reads the default branch when no ref is given', async () => {
    const project = await sourceFor(standin, freshHome()).project(TEMPLATES);
    expect(project).toMatchObject({
      sha: standin.sha(TEMPLATES, '03-python-rename'),
      refKind: 'default-branch',
      ref: undefined,
    });
  });

  it('fetches a file once however many includes ask for it at the same time', async () => {
    const source = sourceFor(standin, freshHome());
    const { paths } = await requestsDuring(standin, () =>
      Promise.all(Array.from({ length: 5 }, () => source.projectFile(TEMPLATES, 'v1.0.0', 'README.md'))),
    );
    expect(paths.filter((p) => p.endsWith('/raw'))).toHaveLength(1);
  });

  it('refuses paths that leave the project and names that are no project', async () => {
    const source = sourceFor(standin, freshHome());
    await expect(source.projectFile(TEMPLATES, 'v1.0.0', '../../etc/passwd')).rejects.toThrow(
      InvalidReferenceError,
    );
    await expect(source.project('../etc')).rejects.toThrow(
      '`../etc` is not a project path: write it as group/project or group/subgroup/project',
    );
  });
});

describe('include:component', () => {
  const fqdn = () => new URL(standin.url).host;

  it.each([
    ['build@~latest', CONTAINER, '2.0.0', 'templates/build/template.yml', 'push:'],
    ['build@2', CONTAINER, '2.0.0', 'templates/build/template.yml', 'push:'],
    ['build@1', CONTAINER, '1.2.0', 'templates/build/template.yml', '--build-arg'],
    ['build@1.1', CONTAINER, '1.1.0', 'templates/build/template.yml', 'build_args:'],
    ['build@2.1.0-rc.1', CONTAINER, '2.1.0-rc.1', 'templates/build/template.yml', 'platforms:'],
    ['lint@1.0', QUALITY, '1.0.1', 'templates/lint.yml', 'python:3.12-slim'],
    ['lint@0.9.0', QUALITY, '0.9.0', 'templates/lint.yml', 'ruff check'],
  ])('%s resolves to %s %s', async (component, project, version, file, marker) => {
    const name = component.split('@')[0];
    const resolved = await sourceFor(standin, freshHome()).component(`${fqdn()}/${project}/${component}`);
    expect(resolved.context).toEqual({
      name,
      sha: standin.sha(project, version),
      version,
      reference: component.split('@')[1],
    });
    expect(resolved.file.origin).toMatchObject({
      kind: 'component',
      project,
      path: file,
      sha: standin.sha(project, version),
    });
    expect(resolved.file.content).toContain(marker);
  });

  it('takes a SHA, and gives the component project for its own nested includes', async () => {
    const sha = standin.sha(QUALITY, '1.1.0');
    const resolved = await sourceFor(standin, freshHome()).component(`${fqdn()}/${QUALITY}/lint@${sha}`);
    expect(resolved.project.sha).toBe(sha);
    expect(await resolved.project.read('README.md')).toContain('# quality components');
  });

  it('re-resolves ~latest whenever online, and plans it from the cache, marked stale, offline', async () => {
    const home = freshHome();
    const address = `${fqdn()}/${CONTAINER}/build@~latest`;
    await sourceFor(standin, home).component(address);
    const warm = await requestsDuring(standin, () => sourceFor(standin, home).component(address));
    expect(warm.paths).toEqual([`/api/v4/projects/${encodeURIComponent(CONTAINER)}/releases`]);
    const offline = await sourceFor(standin, home, { offline: true }).component(address);
    expect(offline.context.version).toBe('2.0.0');
    expect(offline.file).toMatchObject({ fromCache: true, stale: true });
  });

  it('takes ~latest and a partial version as they resolved last time within [gitlab] includes_ttl', async () => {
    const home = freshHome();
    const ttl = { includesTtl: '5m' };
    const addresses = [`${fqdn()}/${CONTAINER}/build@~latest`, `${fqdn()}/${QUALITY}/lint@1.0`];
    await Promise.all(addresses.map((address) => sourceFor(standin, home, ttl).component(address)));
    const within = await requestsDuring(standin, () =>
      Promise.all(addresses.map((address) => sourceFor(standin, home, ttl).component(address))),
    );
    expect(within.paths).toEqual([]);
    expect(within.result[0]).toMatchObject({ context: { version: '2.0.0' }, file: { stale: false } });
    const later = { ...ttl, clock: () => Date.now() + 6 * 60_000 };
    const after = await requestsDuring(standin, () =>
      sourceFor(standin, home, later).component(addresses[0]!),
    );
    expect(after.paths).toEqual([`/api/v4/projects/${encodeURIComponent(CONTAINER)}/releases`]);
  });

  it('refuses a component of another instance, an unknown component and an unmatched version', async () => {
    const source = sourceFor(standin, freshHome());
    await expect(source.component(`gitlab.com/${CONTAINER}/build@1`)).rejects.toThrow(
      `component \`gitlab.com/${CONTAINER}/build@1\` is on gitlab.com, not on this instance (${fqdn()})`,
    );
    await expect(source.component(`${fqdn()}/${CONTAINER}/deploy@1`)).rejects.toThrow(
      `Component '${fqdn()}/${CONTAINER}/deploy@1' - content not found`,
    );
    await expect(source.component(`${fqdn()}/${CONTAINER}/build@3`)).rejects.toThrow(
      `component version \`3\` of ${CONTAINER}: no release with a semantic version matches it`,
    );
  });
});

describe('include:template', () => {
  it('reads a template and the one it includes, as the instance serves them', async () => {
    const source = sourceFor(standin, freshHome());
    const security = await source.template('Security/License-Check.gitlab-ci.yml');
    expect(security).toMatchObject({
      origin: { kind: 'template', path: 'Security/License-Check.gitlab-ci.yml' },
      fromCache: false,
    });
    expect(security?.content).toContain('template: Jobs/License-Check.gitlab-ci.yml');
    expect((await source.template('Jobs/License-Check.gitlab-ci.yml'))?.content).toContain('license_check:');
    expect(await source.template('Nope.gitlab-ci.yml')).toBeUndefined();
    await expect(source.template('../secrets.gitlab-ci.yml')).rejects.toThrow(
      'Template file `../secrets.gitlab-ci.yml` is not a valid location!',
    );
  });
});

describe('include:remote', () => {
  const url = () => `${standin.remote.url}/ci/notify.yml`;

  it('checks the integrity, then needs no network for the same file', async () => {
    const home = freshHome();
    const first = await sourceFor(standin, home).remote(url(), {
      integrity: integrityOf((await sourceFor(standin, home).remote(url())).content),
    });
    expect(first).toMatchObject({ origin: { kind: 'remote', url: url() }, stale: false });
    const before = standin.remote.requests.length;
    const again = await sourceFor(standin, home).remote(url(), { integrity: integrityOf(first.content) });
    expect(standin.remote.requests.length).toBe(before);
    expect(again).toMatchObject({ fromCache: true, stale: false });
  });

  it('refuses a file whose content does not match its integrity, and does not cache it', async () => {
    const home = freshHome();
    const wrong = integrityOf('something else');
    const error = await sourceFor(standin, home)
      .remote(url(), { integrity: wrong })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityMismatchError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Remote file \`${url()}\` was refused: its content hashes to sha256-.+, not to the integrity ${wrong.replace(/[+/]/g, '\\$&')}`,
      ),
    );
    await expect(
      sourceFor(standin, home, { offline: true }).remote(url(), { integrity: wrong }),
    ).rejects.toThrow(NotCachedError);
  });

  it('fetches a file without integrity every time it is online', async () => {
    const home = freshHome();
    await sourceFor(standin, home).remote(url());
    const before = standin.remote.requests.length;
    await sourceFor(standin, home).remote(url());
    expect(standin.remote.requests.length).toBe(before + 1);
  });

  it('uses a file without integrity from the cache within [gitlab] includes_ttl, as a template', async () => {
    const home = freshHome();
    const ttl = { includesTtl: '5m' };
    const template = 'Jobs/License-Check.gitlab-ci.yml';
    await sourceFor(standin, home, ttl).remote(url());
    await sourceFor(standin, home, ttl).template(template);
    const before = standin.remote.requests.length;
    const within = await requestsDuring(standin, async () => [
      await sourceFor(standin, home, ttl).remote(url()),
      await sourceFor(standin, home, ttl).template(template),
    ]);
    expect(standin.remote.requests.length).toBe(before);
    expect(within.paths).toEqual([]);
    expect(within.result).toMatchObject([
      { fromCache: true, stale: false },
      { fromCache: true, stale: false },
    ]);
    await sourceFor(standin, home, { ...ttl, clock: () => Date.now() + 6 * 60_000 }).remote(url());
    expect(standin.remote.requests.length).toBe(before + 1);
  });
});

describe('offline and unreachable', () => {
  it('plans from the cache offline, with the age of each file, and names what is missing', async () => {
    const home = freshHome();
    const online = sourceFor(standin, home);
    await online.projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml');
    await online.template('Jobs/License-Check.gitlab-ci.yml');
    const offline = sourceFor(standin, home, { offline: true });
    const { result, paths } = await requestsDuring(standin, async () => [
      await offline.projectFile(TEMPLATES, 'main', 'templates/jobs/test.yml'),
      await offline.template('Jobs/License-Check.gitlab-ci.yml'),
    ]);
    expect(paths).toEqual([]);
    expect(result).toMatchObject([
      { fromCache: true, stale: true },
      { fromCache: true, stale: true },
    ]);
    expect(result[0]!.fetchedAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(offline.used()).toHaveLength(2);
    await expect(offline.projectFile(TEMPLATES, 'main', 'templates/rules/workflow.yml')).rejects.toThrow(
      `file templates/rules/workflow.yml of ${TEMPLATES} at main (${standin.sha(TEMPLATES, '03-python-rename').slice(0, 8)}) is not in glci's include cache, and glci is offline: run once with network access to fill the cache`,
    );
    await expect(offline.projectFile(TEMPLATES, 'v1.1.0', 'README.md')).rejects.toThrow(
      `ref v1.1.0 of ${TEMPLATES} is not in glci's include cache`,
    );
  });

  it('falls back to the cache when the instance cannot be reached, asking it only once', async () => {
    const home = freshHome();
    const doomed = await startGitlabStandin();
    await sourceFor(doomed, home).projectFile(TEMPLATES, 'main', 'README.md');
    await sourceFor(doomed, home).projectFile(TEMPLATES, 'v1.0.0', 'templates/jobs/test.yml');
    const caFile = path.join(home, 'ca.pem');
    copyFileSync(doomed.caFile, caFile);
    await doomed.close();
    const events: FetchProgress[] = [];
    const source = sourceFor({ url: doomed.url, caFile } as RunningStandin, home, {
      onProgress: (e) => events.push(e),
    });
    const readme = await source.projectFile(TEMPLATES, 'main', 'README.md');
    expect(readme).toMatchObject({ fromCache: true, stale: true });
    const pinned = await source.projectFile(TEMPLATES, 'v1.0.0', 'templates/jobs/test.yml');
    expect(pinned).toMatchObject({ fromCache: true, stale: false });
    const missing = await source
      .projectFile(TEMPLATES, 'main', 'templates/jobs/package.yml')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotCachedError);
    expect((missing as Error).message).toMatch(
      /^file templates\/jobs\/package\.yml of .* at main \(\w{8}\) is not in glci's include cache, and asking the instance failed: ref of .* at main: .* could not be reached \(ECONNREFUSED\): run once with network access to fill the cache$/,
    );
    expect(events.filter((event) => event.type === 'done' && !event.ok)).toHaveLength(1);
  });

  it('fetches everything again with refresh, cached or not', async () => {
    const home = freshHome();
    const sha = standin.sha(TEMPLATES, 'v1.1.0');
    await sourceFor(standin, home).projectFile(TEMPLATES, sha, 'README.md');
    const { paths, result } = await requestsDuring(standin, () =>
      sourceFor(standin, home, { refresh: true }).projectFile(TEMPLATES, sha, 'README.md'),
    );
    expect(paths).toHaveLength(1);
    expect(result?.fromCache).toBe(false);
  });
});

describe('errors, concurrency and progress', () => {
  it("says a private project is not visible to the token's user", async () => {
    const error = await sourceFor(standin, freshHome(), { token: TOKENS.eve })
      .projectFile('acme/platform/web-app', 'main', 'ci/deploy.yml')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitlabRequestError);
    expect((error as Error).message).toMatch(
      /^ref of acme\/platform\/web-app at main: https:\/\/.* answered 404 \(404 Project Not Found\): not found, or not visible to the token's user$/,
    );
  });

  it('without a token, reads public projects over git and picks ~latest among semantic version tags', async () => {
    const source = sourceFor(standin, freshHome(), { token: null });
    const { result: resolved, paths } = await requestsDuring(standin, () =>
      source.component(`${new URL(standin.url).host}/${QUALITY}/lint@~latest`),
    );
    expect(resolved.context.version).toBe('1.1.0');
    expect(resolved.file.content).toContain('rules:');
    expect(paths.length).toBeGreaterThan(0);
    expect(
      paths.every((p) => /^\/acme\/components\/quality\.git\/(info\/refs|git-upload-pack)$/.test(p)),
    ).toBe(true);
    expect((await source.template('Jobs/License-Check.gitlab-ci.yml'))?.content).toContain('license_check');
  });

  it('keeps at most [gitlab] concurrency requests in flight', async () => {
    standin.setLatency(60);
    try {
      const source = sourceFor(standin, freshHome(), { concurrency: 2 });
      const project = await source.project(TEMPLATES, standin.sha(TEMPLATES, 'v1.1.0'));
      const before = standin.requests.length;
      await Promise.all(
        [
          'README.md',
          'templates/base.gitlab-ci.yml',
          'templates/jobs/test.yml',
          'templates/jobs/package.yml',
          'templates/rules/workflow.yml',
        ].map((file) => project.read(file)),
      );
      // Five files asked at once: never more than two in flight (under load they may not even overlap).
      const most = mostAtOnce(standin.requests.slice(before));
      expect(most).toBeGreaterThanOrEqual(1);
      expect(most).toBeLessThanOrEqual(2);
      expect(standin.requests.length - before).toBe(5);
    } finally {
      standin.setLatency(0);
    }
  });

  it('reports a slow fetch through the progress callback', async () => {
    standin.setLatency(250);
    try {
      const events: FetchProgress[] = [];
      const source = sourceFor(standin, freshHome(), {
        onProgress: (event) => events.push(event),
        slowAfterMs: 100,
      });
      await source.template('Jobs/License-Check.gitlab-ci.yml');
      expect(events.map((event) => event.type)).toEqual(['slow', 'done']);
      expect(events[0]).toMatchObject({ what: 'template Jobs/License-Check.gitlab-ci.yml' });
    } finally {
      standin.setLatency(0);
    }
  });
});
