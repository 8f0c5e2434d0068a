import type { Logger } from '@glci/config';
import type { Digest } from '../digest.js';
import { PathNotFoundError, type StorageDriver } from '../driver/storage-driver.js';
import { MediaType } from '../media-types.js';
import { currentRevisions, manifestReferences, type RepositoryPlan, reach } from './gc-mark.js';
import { type LinkedDescriptor, listDigests, orUndefined, readLink, writeLink } from './links.js';
import type { RegistryNamespace } from './namespace.js';
import {
  blobDataPath,
  layerLinkPath,
  layersPath,
  referrerLinkPath,
  revisionLinkPath,
  TRASH_ROOT,
  trashDataPath,
} from './paths.js';
import { reach as reachPoint, type StoreHooks } from './store-hooks.js';

/**
 * GC's removals. Every one follows the same two-step rule, the mirror image of what writers do:
 * remove first, then look again for references that appeared meanwhile, and put back whatever
 * gained one. A writer publishes its reference first and then checks that what it refers to still
 * exists, repairing or failing if not (manifest-store.ts, LinkedBlobStore.link). For each removal
 * and each concurrent reference, either GC's second look sees the reference and restores, or the
 * writer's check sees the removal: never a reference to nothing.
 */
export interface SweepContext {
  readonly namespace: RegistryNamespace;
  readonly driver: StorageDriver;
  readonly logger: Logger;
  readonly isRecent: (date: Date | undefined) => boolean;
  readonly hooks: StoreHooks | undefined;
}

/** Untagged manifests (`deleteUntagged`): removed, then restored when a reference appeared. */
export async function sweepManifests(
  context: SweepContext,
  plan: RepositoryPlan,
  pinned: ReadonlySet<string>,
): Promise<{ deleted: LinkedDescriptor[]; restored: LinkedDescriptor[] }> {
  const { driver, hooks } = context;
  const { name } = plan;
  const hidden: Array<{ revision: LinkedDescriptor; referrer: Uint8Array | undefined }> = [];
  for (const revision of plan.deleteManifests) {
    const referrerPath = revision.subject
      ? referrerLinkPath(name, revision.subject, revision.digest)
      : undefined;
    const referrer = referrerPath ? await orUndefined(driver.getContent(referrerPath)) : undefined;
    if (referrerPath) await driver.delete(parentOf(referrerPath));
    await driver.delete(parentOf(revisionLinkPath(name, revision.digest)));
    hidden.push({ revision, referrer });
  }
  if (hidden.length === 0) return { deleted: [], restored: [] };
  if (hooks) await reachPoint(hooks, 'gc:manifests-hidden', { repository: name });

  // Second look: tags and revisions now (a push may have tagged or re-published one meanwhile).
  const current = await currentRevisions(driver, name);
  const tags = (await context.namespace.repository(name)).tags;
  // Every manifest present now is a root: kept ones, new ones, and candidates a push re-published.
  const roots = new Set<string>([...plan.keptManifests, ...pinned, ...current.keys()]);
  for (const [, digest] of await tags.entries()) roots.add(digest.toString());
  const all = new Map(current);
  for (const { revision } of hidden)
    if (!all.has(revision.digest.toString())) all.set(revision.digest.toString(), revision);
  const { manifests: keep } = await reach(driver, all, roots);

  const deleted: LinkedDescriptor[] = [];
  const restored: LinkedDescriptor[] = [];
  for (const { revision, referrer } of hidden) {
    const key = revision.digest.toString();
    if (current.has(key)) continue; // published again by a push: it is that push's now
    if (!keep.has(key)) {
      deleted.push(revision);
      continue;
    }
    await writeLink(driver, revisionLinkPath(name, revision.digest), revision);
    if (revision.subject && referrer) {
      await driver.putContent(referrerLinkPath(name, revision.subject, revision.digest), referrer);
    }
    restored.push(revision);
    context.logger.info('manifest referenced during GC, restored', { repo: name, digest: key });
  }
  return { deleted, restored };
}

/**
 * Blob links of `name` that no kept manifest references, older than the grace period: removed,
 * then restored when a manifest published meanwhile references them. Returns the digests whose
 * links were removed for good and those that stay (restored, refreshed, or linked again).
 */
