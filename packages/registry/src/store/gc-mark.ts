import type { Digest } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import { type LinkedDescriptor, listDigests, orUndefined, readLink } from './links.js';
import { parseManifest } from './manifest-validation.js';
import { blobDataPath, revisionLinkPath, revisionsPath } from './paths.js';
import type { RepositoryTagStore } from './tag-store.js';

/** What marking decided for one repository. */
export interface RepositoryPlan {
  readonly name: string;
  /** Every revision present when it was planned. */
  readonly revisions: ReadonlyMap<string, LinkedDescriptor>;
  readonly keptManifests: Set<string>;
  readonly deleteManifests: LinkedDescriptor[];
  readonly referencedBlobs: Set<string>;
}

/** The references a stored manifest makes, or none when it cannot be read or parsed. */
export async function manifestReferences(
  driver: StorageDriver,
  revision: LinkedDescriptor,
): Promise<{ blobs: Digest[]; manifests: Digest[] }> {
  const content = await orUndefined(driver.getContent(blobDataPath(revision.digest)));
  if (!content) return { blobs: [], manifests: [] };
  try {
    const parsed = parseManifest(content, revision.mediaType);
    return {
      blobs: parsed.blobs.map((blob) => blob.digest),
      manifests: parsed.manifests.map((child) => child.digest),
    };
  } catch {
    return { blobs: [], manifests: [] }; // stored before a validation change: keep it, follow nothing
  }
}

/**
 * Which manifests `roots` keep among `revisions`, and the blobs those reference. Index children
 * and configs and layers are followed; a manifest whose `subject` is kept is kept too (a signature
 * lives as long as its image), while a subject is never kept alive by its referrers.
 */
export async function reach(
  driver: StorageDriver,
  revisions: ReadonlyMap<string, LinkedDescriptor>,
  roots: Iterable<string>,
): Promise<{ manifests: Set<string>; blobs: Set<string> }> {
  const kept = new Set<string>();
  const blobs = new Set<string>();
  const visit = async (key: string): Promise<void> => {
    if (kept.has(key)) return;
    const link = revisions.get(key);
    if (!link) return;
    kept.add(key);
    const references = await manifestReferences(driver, link);
    for (const blob of references.blobs) blobs.add(blob.toString());
    for (const child of references.manifests) await visit(child.toString());
  };
  for (const root of roots) await visit(root);
  // Referrers follow their subject, until nothing changes (a signature of a signature).
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, link] of revisions) {
      if (!kept.has(key) && link.subject && kept.has(link.subject.toString())) {
        await visit(key);
        changed = true;
      }
    }
  }
  return { manifests: kept, blobs };
}

/** Every revision of `name` now, by digest. */
export async function currentRevisions(
  driver: StorageDriver,
  name: string,
): Promise<Map<string, LinkedDescriptor>> {
  const revisions = new Map<string, LinkedDescriptor>();
  for (const digest of await listDigests(driver, revisionsPath(name))) {
    const link = await readLink(driver, revisionLinkPath(name, digest));
    if (link) revisions.set(digest.toString(), link);
  }
  return revisions;
}

/**
 * Marks one repository. Roots: every tagged manifest, every manifest when `deleteUntagged` is
 * off, every manifest whose revision was written within the grace period, and `pinned` (extra
 * roots naming a manifest here).
 */
export async function planRepository(
  driver: StorageDriver,
  name: string,
  tags: RepositoryTagStore,
  options: {
    deleteUntagged: boolean;
    isRecent: (date: Date | undefined) => boolean;
    pinned: ReadonlySet<string>;
  },
): Promise<RepositoryPlan> {
  const revisions = await currentRevisions(driver, name);
  const roots: string[] = [];
  for (const [key, link] of revisions) {
    if (!options.deleteUntagged) {
      roots.push(key);
    } else {
      const info = await orUndefined(driver.stat(revisionLinkPath(name, link.digest)));
      if (options.isRecent(info?.modifiedAt)) roots.push(key);
    }
  }
  for (const [, digest] of await tags.entries()) roots.push(digest.toString());
  for (const digest of options.pinned) if (revisions.has(digest)) roots.push(digest);
  const { manifests, blobs } = await reach(driver, revisions, roots);
  const deleteManifests = [...revisions].filter(([key]) => !manifests.has(key)).map(([, link]) => link);
  return { name, revisions, keptManifests: manifests, deleteManifests, referencedBlobs: blobs };
}
