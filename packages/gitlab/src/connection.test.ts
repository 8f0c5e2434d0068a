import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, createSilentLogger } from '@glci/config';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectGitlab,
  type GitlabConnectionOptions,
  variablesFromWire,
  variablesToWire,
} from './connection.js';
import { resolveGitlabInstance } from './instance.js';
import { TOKENS } from './test-support/fixtures.js';
import { SecretsStore } from './variables/secrets-store.js';

// GitLab cannot run here: the connection talks to the GitLab stand-in (tools/gitlab-standin),
// which answers as GitLab's API documentation says and serves its repositories over git.

const WEB_APP = 'acme/platform/web-app';
let standin: RunningStandin;
let work: string;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-connection-'));
});
afterAll(async () => {
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

function connect(
  options: Partial<Omit<GitlabConnectionOptions, 'instance'>> & { token?: string | null } = {},
) {
  const { token = TOKENS.ada, ...rest } = options;
  const instance = resolveGitlabInstance({
    config: configSchema.parse({
      gitlab: { url: standin.url, ca_file: standin.caFile, timeout: '10s', secrets_ttl: '1h' },
    }).gitlab,
    env: token ? { GITLAB_TOKEN: token } : {},
  });
  return connectGitlab({ instance, glciHome: work, logger: createSilentLogger(), ...rest });
}

const variableRequests = (since: number) =>
  standin.requests.slice(since).filter((request) => request.path.endsWith('/variables')).length;

describe('connectGitlab', () => {
  it("reads a project's CI/CD variables once through the store, again with --refresh-secrets", async () => {
    const store = new SecretsStore({ ttlMs: 60_000 });
    const before = standin.requests.length;
    const first = await connect({ store }).variables(WEB_APP);
    expect(first?.fromMemory).toBe(false);
    expect(first?.set.project.map((variable) => variable.key)).toContain('REGISTRY_PASSWORD');
    expect(first?.set.groups.map((group) => group.group)).toEqual(['acme', 'acme/platform']);
    // The project, two groups, and the instance's (refused: ada is no administrator).
    expect(variableRequests(before)).toBe(4);
    const again = standin.requests.length;
    expect((await connect({ store }).variables(WEB_APP))?.fromMemory).toBe(true);
    expect(variableRequests(again)).toBe(0);
    const refreshed = await connect({ store, refreshSecrets: true }).variables(WEB_APP);
    expect(refreshed?.fromMemory).toBe(false);
    expect(variableRequests(again)).toBe(4);
    const connection = connect({ store });
    await connection.variables(WEB_APP);
    expect(connection.notes()).toEqual([
      expect.stringMatching(/^CI\/CD variables not read: instance CI\/CD variables: 403/),
    ]);
  });

  it('reads none without a token, with --secrets none, or offline when the store holds none', async () => {
    expect(await connect({ token: null }).variables(WEB_APP)).toBeUndefined();
    expect(await connect({ secrets: 'none' }).variables(WEB_APP)).toBeUndefined();
    const store = new SecretsStore({ ttlMs: 60_000 });
    const offline = connect({ store, offline: true });
    expect(await offline.variables(WEB_APP)).toBeUndefined();
    expect(offline.notes()[0]).toContain('offline: the CI/CD variables are kept in memory only');
    await connect({ store }).variables(WEB_APP);
    expect((await connect({ store, offline: true }).variables(WEB_APP))?.fromMemory).toBe(true);
    const projectOnly = await connect({ secrets: 'project' }).variables(WEB_APP);
    expect(projectOnly?.set.groups).toEqual([]);
  });

  it('travels to the CLI as JSON and back with its date', async () => {
    const read = await connect().variables(WEB_APP);
    const back = variablesFromWire(JSON.parse(JSON.stringify(variablesToWire(read!))));
    expect(back.fetchedAt).toEqual(read!.fetchedAt);
    expect(back.set).toEqual(JSON.parse(JSON.stringify(read!.set)));
  });

  it("downloads a job's artifacts for needs:project, and clones a project for trigger:project", async () => {
    const zip = await connect().artifacts('acme/platform/schemas', 'main', 'publish-schemas');
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    const connection = connect();
    const dir = await connection.checkout('acme/platform/schemas', 'main');
    expect(dir).toBeDefined();
    expect(readFileSync(path.join(dir!, '.gitlab-ci.yml'), 'utf8')).toContain('publish-schemas:');
    // A second checkout fetches into the same working tree.
    expect(await connection.checkout('acme/platform/schemas', undefined)).toBe(dir);
    expect(existsSync(path.join(dir!, 'schemas/order.json'))).toBe(true);
    const outsider = connect({ token: TOKENS.eve });
    expect(await outsider.checkout(WEB_APP, 'main')).toBeUndefined();
    expect(outsider.notes()[0]).toMatch(/^trigger: project acme\/platform\/web-app could not be cloned: /);
    expect(outsider.notes()[0]).not.toContain(TOKENS.eve);
  });
});
