import type { Logger } from '@glci/config';
import { type Digest, parseDigest } from '../digest.js';
import { planRepository, type RepositoryPlan, reach } from './gc-mark.js';
import { recoverTrash, type SweepContext, sweepBlobs, sweepLinks, sweepManifests } from './gc-sweep.js';
import { listDigests, listOrEmpty, orUndefined } from './links.js';
import type { RegistryNamespace } from './namespace.js';
import { BLOBS_ROOT, baseName, blobDataPath, layerLinkPath, layersPath } from './paths.js';
import { reach as reachPoint } from './store-hooks.js';

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
   * push has between uploading a blob and pushing the manifest that references it. A HEAD of a
   * blob, a mount and a manifest PUT refresh the links they rely on.
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
  /** Upload sessions idle past the expiry, removed. */
  readonly uploadsPurged: number;
  readonly uploadBytesPurged: number;
  /** Remains of sessions that can never be resumed (and driver temporaries), removed at once. */
  readonly leftoverSessions: number;
  readonly leftoverTemporaryFiles: number;
}

/**
 * Mark and sweep over the whole namespace, safe while pushes, mounts and deletes are in flight,
 * from any number of processes and nodes sharing the storage (see `packages/registry/README.md`,
 * "Garbage collection").
 *
 * Mark, per repository (gc-mark.ts): the roots are every tagged manifest, every manifest when
 * `deleteUntagged` is off, every manifest pushed within the grace period, and what `extraRoots`
 * names; from them GC follows index children, configs and layers, and referrers of kept subjects.
 *
 * Sweep (gc-sweep.ts), in three steps, each finished before the next begins: untagged manifests
 * (with `deleteUntagged`), then blob links no kept manifest references and older than the grace
 * period, then global blobs nothing links. Every removal is made first and checked after: GC looks
 * again for references that appeared meanwhile and restores what gained one. Every writer does
 * the opposite: it publishes its reference, then checks that the target still exists. One of the
 * two always sees the other, so no accepted push is ever left referring to removed content.
 */
export async function garbageCollect(
  namespace: RegistryNamespace,
  options: GarbageCollectOptions = {},
): Promise<GarbageCollectReport> {
  const { driver } = namespace;
  const dryRun = options.dryRun ?? false;
  const deleteUntagged = options.deleteUntagged ?? false;
  const grace = options.gracePeriodMs ?? DEFAULT_GC_GRACE_PERIOD_MS;
  const logger = (options.logger ?? namespace.logger).child({ module: 'registry-gc' });
  const cutoff = namespace.clock().getTime() - grace;
  const isRecent = (date: Date | undefined) => date !== undefined && date.getTime() >= cutoff;
  const context: SweepContext = { namespace, driver, logger, isRecent, hooks: namespace.hooks };

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

  // Upload sessions: the remains of those that can never be resumed, then expired ones.
  const leftovers = await namespace.reclaimLeftovers({ dryRun });
  let uploadsPurged = 0;
  let uploadBytesPurged = 0;
  for (const repository of await namespace.repositoryNames({ includeUploadsOnly: true })) {
    const purged = await namespace.uploads.purgeExpired(repository, { dryRun });
    uploadsPurged += purged.length;
    uploadBytesPurged += purged.reduce((total, session) => total + session.size, 0);
  }

  // Mark.
  const repositories = await namespace.repositoryNames();
  const plans: RepositoryPlan[] = [];
  for (const name of repositories) {
    const tags = (await namespace.repository(name)).tags;
    plans.push(
      await planRepository(driver, name, tags, {
        deleteUntagged,
        isRecent,
        pinned: extra.get(name) ?? new Set(),
      }),
    );
  }
  if (namespace.hooks) await reachPoint(namespace.hooks, 'gc:marked', {});

  // What extra roots name is kept wherever it is stored, even if its repository link is gone.
  const marked = new Set<string>();
  for (const digests of extra.values()) for (const digest of digests) marked.add(digest);
  const manifestsDeleted: Array<{ repository: string; digest: string }> = [];
  let manifestsKept = 0;
  let layerLinksRemoved = 0;
  for (const plan of plans) {
    const pinned = extra.get(plan.name) ?? new Set<string>();
    const keptManifests = new Set(plan.keptManifests);
    const referenced = new Set(plan.referencedBlobs);
    if (dryRun) {
      for (const manifest of plan.deleteManifests) {
        manifestsDeleted.push({ repository: plan.name, digest: manifest.digest.toString() });
      }
    } else if (plan.deleteManifests.length > 0) {
      const swept = await sweepManifests(context, plan, pinned);
      for (const manifest of swept.deleted) {
        manifestsDeleted.push({ repository: plan.name, digest: manifest.digest.toString() });
      }
      const revisions = new Map(swept.restored.map((revision) => [revision.digest.toString(), revision]));
      const restored = await reach(driver, revisions, revisions.keys());
      for (const key of restored.manifests) keptManifests.add(key);
      for (const key of restored.blobs) referenced.add(key);
    }
    manifestsKept += keptManifests.size;
    for (const key of keptManifests) marked.add(key);
    for (const key of referenced) marked.add(key);
    const protectedDigests = new Set([...referenced, ...keptManifests, ...pinned]);
    if (dryRun) {
      for (const digest of await listDigests(driver, layersPath(plan.name))) {
        const key = digest.toString();
        if (protectedDigests.has(key)) continue;
        const link = await orUndefined(driver.stat(layerLinkPath(plan.name, digest)));
        if (!link || isRecent(link.modifiedAt)) marked.add(key);
        else layerLinksRemoved += 1;
      }
      continue;
    }
    const links = await sweepLinks(context, { ...plan, keptManifests }, protectedDigests);
    layerLinksRemoved += links.removed.length;
    for (const digest of links.kept) marked.add(digest.toString());
  }

  // Sweep the global blobs.
  let blobsKept = 0;
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
  let blobsDeleted = candidates.length;
  let bytesDeleted = candidates.reduce((total, blob) => total + blob.size, 0);
  if (!dryRun) {
    const swept = await sweepBlobs(context, candidates, SWEEP_BATCH);
    blobsDeleted = swept.deleted;
    bytesDeleted = swept.bytes;
    blobsKept += swept.restored + swept.spared;
    blobsInGracePeriod += swept.restored + swept.spared;
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
    leftoverSessions: leftovers.sessions,
    leftoverTemporaryFiles: leftovers.temporaryFiles,
  };
  logger.info(dryRun ? 'garbage collection dry run' : 'garbage collection done', {
    ...report,
    manifestsDeleted: manifestsDeleted.length,
  });
  return report;
}

/** Every digest under blobs/<algorithm>/<prefix>/<hex>. */
export async function listGlobalBlobs(driver: RegistryNamespace['driver']): Promise<Digest[]> {
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
