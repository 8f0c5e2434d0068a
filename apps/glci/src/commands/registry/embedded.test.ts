import { describe, expect, it } from 'vitest';
import { parseEmbeddedImage } from './embedded.js';
import { UsageError } from './usage-error.js';

const NAMES = ['127.0.0.1:39741', 'host.docker.internal:39741', 'glci-mock:39741'];

describe('parseEmbeddedImage', () => {
  it('takes a path with a tag, a digest or neither (latest)', () => {
    expect(parseEmbeddedImage('group/app:1.4', NAMES)).toEqual({
      repository: 'group/app',
      reference: ':1.4',
    });
    expect(parseEmbeddedImage('group/app', NAMES)).toEqual({ repository: 'group/app', reference: ':latest' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseEmbeddedImage(`group/app@${digest}`, NAMES)).toEqual({
      repository: 'group/app',
      reference: `@${digest}`,
    });
  });

  it('drops the embedded registry host in front ($CI_REGISTRY_IMAGE as a job wrote it)', () => {
    expect(parseEmbeddedImage('host.docker.internal:39741/group/app:v2', NAMES)).toEqual({
      repository: 'group/app',
      reference: ':v2',
    });
    expect(parseEmbeddedImage('127.0.0.1:39741/app', NAMES).repository).toBe('app');
  });

  it('refuses other registries and malformed names with a usage error', () => {
    for (const bad of [
      'registry.gitlab.com/group/app',
      'localhost:5000/app',
      'Group/App',
      'group/app:bad tag',
      'group/app@sha256:short',
      '../etc/passwd',
    ]) {
      expect(() => parseEmbeddedImage(bad, NAMES), bad).toThrow(UsageError);
    }
  });
});
