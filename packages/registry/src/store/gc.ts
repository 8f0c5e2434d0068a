import type { Logger } from '@glci/config';
import { type Digest, parseDigest } from '../digest.js';
import { PathNotFoundError, type StorageDriver } from '../driver/storage-driver.js';
import { type LinkedDescriptor, listDigests, listOrEmpty, orUndefined, readLink } from './links.js';
import { parseManifest } from './manifest-validation.js';
import type { RegistryNamespace } from './namespace.js';
import {
  BLOBS_ROOT,
  baseName,
  blobDataPath,
  layerLinkPath,
  layersPath,
  referrerLinkPath,
  revisionLinkPath,
  revisionsPath,
  TRASH_ROOT,
  trashDataPath,
} from './paths.js';

export const DEFAULT_GC_GRACE_PERIOD_MS = 60 * 60 * 1000;
/** Blobs moved to the trash together before the one repository walk that checks them. */
const SWEEP_BATCH = 256;

/**
 * Content GC must keep although no tag reaches it: a manifest or blob `digest` linked into
 * `repository` (the link and the stored bytes are kept). A root naming a manifest in the
 * repository's manifest store keeps what that manifest references too, as a tag would.
 */
export interface GcRoot {
  readonly repository: string;
  readonly digest: string;
}

/**
 * Supplies extra roots, called once per run before anything is changed. Embedders that keep their
 * own record of content (the pull-through cache's index in @glci/proxy) pass one, so GC never
 * removes what that record relies on; a provider that rejects aborts the run.
 */
export type GcRootsProvider = () => Promise<Iterable<GcRoot>>;

export interface GarbageCollectOptions {
  /** Report what would be removed and change nothing. */
  readonly dryRun?: boolean;
  /** Also remove manifests that no tag reaches (directly, through an index, or as a referrer). */
  readonly deleteUntagged?: boolean;
  /**
   * Content, links and manifests younger than this are never removed (default 1 h): the window a
   * push has between uploading a blob and pushing the manifest that references it.
   */
  readonly gracePeriodMs?: number;
  /** Roots beyond tags (and, without `deleteUntagged`, every manifest): see `GcRootsProvider`. */
  readonly extraRoots?: GcRootsProvider;
  readonly logger?: Logger;
}

export interface GarbageCollectReport {
  readonly dryRun: boolean;
  readonly repositories: number;
  readonly manifestsKept: number;
  /** Distinct roots the `extraRoots` provider supplied (0 without one). */
  readonly extraRoots: number;
  /** Untagged manifests removed (`deleteUntagged` only). */
  readonly manifestsDeleted: ReadonlyArray<{ repository: string; digest: string }>;
  /** Repository links to blobs that no kept manifest references, older than the grace period. */
  readonly layerLinksRemoved: number;
  readonly blobsKept: number;
  readonly blobsDeleted: number;
  readonly bytesDeleted: number;
  /** Unreferenced blobs spared because they were written or linked within the grace period. */
  readonly blobsInGracePeriod: number;
  readonly uploadsPurged: number;
  readonly uploadBytesPurged: number;
}

interface RepositoryPlan {
  readonly name: string;
  readonly keptManifests: Set<string>;
  readonly deleteManifests: LinkedDescriptor[];
  readonly referencedBlobs: Set<string>;
}

/**
 * Mark and sweep over the whole namespace, safe to run while pushes are in flight.
 *
 * Mark, per repository: the roots are every tagged manifest, every manifest when `deleteUntagged`
 * is off, every manifest pushed within the grace period, and what `extraRoots` names (whose
 * repository links are kept too, manifest or blob). From the roots it follows index
 * children, configs and layers. Referrers: a manifest whose `subject` is kept is kept too (a
 * signature lives as long as its image); a `subject` is never kept alive by its referrers.
 * Blob links that no kept manifest references and that are older than the grace period are removed.
 *
 * Sweep, globally: a blob is deleted only if it is not marked, its data is older than the grace
 * period, and no repository links it at the moment of deletion. That last check races with a
 * concurrent mount or commit, so deletion is two-phase: the blob is first moved to the trash, then
 * every repository is re-walked for links, then it is restored if any appeared, else deleted.
 * Writers link first and check the blob after (LinkedBlobStore.link), so either GC sees the new
 * link and restores, or the writer sees the blob gone and withdraws its link (re-uploading or
 * failing the request). A blob being uploaded is not in blobs/ at all; expired sessions are purged.
 */