export async function sweepLinks(
  context: SweepContext,
  plan: RepositoryPlan,
  protectedDigests: ReadonlySet<string>,
): Promise<{ removed: Digest[]; kept: Digest[] }> {
  const { driver, hooks, isRecent } = context;
  const { name } = plan;
  const kept: Digest[] = [];
  const hidden: Array<{ digest: Digest; size: number }> = [];
  for (const digest of await listDigests(driver, layersPath(name))) {
    if (protectedDigests.has(digest.toString())) continue;
    const path = layerLinkPath(name, digest);
    // Looked at just before its removal: a HEAD or a mount refreshes a link it vouches for.
    const info = await orUndefined(driver.stat(path));
    const link = info && !isRecent(info.modifiedAt) ? await readLink(driver, path) : undefined;
    if (!link) {
      kept.push(digest);
      continue;
    }
    await driver.delete(parentOf(path));
    hidden.push({ digest, size: link.size });
  }
  if (hidden.length === 0) return { removed: [], kept };
  if (hooks) await reachPoint(hooks, 'gc:links-hidden', { repository: name });

  // Second look: manifests published since the plan (new, re-pushed or restored) and their blobs.
  const referenced = new Set<string>();
  for (const [key, revision] of await currentRevisions(driver, name)) {
    if (plan.keptManifests.has(key)) continue; // its blobs were never candidates
    for (const blob of (await manifestReferences(driver, revision)).blobs) referenced.add(blob.toString());
  }
  const removed: Digest[] = [];
  for (const { digest, size } of hidden) {
    const path = layerLinkPath(name, digest);
    if (await orUndefined(driver.stat(path))) {
      kept.push(digest); // linked again by a writer meanwhile
      continue;
    }
    if (!referenced.has(digest.toString())) {
      removed.push(digest);
      continue;
    }
    await writeLink(driver, path, { mediaType: MediaType.octetStream, digest, size });
    kept.push(digest);
    context.logger.info('blob link referenced during GC, restored', { repo: name, digest: String(digest) });
  }
  return { removed, kept };
}

/**
 * Global blobs nothing marked and older than the grace period, `batch` at a time: moved to the
 * trash, then every repository is walked for links to them; linked ones go back, the rest are
 * deleted. Returns the counts.
 */
export async function sweepBlobs(
  context: SweepContext,
  candidates: ReadonlyArray<{ digest: Digest; size: number }>,
  batchSize: number,
): Promise<{ deleted: number; bytes: number; restored: number; spared: number }> {
  const { driver, hooks, isRecent, logger } = context;
  const totals = { deleted: 0, bytes: 0, restored: 0, spared: 0 };
  for (let start = 0; start < candidates.length; start += batchSize) {
    const batch = candidates.slice(start, start + batchSize);
    const trashed: Array<{ digest: Digest; size: number }> = [];
    for (const blob of batch) {
      // Re-checked at the last moment: a commit may have replaced it with a fresh copy.
      const data = await orUndefined(driver.stat(blobDataPath(blob.digest)));
      if (!data) continue;
      if (isRecent(data.modifiedAt)) {
        totals.spared += 1;
        continue;
      }
      try {
        await driver.move(blobDataPath(blob.digest), trashDataPath(blob.digest));
      } catch (error) {
        if (error instanceof PathNotFoundError) continue; // removed meanwhile
        throw error;
      }
      trashed.push({ digest: blob.digest, size: data.size });
    }
    if (hooks && trashed.length > 0) await reachPoint(hooks, 'gc:blobs-trashed', {});
    const linked = await linkedDigests(
      context.namespace,
      trashed.map((blob) => blob.digest),
    );
    if (hooks && trashed.length > 0) await reachPoint(hooks, 'gc:blobs-checked', {});
    for (const blob of trashed) {
      if (linked.has(blob.digest.toString())) {
        await orUndefined(driver.move(trashDataPath(blob.digest), blobDataPath(blob.digest)));
        totals.restored += 1;
        logger.info('blob linked during GC, restored', { digest: String(blob.digest) });
        continue;
      }
      // Only the trashed copy: a commit may have published the same bytes at the blob's address
      // since (and linked them after the walk above), and that copy is not GC's to take.
      await driver.delete(parentOf(trashDataPath(blob.digest)));
      totals.deleted += 1;
      totals.bytes += blob.size;
    }
  }
  return totals;
}

/** Which of `digests` some repository links (as a blob or a manifest), by a fresh walk. */
export async function linkedDigests(namespace: RegistryNamespace, digests: Digest[]): Promise<Set<string>> {
  const linked = new Set<string>();
  if (digests.length === 0) return linked;
  const repositories = await namespace.repositoryNames();
  for (const digest of digests) {
    for (const name of repositories) {
      const layer = await orUndefined(namespace.driver.stat(layerLinkPath(name, digest)));
      const revision = layer ?? (await orUndefined(namespace.driver.stat(revisionLinkPath(name, digest))));
      if (revision) {
        linked.add(digest.toString());
        break;
      }
    }
  }
  return linked;
}

/** Blobs a crashed GC left in the trash: restored when linked, else deleted. */
export async function recoverTrash(namespace: RegistryNamespace, logger: Logger): Promise<void> {
  const trashed = await listDigests(namespace.driver, TRASH_ROOT);
  if (trashed.length === 0) return;
  const linked = await linkedDigests(namespace, trashed);
  for (const digest of trashed) {
    if (linked.has(digest.toString())) {
      await orUndefined(namespace.driver.move(trashDataPath(digest), blobDataPath(digest)));
      logger.warn('restored a blob an interrupted GC had trashed', { digest: String(digest) });
    } else {
      await namespace.driver.delete(parentOf(trashDataPath(digest)));
    }
  }
}

export function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
