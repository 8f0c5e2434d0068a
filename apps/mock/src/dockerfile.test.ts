import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * apps/mock/Dockerfile (for machines that can pull node:20) and scripts/build-image.sh (for those
 * that cannot) must produce equivalent images: same environment, user, port, entrypoint, command
 * and health check. The script's image is built and run in image.docker.test.ts.
 */
const dir = path.resolve(import.meta.dirname, '..');
const dockerfile = readFileSync(path.join(dir, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
const script = readFileSync(path.join(dir, 'scripts/build-image.sh'), 'utf8');

/** The instructions of the Dockerfile's last stage. */
function finalStage(): Map<string, string> {
  const stage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const instructions = new Map<string, string>();
  for (const line of stage.split('\n')) {
    const match = /^(ENV|USER|EXPOSE|WORKDIR|HEALTHCHECK|ENTRYPOINT|CMD|LABEL) (.+)$/.exec(line.trim());
    if (match) instructions.set(match[1]!, match[2]!.replace(/\s+/g, ' ').trim());
  }
  return instructions;
}

/** The `--change` instructions of the script's `docker import`. */
function scriptChanges(): Map<string, string> {
  const changes = new Map<string, string>();
  for (const match of script.matchAll(/--change '([A-Z]+) ([^']+)'/g)) {
    changes.set(match[1]!, match[2]!.replace(/\s+/g, ' ').trim());
  }
  return changes;
}

const env = (text: string) =>
  Object.fromEntries(text.split(' ').map((pair) => pair.split('=') as [string, string]));

describe('the image definitions', () => {
  it('agree on environment, user, port, working directory, entrypoint, command and health check', () => {
    const fromDockerfile = finalStage();
    const fromScript = scriptChanges();
    for (const key of ['USER', 'EXPOSE', 'WORKDIR', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'LABEL']) {
      expect(fromScript.get(key), key).toBeDefined();
      expect(fromScript.get(key), key).toBe(fromDockerfile.get(key));
    }
    const { PATH: _path, ...scriptEnv } = env(fromScript.get('ENV')!);
    expect(scriptEnv).toEqual(env(fromDockerfile.get('ENV')!));
    expect(scriptEnv.GLCI_MOCK_HOST).toBe('0.0.0.0');
    expect(scriptEnv.GLCI_MOCK_PORT).toBe('39741');
  });

  it('create the mount points the orchestrator uses (registry, registry CA, cache)', () => {
    for (const mount of ['/registry', '/registry-ca', '/cache', '/data']) {
      expect(dockerfile).toContain(mount);
      expect(script).toContain(`"$rootfs${mount}"`);
    }
  });
});
