import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { run, waitFor } from '@glci/testkit';

const buildScript = path.resolve(import.meta.dirname, '../../../../apps/mock/scripts/build-image.sh');

/**
 * The glci-mock image built from this checkout (apps/mock/scripts/build-image.sh: nothing is
 * pulled), under a tag of its own, and a container of it with no published port: tests reach it
 * only through `docker exec`, once its health check passes. `remove()` deletes both.
 */
export async function startMockWithoutPort(): Promise<{
  readonly container: string;
  readonly secret: string;
  readonly image: string;
  remove(): Promise<void>;
}> {
  const suffix = randomBytes(4).toString('hex');
  const image = `glci-mock:exec-tunnel-test-${suffix}`;
  const container = `glci-t${suffix}-mock`;
  const secret = `exec-tunnel-secret-${suffix}`;
  await run('bash', [buildScript, image], { timeoutMs: 600_000 });
  const remove = async () => {
    await run('docker', ['rm', '-f', container]).catch(() => undefined);
    await run('docker', ['rmi', '-f', image]).catch(() => undefined);
  };
  try {
    await run('docker', [
      'run',
      '-d',
      '--name',
      container,
      '--label',
      'dev.glci.managed=true',
      '--label',
      `dev.glci.instance=test-${suffix}`,
      '-e',
      `GLCI_MOCK_SECRET=${secret}`,
      '-e',
      'GLCI_MOCK_UPSTREAMS=',
      image,
    ]);
    // Serving, not only started: a tunnel opened before the server listens gets ECONNREFUSED.
    await waitFor(
      'the mock container to be healthy',
      async () =>
        (await run('docker', ['inspect', '--format', '{{.State.Health.Status}}', container])).trim() ===
        'healthy',
      90_000,
      250,
    );
  } catch (error) {
    await remove();
    throw error;
  }
  return { container, secret, image, remove };
}
