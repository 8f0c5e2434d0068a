import { createSilentLogger } from '@glci/config';
import { describe, expect, it } from 'vitest';
import { dockerCall } from './docker-call.js';
import { DockerOperationError, isConflict, isNotFound } from './errors.js';

describe('dockerCall', () => {
  it('says what glci was doing, with the daemon message, and keeps the status', async () => {
    const daemonError = Object.assign(new Error('(HTTP code 409) unexpected'), {
      statusCode: 409,
      json: { message: 'network with name glci-net-42 already exists' },
    });
    const failure = dockerCall(createSilentLogger(), 'creating network glci-net-42', {}, () =>
      Promise.reject(daemonError),
    );
    await expect(failure).rejects.toBeInstanceOf(DockerOperationError);
    await expect(failure).rejects.toThrow(
      'creating network glci-net-42: network with name glci-net-42 already exists',
    );
    const error = await failure.catch((e: unknown) => e);
    expect(isConflict(error)).toBe(true);
    expect(isNotFound(error)).toBe(false);
    expect((error as Error).cause).toBe(daemonError);
  });

  it('names the socket error code when there is no daemon message', async () => {
    const error = Object.assign(new Error('connect failed'), { code: 'ECONNRESET' });
    await expect(
      dockerCall(createSilentLogger(), 'starting container x', {}, () => Promise.reject(error)),
    ).rejects.toThrow('starting container x: connect failed (ECONNRESET)');
  });

  it('returns the result', async () => {
    await expect(dockerCall(createSilentLogger(), 'x', {}, async () => 7)).resolves.toBe(7);
  });
});
