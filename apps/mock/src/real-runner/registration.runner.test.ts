import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gitlabRunnerCommand } from '@glci/testkit';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type RunningMockServer } from '../create-mock-server.js';
import { SECRET } from '../test-support/real-runner.js';

/** `gitlab-runner register | verify | unregister` (the official runner's CLI) against the mock. */
let mock: RunningMockServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'glci-runner-registration-'));
  mock = await createMockServer({ secret: SECRET, dataDir: dir, longPollMs: 0 }).listen({ port: 0 });
});

afterAll(async () => {
  await mock?.close();
  await rm(dir, { recursive: true, force: true });
});

async function registeredTokens(config: string): Promise<string[]> {
  const parsed = parse(await readFile(config, 'utf8')) as { runners?: { token: string }[] };
  return (parsed.runners ?? []).map((runner) => runner.token);
}

/** What the mock answers the runner's own verification call for `token`. */
async function verifyStatus(token: string): Promise<number> {
  const response = await fetch(`${mock.url}/api/v4/runners/verify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  return response.status;
}

describe('the official runner registers with the mock', () => {
  it('with a legacy registration token, then verifies and unregisters', async () => {
    const config = path.join(dir, 'legacy.toml');
    const common = ['--non-interactive', '--config', config, '--url', mock.url, '--executor', 'shell'];
    await gitlabRunnerCommand([
      'register',
      ...common,
      '--registration-token',
      mock.runnerApi.registrationToken,
      '--description',
      'legacy runner',
      '--tag-list',
      'docker,linux',
    ]);
    const [token] = await registeredTokens(config);
    // A legacy registration gets a token without the glrt- prefix, as GitLab's legacy flow does.
    expect(token).toMatch(/^\d+_/);
    expect(await verifyStatus(token!)).toBe(200);

    const verified = await gitlabRunnerCommand(['verify', '--config', config]);
    expect(verified).toMatch(/is (alive|valid)/);

    await gitlabRunnerCommand(['unregister', '--config', config, '--all-runners']);
    expect(await registeredTokens(config)).toEqual([]);
    expect(await verifyStatus(token!)).toBe(403);
  });

  it('with a glrt- authentication token created in advance (GitLab 16+ flow)', async () => {
    const { token } = mock.runnerApi.registerRunner({ tags: ['docker'] });
    const config = path.join(dir, 'authentication.toml');
    await gitlabRunnerCommand([
      'register',
      '--non-interactive',
      '--config',
      config,
      '--url',
      mock.url,
      '--token',
      token,
      '--executor',
      'shell',
    ]);
    expect(await registeredTokens(config)).toEqual([token]);
    expect(await gitlabRunnerCommand(['verify', '--config', config])).toMatch(/is (alive|valid)/);
    // For a runner created in advance the runner removes only its manager (this host), as on
    // GitLab: the runner itself stays, so its token still verifies.
    await gitlabRunnerCommand(['unregister', '--config', config, '--all-runners']);
    expect(await registeredTokens(config)).toEqual([]);
    expect(await verifyStatus(token)).toBe(200);
  });

  it('refuses a wrong registration token, and the runner says so', async () => {
    const config = path.join(dir, 'refused.toml');
    await expect(
      gitlabRunnerCommand([
        'register',
        '--non-interactive',
        '--config',
        config,
        '--url',
        mock.url,
        '--registration-token',
        'not-the-token',
        '--executor',
        'shell',
      ]),
    ).rejects.toThrow(/403|forbidden|Failed to register/i);
  });
});
