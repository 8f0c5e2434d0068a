import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CRANE_BINARY, type RunningDistribution, startDistribution } from '@glci/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeRepository,
  plain,
  type RealRunnerHarness,
  SECRET,
  startRealRunnerHarness,
} from '../test-support/real-runner.js';

/**
 * An external registry in place of the embedded one (`[registry] url`, `glci run --registry`):
 * CNCF distribution with htpasswd auth stands for the team's registry. The daemon hands its login
 * to the mock (`PUT /internal/external-registry`, memory only); a job of the official runner
 * (shell executor) logs in with `CI_REGISTRY_USER`/`CI_REGISTRY_PASSWORD` and pushes an image
 * to `CI_REGISTRY_IMAGE` with crane. The image must land in distribution, the embedded registry
 * must stay empty, and the password must appear neither in the log nor in the mock's saved state.
 */
const USER = 'glci-ci';
const PASSWORD = 'glci-test-secret';
/** bcrypt (cost 4) of PASSWORD, for distribution's htpasswd auth. */
const HTPASSWD_HASH = '$2b$04$3vL1bYykYXOhelbElorYlOfwqi2T7g0RGAjKqWR1xizrrV6dMGz3C';

let work: string;
let registry: RunningDistribution;
let harness: RealRunnerHarness;
let repo: Awaited<ReturnType<typeof makeRepository>>;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'glci-external-registry-'));
  writeFileSync(path.join(work, 'htpasswd'), `${USER}:${HTPASSWD_HASH}\n`);
  registry = await startDistribution({
    extraConfig: `auth:\n  htpasswd:\n    realm: glci-test\n    path: ${path.join(work, 'htpasswd')}\n`,
  });
  repo = await makeRepository(1);
  harness = await startRealRunnerHarness({ global: { concurrent: 1 }, mock: { persistState: true } });
  await harness.publish(repo.dir);
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await repo?.remove();
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function setExternalRegistry(body: unknown): Promise<Response> {
  return await fetch(`${harness.mock.url}/internal/external-registry`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Every file under `dir`, as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [readFileSync(file, 'latin1')];
  });
}

describe(
  'an external registry with htpasswd auth, used by a job of the official runner',
  { timeout: 90_000 },
  () => {
    it('gives the job CI_REGISTRY* of that registry, and its push lands there', async () => {
      expect(
        (await setExternalRegistry({ host: registry.host, username: USER, password: PASSWORD })).status,
      ).toBe(204);
      const { record, trace } = await harness.run(
        {
          name: 'push',
          external_registry: { host: registry.host },
          variables: { CRANE: CRANE_BINARY },
          script: [
            'echo "registry=$CI_REGISTRY image=$CI_REGISTRY_IMAGE user=$CI_REGISTRY_USER password=$CI_REGISTRY_PASSWORD"',
            'export DOCKER_CONFIG="$PWD/.docker-config"',
            'echo "$CI_REGISTRY_PASSWORD" | "$CRANE" auth login "$CI_REGISTRY" -u "$CI_REGISTRY_USER" --password-stdin',
            'printf pushed-by-a-job > payload.txt && tar -cf layer.tar payload.txt',
            '"$CRANE" append --insecure -f layer.tar -t "$CI_REGISTRY_IMAGE/app:1"',
          ],
        },
        60_000,
      );
      const log = plain(trace);
      expect(record.state, log).toBe('success');
      expect(log).toContain(
        `registry=${registry.host} image=${registry.host}/group/demo user=${USER} password=[MASKED]`,
      );
      expect(trace).not.toContain(PASSWORD);

      // In distribution, behind its password.
      const manifestUrl = `${registry.url}/v2/group/demo/app/manifests/1`;
      const accept = {
        Accept:
          'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      };
      expect((await fetch(manifestUrl, { headers: accept })).status).toBe(401);
      const authorized = await fetch(manifestUrl, {
        headers: {
          ...accept,
          Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
        },
      });
      expect(authorized.status).toBe(200);

      // Nothing in the embedded registry.
      const catalog = (await (await fetch(`${harness.mock.url}/v2/_catalog`)).json()) as {
        repositories: string[];
      };
      expect(catalog.repositories).toEqual([]);

      // The job spec the mock saved names the registry, never its password.
      const saved = filesUnder(path.join(harness.dataDir, 'state'));
      expect(saved.join('\n')).toContain(registry.host);
      for (const file of saved) expect(file).not.toContain(PASSWORD);
    });

    it('answers a bad external registry setting with a clear 400', async () => {
      const scheme = await setExternalRegistry({
        host: 'http://registry.corp',
        username: USER,
        password: PASSWORD,
      });
      expect(scheme.status).toBe(400);
      expect(((await scheme.json()) as { message: string }).message).toBe(
        '400 host: expected a registry host such as "registry.corp:5000"',
      );
      const half = await setExternalRegistry({ host: 'registry.corp', username: USER });
      expect(half.status).toBe(400);
      expect(((await half.json()) as { message: string }).message).toContain(
        'username and password go together',
      );
    });
  },
);
