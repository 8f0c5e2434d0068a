import { randomUUID } from 'node:crypto';
import type { Logger } from '@glci/config';
import type { Digest } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import { NameInvalidError } from '../errors.js';
import { isValidRepositoryName } from '../reference.js';
import { type ContentStore, GlobalBlobStore } from './blob-store.js';
import { ContentCache } from './content-cache.js';
import type { Namespace } from './contracts.js';
import { type HashingStrategy, nodeHashing } from './hasher.js';
import { KeyedMutex } from './keyed-mutex.js';
import { listOrEmpty } from './links.js';
import { baseName, REPOSITORIES_ROOT, repositoryPath } from './paths.js';
import { RegistryRepository } from './repository.js';
import type { StoreHooks } from './store-hooks.js';
import { DEFAULT_UPLOAD_LEASE_TTL_MS } from './upload-lease.js';
import { UploadStore } from './upload-store.js';

export const DEFAULT_UPLOAD_EXPIRY_MS = 24 * 60 * 60 * 1000;
/** A writing request that receives no bytes for this long is cut, so it cannot hold its session. */
export const DEFAULT_UPLOAD_IDLE_TIMEOUT_MS = 2 * 60 * 1000;
/** Abandoned session files younger than this are left alone (a session being created right now). */
export const LEFTOVER_SESSION_MIN_AGE_MS = 60 * 1000;
/** Driver temporaries younger than this are left alone (another process may still be using them). */
export const LEFTOVER_TEMPORARY_MIN_AGE_MS = 10 * 60 * 1000;
export const DEFAULT_MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;
export const DEFAULT_MANIFEST_CACHE_BYTES = 16 * 1024 * 1024;

export interface CreateNamespaceOptions {
  readonly driver: StorageDriver;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** Upload session ids; defaults to `crypto.randomUUID`. */
  readonly uuid?: () => string;
  /** Sessions idle this long are refused and purged (default 24 h). */
  readonly uploadExpiryMs?: number;
  /** Time to live of an upload session's lease in storage (default 60 s; see upload-lease.ts). */
  readonly uploadLeaseTtlMs?: number;
  /** A writing request that receives no bytes for this long is cut (default 2 min). */
  readonly uploadIdleTimeoutMs?: number;
  /** Test hooks at the stores' race points (see store-hooks.ts). */
  readonly hooks?: StoreHooks;
  /**
   * Accept an image index whose child manifests are not in the repository (default false): a
   * pull-through mirror that caches one platform of a multi-platform image needs it, and the OCI
   * conformance suite's sparse-index tests expect it when enabled.
   */
  readonly allowSparseIndex?: boolean;
  /** Larger manifests are refused with ManifestTooLargeError (default 4 MiB). */
  readonly manifestSizeLimit?: number;
  /** When false, deleting tags, manifests and blob links throws UnsupportedError (default true). */
  readonly deleteEnabled?: boolean;
  /** How uploads are hashed (see hasher.ts); default node:crypto with re-hash after a restart. */
  readonly hashing?: HashingStrategy;
  /** Lifetime of redirect URLs the driver signs (default 20 min). */
  readonly redirectExpirySeconds?: number;
  /** Bytes of manifests kept in memory by digest (default 16 MiB; 0 turns the cache off). */
  readonly manifestCacheBytes?: number;
  /**
   * Wraps the global content store, which every blob and manifest read and publish goes through:
   * e.g. `(store) => new NodeCachedContentStore(store, cache)` for the node-local blob cache.
   */
  readonly decorateContent?: (store: ContentStore) => ContentStore;
}

/** The registry's repositories over one storage driver. */
export class RegistryNamespace implements Namespace {
  readonly driver: StorageDriver;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly blobs: ContentStore;
  readonly uploads: UploadStore;
  readonly manifestSizeLimit: number;
  readonly deleteEnabled: boolean;
  readonly uploadExpiryMs: number;
  readonly hooks: StoreHooks | undefined;
  readonly allowSparseIndex: boolean;
  readonly #manifestCache: ContentCache;
  readonly #manifestLocks = new KeyedMutex();

  constructor(options: CreateNamespaceOptions) {
    this.driver = options.driver;
    this.logger = options.logger.child({ module: 'registry-store' });
    this.clock = options.clock ?? (() => new Date());
    this.manifestSizeLimit = options.manifestSizeLimit ?? DEFAULT_MANIFEST_SIZE_LIMIT;
    this.deleteEnabled = options.deleteEnabled ?? true;
    this.uploadExpiryMs = options.uploadExpiryMs ?? DEFAULT_UPLOAD_EXPIRY_MS;
    this.hooks = options.hooks;
    this.allowSparseIndex = options.allowSparseIndex ?? false;
    this.#manifestCache = new ContentCache(options.manifestCacheBytes ?? DEFAULT_MANIFEST_CACHE_BYTES);
    const stored = new GlobalBlobStore(this.driver, options.redirectExpirySeconds ?? 20 * 60);
    this.blobs = options.decorateContent ? options.decorateContent(stored) : stored;
    this.uploads = new UploadStore({
      driver: this.driver,
      blobs: this.blobs,
      logger: this.logger,
      clock: this.clock,
      uuid: options.uuid ?? randomUUID,
      hashing: options.hashing ?? nodeHashing,
      expiryMs: this.uploadExpiryMs,
      leaseTtlMs: options.uploadLeaseTtlMs ?? DEFAULT_UPLOAD_LEASE_TTL_MS,
      idleTimeoutMs: options.uploadIdleTimeoutMs ?? DEFAULT_UPLOAD_IDLE_TIMEOUT_MS,
      link: (repository, descriptor) => this.#repository(repository).blobs.link(descriptor),
      ...(options.hooks ? { hooks: options.hooks } : {}),
    });
  }

