import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DOCKER_HUB_AUTH_KEY,
  dockerConfigAuth,
  normalizeImageReference,
  registryHost,
} from './registry-auth.js';

function dockerConfig(content: object): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-docker-config-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(content));
  return dir;
}

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io'],
    ['library/busybox:1', 'docker.io'],
    ['127.0.0.1:5000/app:1', '127.0.0.1:5000'],
    ['registry.gitlab.com/group/app', 'registry.gitlab.com'],
    ['localhost/app', 'localhost'],
  ])('%s is on %s', (image, host) => expect(registryHost(image)).toBe(host));

  it('adds :latest only when there is neither tag nor digest', () => {
    expect(normalizeImageReference('busybox')).toBe('busybox:latest');
    expect(normalizeImageReference('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
    expect(normalizeImageReference('app:1')).toBe('app:1');
    expect(normalizeImageReference(`app@sha256:${'a'.repeat(64)}`)).toBe(`app@sha256:${'a'.repeat(64)}`);
  });
});

describe('dockerConfigAuth', () => {
  const auth = Buffer.from('ci:s3cret').toString('base64');

  it('reads `auths` for the image registry from DOCKER_CONFIG', () => {
    const dir = dockerConfig({ auths: { '127.0.0.1:5000': { auth } } });
    expect(dockerConfigAuth('127.0.0.1:5000/app:1', { env: { DOCKER_CONFIG: dir } })).toEqual({
      serveraddress: '127.0.0.1:5000',
      username: 'ci',
      password: 's3cret',
    });
    expect(dockerConfigAuth('other.io/app:1', { env: { DOCKER_CONFIG: dir } })).toBeUndefined();
  });

  it('maps Docker Hub names to the index key, and prefers identity tokens', () => {
    const dir = dockerConfig({ auths: { [DOCKER_HUB_AUTH_KEY]: { auth, identitytoken: 'tok' } } });
    expect(dockerConfigAuth('busybox', { env: { DOCKER_CONFIG: dir } })).toEqual({
      serveraddress: DOCKER_HUB_AUTH_KEY,
      identitytoken: 'tok',
    });
  });

  it('falls back to ~/.docker and tolerates a missing file', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'glci-home-'));
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    expect(dockerConfigAuth('busybox', { env: {}, home })).toBeUndefined();
  });
});
