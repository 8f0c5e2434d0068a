import { ManifestUnknownError } from '../errors.js';
import { listDigests } from './links.js';
import type { RegistryNamespace } from './namespace.js';
import { revisionsPath } from './paths.js';

/**
 * Removes every tag and manifest revision of repository `name`, so that the next garbage
 * collection takes its layers and blobs (those no other repository references). This is
 * `glci registry clean --project` for one repository. A namespace with deletes switched off
 * refuses before anything changed (UnsupportedError). Returns the number of manifests removed.
 */
export async function deleteRepositoryContent(namespace: RegistryNamespace, name: string): Promise<number> {
  const repository = await namespace.repository(name);
  for (const tag of (await repository.tags.list()).tags) {
    await repository.tags.untag(tag).catch(ignoreUnknown);
  }
  let deleted = 0;
  for (const digest of await listDigests(namespace.driver, revisionsPath(name))) {
    try {
      await repository.manifests.delete(digest);
      deleted += 1;
    } catch (error) {
      ignoreUnknown(error);
    }
  }
  return deleted;
}

/** Gone meanwhile (a concurrent delete): the goal is reached all the same. */
function ignoreUnknown(error: unknown): void {
  if (!(error instanceof ManifestUnknownError)) throw error;
}
