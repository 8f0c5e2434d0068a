import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../../..');

export const TEST_IMAGES = { busybox: 'glci-test/busybox:1', multilayer: 'glci-test/multilayer:1' } as const;

/**
 * The real Docker engine the tests use. Throws (never skips) when it is not reachable: in CI a
 * missing engine is a broken install step, and a skipped test would hide it.
 */
export async function requireDocker(): Promise<Docker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `these tests need a running Docker engine (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): ${String(error)}. Run scripts/services.sh.`,
    );
  }
  return docker;
}

/** Builds the locally made test images if they are missing (scripts/build-test-images.sh). */
export async function ensureTestImages(): Promise<typeof TEST_IMAGES> {
  await requireDocker();
  await execFileAsync('bash', [path.join(repoRoot, 'scripts/build-test-images.sh')], { timeout: 300_000 });
  return TEST_IMAGES;
}

/**
 * The tag under which the tests find the mock built from this checkout: one per checkout, so that
 * two worktrees testing on one dockerd do not rebuild (and replace under a running test) each
 * other's image. `glci run` itself uses `[mock] image`, by default `glci-mock:local`, which
 * scripts/install.sh builds; tests that run `glci run` set `[mock] image` to this tag.
 */
export const MOCK_IMAGE = `glci-mock:checkout-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 10)}`;

/**
 * Builds MOCK_IMAGE from the current sources (apps/mock/scripts/build-image.sh), keeping
 * the image when it was built from the same code. About 15 s when nothing changed (the workspace
 * build), a minute and a half otherwise.
 */
export async function ensureMockImage(): Promise<string> {
  await requireDocker();
  await execFileAsync('bash', [path.join(repoRoot, 'apps/mock/scripts/build-image.sh'), MOCK_IMAGE], {
    timeout: 600_000,
    env: { ...process.env, GLCI_MOCK_IF_CHANGED: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return MOCK_IMAGE;
}
