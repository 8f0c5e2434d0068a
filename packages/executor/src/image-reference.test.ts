import { describe, expect, it } from 'vitest';
import { parseImageReference, upstreamRegistry } from './image-reference.js';

describe('parseImageReference', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', suffix: ':latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', suffix: ':3.20' }],
    ['bitnami/redis:7', { registry: 'docker.io', repository: 'bitnami/redis', suffix: ':7' }],
    ['docker.io/library/node:22', { registry: 'docker.io', repository: 'library/node', suffix: ':22' }],
    ['index.docker.io/node', { registry: 'docker.io', repository: 'library/node', suffix: ':latest' }],
    [
      'registry.gitlab.com/group/app/img:1.2',
      { registry: 'registry.gitlab.com', repository: 'group/app/img', suffix: ':1.2' },
    ],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app', suffix: ':latest' }],
    ['localhost/app:2', { registry: 'localhost', repository: 'app', suffix: ':2' }],
    [
      `ghcr.io/o/i@sha256:${'a'.repeat(64)}`,
      { registry: 'ghcr.io', repository: 'o/i', suffix: `@sha256:${'a'.repeat(64)}` },
    ],
  ])('%s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });
});

describe('upstreamRegistry', () => {
  it('names Docker Hub docker.io whatever host the upstream uses', () => {
    expect(upstreamRegistry('https://registry-1.docker.io')).toBe('docker.io');
    expect(upstreamRegistry('https://registry.gitlab.com')).toBe('registry.gitlab.com');
    expect(upstreamRegistry('http://172.17.0.1:5000')).toBe('172.17.0.1:5000');
  });
});
