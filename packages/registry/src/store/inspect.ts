import { listGlobalBlobs } from './gc.js';
import { listDigests, orUndefined } from './links.js';
import type { RegistryNamespace } from './namespace.js';
import { blobDataPath, revisionsPath } from './paths.js';

/** What `glci registry stats` prints. */
export interface RegistryStats {
  readonly repositories: number;
  readonly tags: number;
  /** Manifest revisions, counted per repository. */
  readonly manifests: number;
  /** Distinct blobs in the global store (layers, configs and manifests), each counted once. */
  readonly blobs: number;
  readonly bytes: number;
  readonly uploads: { readonly sessions: number; readonly bytes: number };
}

/** One repository as `glci registry list` prints it. */
export interface RepositoryListing {
  readonly name: string;
  readonly tags: ReadonlyArray<{ readonly tag: string; readonly digest: string }>;
  /** Manifests no tag points at directly (index children, referrers, pushes by digest). */
  readonly untaggedManifests: number;
}

/** Counts over the whole namespace; reads every listing once, so it is O(size of the registry). */
export async function registryStats(namespace: RegistryNamespace): Promise<RegistryStats> {
  const names = await namespace.repositoryNames({ includeUploadsOnly: true });
  let repositories = 0;
  let tags = 0;
  let manifests = 0;
  let sessions = 0;
  let uploadBytes = 0;
  for (const name of names) {
    if (await namespace.hasRepository(name)) repositories += 1;
    const repository = await namespace.repository(name);
    tags += (await repository.tags.list()).tags.length;
    manifests += (await listDigests(namespace.driver, revisionsPath(name))).length;
    for (const session of await namespace.uploads.list(name)) {
      sessions += 1;
      uploadBytes += session.size;
    }
  }
  let blobs = 0;
  let bytes = 0;
  for (const digest of await listGlobalBlobs(namespace.driver)) {
    const info = await orUndefined(namespace.driver.stat(blobDataPath(digest)));
    if (!info) continue;
    blobs += 1;
    bytes += info.size;
  }
  return { repositories, tags, manifests, blobs, bytes, uploads: { sessions, bytes: uploadBytes } };
}

/** Every repository with its tags and the digests they point at, in lexical order. */
export async function listRepositories(namespace: RegistryNamespace): Promise<RepositoryListing[]> {
  const listings: RepositoryListing[] = [];
  for (const name of await namespace.repositoryNames()) {
    const repository = await namespace.repository(name);
    const entries = await repository.tags.entries();
    const tagged = new Set(entries.map(([, digest]) => digest.toString()));
    const revisions = await listDigests(namespace.driver, revisionsPath(name));
    listings.push({
      name,
      tags: entries.map(([tag, digest]) => ({ tag, digest: digest.toString() })),
      untaggedManifests: revisions.filter((digest) => !tagged.has(digest.toString())).length,
    });
  }
  return listings;
}