export async function garbageCollect(
  namespace: RegistryNamespace,
  options: GarbageCollectOptions = {},
): Promise<GarbageCollectReport> {
  const { driver } = namespace;
  const dryRun = options.dryRun ?? false;
  const grace = options.gracePeriodMs ?? DEFAULT_GC_GRACE_PERIOD_MS;
  const logger = (options.logger ?? namespace.logger).child({ module: 'registry-gc' });
  const cutoff = namespace.clock().getTime() - grace;
  const isRecent = (date: Date | undefined) => date !== undefined && date.getTime() >= cutoff;

  // Extra roots first: a provider that fails stops the run before anything changed.
  const extra = new Map<string, Set<string>>();
  for (const root of (await options.extraRoots?.()) ?? []) {
    let digests = extra.get(root.repository);
    if (!digests) {
      digests = new Set();
      extra.set(root.repository, digests);
    }
    digests.add(root.digest);
  }
  const extraRoots = [...extra.values()].reduce((total, digests) => total + digests.size, 0);

  if (!dryRun) await recoverTrash(namespace, logger);

  // Expired upload sessions.
  let uploadsPurged = 0;
  let uploadBytesPurged = 0;
  for (const repository of await namespace.repositoryNames({ includeUploadsOnly: true })) {
    const purged = await namespace.uploads.purgeExpired(repository, { dryRun });
    uploadsPurged += purged.length;
    uploadBytesPurged += purged.reduce((total, session) => total + session.size, 0);
  }

  // Mark.
  const repositories = await namespace.repositoryNames();
  const marked = new Set<string>();
  const manifestsDeleted: Array<{ repository: string; digest: string }> = [];
  let manifestsKept = 0;
  let layerLinksRemoved = 0;
  // What extra roots name is kept wherever it is stored, even if its repository link is gone.
  for (const digests of extra.values()) for (const digest of digests) marked.add(digest);
  for (const name of repositories) {
    const pinned = extra.get(name) ?? new Set<string>();
    const plan = await planRepository(namespace, name, options.deleteUntagged ?? false, isRecent, pinned);
    manifestsKept += plan.keptManifests.size;
    for (const digest of plan.keptManifests) marked.add(digest);
    for (const digest of plan.referencedBlobs) marked.add(digest);
    for (const manifest of plan.deleteManifests) {
      manifestsDeleted.push({ repository: name, digest: manifest.digest.toString() });
      if (!dryRun) await removeManifest(driver, name, manifest);
    }
    for (const digest of await listDigests(driver, layersPath(name))) {
      const key = digest.toString();
      if (plan.referencedBlobs.has(key) || plan.keptManifests.has(key) || pinned.has(key)) continue;
      const link = await orUndefined(driver.stat(layerLinkPath(name, digest)));
      if (!link || isRecent(link.modifiedAt)) {
        marked.add(key);
        continue;
      }
      layerLinksRemoved += 1;
      if (!dryRun) await driver.delete(parentOf(layerLinkPath(name, digest)));
    }
  }

  // Sweep.
  let blobsKept = 0;
  let blobsDeleted = 0;
  let bytesDeleted = 0;
  let blobsInGracePeriod = 0;
  const candidates: Array<{ digest: Digest; size: number }> = [];
  for (const digest of await listGlobalBlobs(driver)) {
    if (marked.has(digest.toString())) {
      blobsKept += 1;
      continue;
    }
    const data = await orUndefined(driver.stat(blobDataPath(digest)));
    if (!data) continue;
    if (isRecent(data.modifiedAt)) {
      blobsInGracePeriod += 1;
      blobsKept += 1;
      continue;
    }
    candidates.push({ digest, size: data.size });
  }
  for (let start = 0; start < candidates.length; start += SWEEP_BATCH) {
    const batch = candidates.slice(start, start + SWEEP_BATCH);
    if (dryRun) {
      blobsDeleted += batch.length;
      bytesDeleted += batch.reduce((total, blob) => total + blob.size, 0);
      continue;
    }
    const trashed: Array<{ digest: Digest; size: number }> = [];
    for (const blob of batch) {
      // Re-checked at the last moment: a commit may have replaced it with a fresh copy.
      const data = await orUndefined(driver.stat(blobDataPath(blob.digest)));
      if (!data || isRecent(data.modifiedAt)) {
        blobsInGracePeriod += data ? 1 : 0;
        blobsKept += data ? 1 : 0;
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
    const linked = await linkedDigests(
      namespace,
      trashed.map((blob) => blob.digest),
    );
    for (const blob of trashed) {
      if (linked.has(blob.digest.toString())) {
        await orUndefined(driver.move(trashDataPath(blob.digest), blobDataPath(blob.digest)));
        blobsKept += 1;
        blobsInGracePeriod += 1;
        logger.info('blob linked during GC, restored', { digest: String(blob.digest) });
        continue;
      }
      await driver.delete(parentOf(trashDataPath(blob.digest)));
      await driver.delete(parentOf(blobDataPath(blob.digest)));
      blobsDeleted += 1;
      bytesDeleted += blob.size;
    }
  }

  if (!dryRun) {
    const purger = driver as StorageDriver & {
      purgeStaleTemporaryFiles?: (olderThan: Date) => Promise<number>;
    };
    await purger.purgeStaleTemporaryFiles?.(new Date(cutoff));
  }

  const report: GarbageCollectReport = {
    dryRun,
    repositories: repositories.length,
    manifestsKept,
    extraRoots,
    manifestsDeleted,
    layerLinksRemoved,
    blobsKept,
    blobsDeleted,
    bytesDeleted,
    blobsInGracePeriod,
    uploadsPurged,
    uploadBytesPurged,
  };
  logger.info(dryRun ? 'garbage collection dry run' : 'garbage collection done', {
    ...report,
    manifestsDeleted: manifestsDeleted.length,
  });
  return report;
}

async function planRepository(
  namespace: RegistryNamespace,
  name: string,
  deleteUntagged: boolean,
  isRecent: (date: Date | undefined) => boolean,
  pinned: ReadonlySet<string>,
): Promise<RepositoryPlan> {
  const { driver } = namespace;
  const repository = await namespace.repository(name);
  const revisions = new Map<string, LinkedDescriptor>();
  const roots: string[] = [];
  for (const digest of await listDigests(driver, revisionsPath(name))) {
    const link = await readLink(driver, revisionLinkPath(name, digest));
    if (!link) continue;
    revisions.set(digest.toString(), link);
    if (!deleteUntagged) {
      roots.push(digest.toString());
    } else {
      const info = await orUndefined(driver.stat(revisionLinkPath(name, digest)));
      if (isRecent(info?.modifiedAt)) roots.push(digest.toString());
    }
  }
  for (const [, digest] of await repository.tags.entries()) roots.push(digest.toString());
  for (const digest of pinned) if (revisions.has(digest)) roots.push(digest);

  const kept = new Set<string>();
  const referencedBlobs = new Set<string>();
  const visit = async (key: string): Promise<void> => {
    if (kept.has(key)) return;
    const link = revisions.get(key);
    if (!link) return;
    kept.add(key);
    const content = await orUndefined(driver.getContent(blobDataPath(link.digest)));
    if (!content) return;
    let references: { blobs: readonly { digest: Digest }[]; manifests: readonly { digest: Digest }[] };
    try {
      references = parseManifest(content, link.mediaType);
    } catch {
      return; // stored before a validation change: keep it, follow nothing
    }
    for (const blob of references.blobs) referencedBlobs.add(blob.digest.toString());
    for (const child of references.manifests) await visit(child.digest.toString());
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
  const deleteManifests = [...revisions].filter(([key]) => !kept.has(key)).map(([, link]) => link);
  return { name, keptManifests: kept, deleteManifests, referencedBlobs };
}

async function removeManifest(
  driver: StorageDriver,
  repository: string,
  manifest: LinkedDescriptor,
): Promise<void> {
  if (manifest.subject)
    await driver.delete(parentOf(referrerLinkPath(repository, manifest.subject, manifest.digest)));
  await driver.delete(parentOf(revisionLinkPath(repository, manifest.digest)));
}

/** Which of `digests` some repository links (as a blob or a manifest), by a fresh walk. */
async function linkedDigests(namespace: RegistryNamespace, digests: Digest[]): Promise<Set<string>> {
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
async function recoverTrash(namespace: RegistryNamespace, logger: Logger): Promise<void> {
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

/** Every digest under blobs/<algorithm>/<prefix>/<hex>. */
export async function listGlobalBlobs(driver: StorageDriver): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const algorithmPath of await listOrEmpty(driver, BLOBS_ROOT)) {
    for (const prefixPath of await listOrEmpty(driver, algorithmPath)) {
      for (const hexPath of await listOrEmpty(driver, prefixPath)) {
        try {
          digests.push(parseDigest(`${baseName(algorithmPath)}:${baseName(hexPath)}`));
        } catch {
          // not a blob directory
        }
      }
    }
  }
  return digests;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
