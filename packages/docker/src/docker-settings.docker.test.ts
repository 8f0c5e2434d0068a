import { createSilentLogger } from '@glci/config';
import { ensureTestImages, TEST_IMAGES } from '@glci/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from './connection.js';
import { checkContainerSocket, DockerSettingError } from './docker-settings.js';
import { TRANSPORTS } from './test-support/docker-env.js';

beforeAll(async () => {
  await ensureTestImages();
}, 300_000);

describe.each(TRANSPORTS)('checkContainerSocket over $transport', ({ host }) => {
  it('accepts the socket that exists on the Docker host, and leaves no container behind', async () => {
    const { docker, close } = await connectDocker(
      { host, source: 'config' },
      { logger: createSilentLogger() },
    );
    try {
      const before = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: ['dev.glci.role=socket-check'] }),
      });
      await checkContainerSocket(docker, {
        socket: '/var/run/docker.sock',
        host,
        image: TEST_IMAGES.busybox,
        configured: false,
      });
      const after = await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: ['dev.glci.role=socket-check'] }),
      });
      expect(after.length).toBeLessThanOrEqual(before.length);
    } finally {
      close();
    }
  });

  it('refuses a container_socket that does not exist there, naming the setting', async () => {
    const { docker, close } = await connectDocker(
      { host, source: 'config' },
      { logger: createSilentLogger() },
    );
    try {
      const check = checkContainerSocket(docker, {
        socket: '/run/no-such-docker.sock',
        host,
        image: TEST_IMAGES.busybox,
        configured: true,
      });
      await expect(check).rejects.toBeInstanceOf(DockerSettingError);
      await expect(check).rejects.toMatchObject({
        setting: 'docker.container_socket',
        message: `[docker] container_socket = "/run/no-such-docker.sock": no such path on the Docker host ${host}. Runner containers mount the engine's socket from there (dockerd's default is /var/run/docker.sock, rootful Podman's /run/podman/podman.sock)`,
      });
    } finally {
      close();
    }
  });
});
