import { describe, expect, it } from 'vitest';
import { crane, startCraneRegistry } from './crane.js';
import { pushTinyImage } from './tiny-image.js';

describe('crane', () => {
  it('serves a registry in memory that crane copies images into and out of', async () => {
    await using registry = await startCraneRegistry();
    const image = await pushTinyImage(registry.url, 'smoke/source', '1');
    await crane(['copy', `${registry.host}/smoke/source:1`, `${registry.host}/smoke/copy:2`]);
    expect((await crane(['digest', `${registry.host}/smoke/copy:2`])).trim()).toBe(image.manifestDigest);
    expect((await crane(['ls', `${registry.host}/smoke/copy`])).trim()).toBe('2');
  });
});