  async repository(name: string): Promise<RegistryRepository> {
    if (!isValidRepositoryName(name)) throw new NameInvalidError(name);
    return this.#repository(name);
  }

  async hasRepository(name: string): Promise<boolean> {
    if (!isValidRepositoryName(name)) return false;
    const children = await listOrEmpty(this.driver, repositoryPath(name));
    return children.some((child) => isContentMarker(baseName(child)));
  }

  async catalog(
    options: { last?: string; n?: number } = {},
  ): Promise<{ repositories: string[]; more: boolean }> {
    const { last, n } = options;
    if (n !== undefined && n <= 0) return { repositories: [], more: false };
    const all = (await this.repositoryNames()).filter((name) => last === undefined || name > last);
    return n !== undefined && all.length > n
      ? { repositories: all.slice(0, n), more: true }
      : { repositories: all, more: false };
  }

  async blobExists(digest: Digest): Promise<boolean> {
    return this.blobs.exists(digest);
  }

  /**
   * Removes what failed writes and killed uploads left behind, without waiting for any expiry:
   * upload sessions that can never be resumed (and their data), and the driver's own temporary
   * files. Run when a registry starts on a storage and by GC. Safe while the registry serves:
   * sessions someone holds and anything younger than a minute (files: ten minutes) are kept.
   */
  async reclaimLeftovers(
    options: { dryRun?: boolean } = {},
  ): Promise<{ sessions: number; temporaryFiles: number }> {
    const dryRun = options.dryRun ?? false;
    const minAgeMs = LEFTOVER_SESSION_MIN_AGE_MS;
    let sessions = (await this.uploads.reclaimOrphanedData(REPOSITORIES_ROOT, { minAgeMs, dryRun })).length;
    for (const name of await this.repositoryNames({ includeUploadsOnly: true })) {
      sessions += (await this.uploads.reclaimAbandoned(name, { minAgeMs, dryRun })).length;
    }
    const olderThan = new Date(this.clock().getTime() - LEFTOVER_TEMPORARY_MIN_AGE_MS);
    const temporaryFiles = dryRun ? 0 : ((await this.driver.reclaimTemporaryFiles?.(olderThan)) ?? 0);
    if (sessions > 0 || temporaryFiles > 0) {
      this.logger.info(dryRun ? 'leftovers found' : 'leftovers reclaimed', { sessions, temporaryFiles });
    }
    return { sessions, temporaryFiles };
  }

  /**
   * Every repository with content, in lexical order. Names nest as directories, and `a-b` sorts
   * before `a/b` as a string but not as a tree, so the walk collects and then sorts.
   */
  async repositoryNames(options: { includeUploadsOnly?: boolean } = {}): Promise<string[]> {
    const names: string[] = [];
    const walk = async (directory: string, prefix: string): Promise<void> => {
      const children = await listOrEmpty(this.driver, directory);
      const markers = children.map(baseName).filter((child) => child.startsWith('_'));
      const isRepository = options.includeUploadsOnly
        ? markers.length > 0
        : markers.some((marker) => isContentMarker(marker));
      // Foreign directories (not a valid name) are skipped rather than failing GC or the catalog.
      if (prefix !== '' && isRepository && isValidRepositoryName(prefix)) names.push(prefix);
      for (const child of children) {
        const name = baseName(child);
        if (!name.startsWith('_')) await walk(child, prefix === '' ? name : `${prefix}/${name}`);
      }
    };
    await walk(REPOSITORIES_ROOT, '');
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  #repository(name: string): RegistryRepository {
    return new RegistryRepository({
      name,
      driver: this.driver,
      blobs: this.blobs,
      uploads: this.uploads,
      logger: this.logger,
      manifestSizeLimit: this.manifestSizeLimit,
      deleteEnabled: this.deleteEnabled,
      manifestCache: this.#manifestCache,
      manifestLocks: this.#manifestLocks,
      clock: this.clock,
      allowSparseIndex: this.allowSparseIndex,
      ...(this.hooks ? { hooks: this.hooks } : {}),
    });
  }
}

/** A namespace over `driver`: the entry point the HTTP layer receives. */
export function createNamespace(options: CreateNamespaceOptions): RegistryNamespace {
  return new RegistryNamespace(options);
}

function isContentMarker(name: string): boolean {
  return name === '_layers' || name === '_manifests';
}
