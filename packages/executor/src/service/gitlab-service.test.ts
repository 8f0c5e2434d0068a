import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, createSilentLogger } from '@glci/config';
import { DaemonClient, DaemonRequestError, DaemonServer } from '@glci/daemon';
import { instanceToWire, resolveGitlabInstance, variablesFromWire } from '@glci/gitlab';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitlabService } from './gitlab-service.js';

// The daemon's GitLab service on a real daemon socket, asked as glci show asks it; the instance
// is the GitLab stand-in (GitLab cannot run here).

const WEB_APP = 'acme/platform/web-app';
let standin: RunningStandin;
let work: string;
let server: DaemonServer;
let client: DaemonClient;
beforeAll(async () => {
  standin = await startGitlabStandin();
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-gitlab-service-'));
  const socketPath = path.join(work, 'daemon.sock');
  server = new DaemonServer({
    socketPath,
    glciHome: work,
    logger: createSilentLogger(),
    build: { commit: '0'.repeat(40), source: 'git' },
    idleTimeoutMs: 0,
  });
  server.use(new GitlabService());
  await server.listen();
  client = new DaemonClient({ socketPath });
});
afterAll(async () => {
  await server?.stop({ graceful: false, reason: 'test over' });
  await standin?.close();
  rmSync(work, { recursive: true, force: true });
});

function session(token: string, options: { refreshSecrets?: boolean; offline?: boolean } = {}) {
  const instance = resolveGitlabInstance({
    config: configSchema.parse({ gitlab: { url: standin.url, ca_file: standin.caFile } }).gitlab,
    env: { GITLAB_TOKEN: token },
  });
  return { instance: instanceToWire(instance, undefined), ...options };
}

const ask = (body: unknown) =>
  client.request<{ variables?: unknown; notes: string[] }>('POST', '/gitlab/variables', body);

describe('GitlabService', () => {
  it("holds a project's CI/CD variables in the daemon's memory for the next command, offline too", async () => {
    const first = await ask({ session: session('glpat-ada-maintainer-0000001'), project: WEB_APP });
    expect(variablesFromWire(first.variables).fromMemory).toBe(false);
    expect(first.notes).toEqual([expect.stringContaining('instance CI/CD variables: 403')]);
    const offline = await ask({
      session: session('glpat-ada-maintainer-0000001', { offline: true }),
      project: WEB_APP,
    });
    expect(variablesFromWire(offline.variables)).toMatchObject({ fromMemory: true });
    // Another token is another entry: what ada may read is not handed to bob.
    const bob = await ask({
      session: session('glpat-bob-developer-0000004', { offline: true }),
      project: WEB_APP,
    });
    expect(bob.variables).toBeUndefined();
  });

  it('says what went wrong: a bad request, a refused token', async () => {
    await expect(ask({ project: WEB_APP })).rejects.toThrow('expected {session, project}');
    const refused = ask({ session: session('glpat-ada-revoked-00000006'), project: WEB_APP });
    await expect(refused).rejects.toBeInstanceOf(DaemonRequestError);
    await expect(refused).rejects.toThrow(/answered 401/);
  });
});
