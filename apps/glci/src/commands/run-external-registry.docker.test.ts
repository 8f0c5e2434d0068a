import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  finalStates,
  HUB_AUTHORIZATION,
  HUB_LOGIN,
  jobLog,
  type RunMachine,
  startRunMachine,
} from '../test-support/glci-run.js';

/**
 * `glci run --registry URL --registry-user U --registry-password P`: the team's registry in place
 * of the embedded one. The machine's CNCF distribution (htpasswd auth, reached by containers on
 * the bridge gateway) stands for it. A job pushes an image there over the Registry API with curl,
 * logged in with `CI_REGISTRY_USER`/`CI_REGISTRY_PASSWORD`; the image must be in distribution,
 * nothing in the embedded registry, and the password in no output and no file glci wrote.
 */
let machine: RunMachine;

/** A one-blob image pushed with curl: the config blob (monolithic upload), then the manifest. */
const PUSH = `
set -e
repo="\${CI_REGISTRY_IMAGE#*/}/app"
auth="$CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD"
printf '%s' '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}' > config.json
digest="sha256:$(sha256sum config.json | cut -d' ' -f1)"
size=$(wc -c < config.json | tr -d ' ')
location=$(curl -fsS -u "$auth" -X POST -D - -o /dev/null "http://$CI_REGISTRY/v2/$repo/blobs/uploads/" | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')
case "$location" in *\\?*) sep='&' ;; *) sep='?' ;; esac
curl -fsS -u "$auth" -X PUT -H 'Content-Type: application/octet-stream' --data-binary @config.json "http://$CI_REGISTRY$location\${sep}digest=$digest"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[]}' "$digest" "$size" > manifest.json
curl -fsS -u "$auth" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @manifest.json "http://$CI_REGISTRY/v2/$repo/manifests/1"
echo "pushed $CI_REGISTRY_IMAGE/app:1 as $CI_REGISTRY_USER with password $CI_REGISTRY_PASSWORD"
`;

const CI = `
push:
  script:
    - |
${PUSH.trim()
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return [];
    return stat.isDirectory() ? filesUnder(file) : stat.isFile() ? [file] : [];
  });
}

beforeAll(async () => {
  machine = await startRunMachine();
}, 600_000);

afterAll(async () => {
  await machine?.stop();
}, 300_000);

describe('glci run with an external registry', { timeout: 600_000 }, () => {
  it("points CI_REGISTRY* at the team's registry, and a job's push lands there", async () => {
    const dir = await machine.projectFrom('extreg', { '.gitlab-ci.yml': CI });
    const host = new URL(machine.upstream.url).host;
    const result = await machine.glci(
      [
        'run',
        '--context',
        'branch=main',
        '--json',
        '--registry',
        machine.upstream.url,
        '--registry-user',
        HUB_LOGIN.username,
        '--registry-password',
        HUB_LOGIN.password,
      ],
      dir,
    );
    expect(result.code, `${result.stderr}\n${result.stdout.slice(-4000)}`).toBe(0);
    expect(finalStates(result.stdout)).toEqual({ push: 'success' });
    expect(jobLog(result.stdout, 'push')).toContain(
      `pushed ${host}/examples/extreg/app:1 as ${HUB_LOGIN.username} with password [MASKED]`,
    );
    // In the team's registry, behind its password.
    const manifest = `${machine.upstream.url}/v2/examples/extreg/app/manifests/1`;
    const accept = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
    expect((await fetch(manifest, { headers: accept })).status).toBe(401);
    expect((await fetch(manifest, { headers: { ...accept, Authorization: HUB_AUTHORIZATION } })).status).toBe(
      200,
    );
    // Pushed by the job itself, straight to that registry (the embedded one's push-through is off).
    expect(machine.upstream.requests).toContain('PUT /v2/examples/extreg/app/manifests/1 201');
    // Not in the embedded registry: its catalog lists what it stores (a pull-through read of the
    // same upstream would show the tag, since that distribution is also its upstream).
    const catalog = (await (await fetch(`http://127.0.0.1:${machine.port}/v2/_catalog`)).json()) as {
      repositories: string[];
    };
    expect(catalog.repositories).not.toContain('examples/extreg/app');
    // The password is in no output and in no file of glci's home (history, execution state, logs).
    expect(result.stdout).not.toContain(HUB_LOGIN.password);
    expect(result.stderr).not.toContain(HUB_LOGIN.password);
    const config = path.join(machine.sandbox.glciHome, 'config.toml');
    for (const file of filesUnder(machine.sandbox.glciHome).filter((file) => file !== config)) {
      expect(readFileSync(file, 'latin1').includes(HUB_LOGIN.password), file).toBe(false);
    }
  });
});
