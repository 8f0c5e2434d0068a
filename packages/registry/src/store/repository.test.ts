import { describe, expect, it } from 'vitest';
import { LinkedBlobStore } from './linked-blob-store.js';
import { RepositoryManifestStore } from './manifest-store.js';
import { RepositoryReferrersStore } from './referrers-store.js';
import { RegistryRepository } from './repository.js';
import { RepositoryTagStore } from './tag-store.js';
import { pushImage, testNamespace } from './test-support/fixtures.js';

describe('RegistryRepository', () => {
  it('bundles the stores of one repository over one driver', async () => {
    const namespace = testNamespace();
    const repository = await namespace.repository('team/app');
    expect(repository).toBeInstanceOf(RegistryRepository);
    expect(repository.name).toBe('team/app');
    expect(repository.blobs).toBeInstanceOf(LinkedBlobStore);
    expect(repository.manifests).toBeInstanceOf(RepositoryManifestStore);
    expect(repository.tags).toBeInstanceOf(RepositoryTagStore);
    expect(repository.referrers).toBeInstanceOf(RepositoryReferrersStore);
    // Handles are cheap and stateless: a second one sees what the first wrote.
    const image = await pushImage(repository, 'x', { tag: 'v1' });
    const again = await namespace.repository('team/app');
    expect(String((await again.tags.resolve('v1')).digest)).toBe(String(image.digest));
  });
});
