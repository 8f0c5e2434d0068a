import type { Logger } from '@glci/config';
import type { StorageDriver } from '../driver/storage-driver.js';
import type { ContentStore } from './blob-store.js';
import type { ContentCache } from './content-cache.js';
import type { Repository } from './contracts.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { LinkedBlobStore } from './linked-blob-store.js';
import { RepositoryManifestStore } from './manifest-store.js';
import { RepositoryReferrersStore } from './referrers-store.js';
import type { StoreHooks } from './store-hooks.js';
import { RepositoryTagStore } from './tag-store.js';
import type { UploadStore } from './upload-store.js';

export interface RegistryRepositoryOptions {
  readonly name: string;
  readonly driver: StorageDriver;
  readonly blobs: ContentStore;
  readonly uploads: UploadStore;
  readonly logger: Logger;
  readonly manifestSizeLimit: number;
  readonly deleteEnabled: boolean;
  readonly manifestCache?: ContentCache;
  readonly clock: () => Date;
  /** Serialises PUT and DELETE of one manifest (one instance per namespace). */
  readonly manifestLocks: KeyedMutex;
  readonly allowSparseIndex?: boolean;
  readonly hooks?: StoreHooks;
}

/** One repository's stores, all over the same driver; cheap to create per request. */
export class RegistryRepository implements Repository {
  readonly name: string;
  readonly blobs: LinkedBlobStore;
  readonly manifests: RepositoryManifestStore;
  readonly tags: RepositoryTagStore;
  readonly referrers: RepositoryReferrersStore;

  constructor(options: RegistryRepositoryOptions) {
    const { name, driver, logger, deleteEnabled } = options;
    this.name = name;
    const repositoryLogger = logger.child({ repo: name });
    this.blobs = new LinkedBlobStore({
      repository: name,
      driver,
      blobs: options.blobs,
      uploads: options.uploads,
      logger: repositoryLogger,
      deleteEnabled,
      clock: options.clock,
      ...(options.hooks ? { hooks: options.hooks } : {}),
    });
    this.tags = new RepositoryTagStore({
      repository: name,
      driver,
      logger: repositoryLogger,
      deleteEnabled,
      ...(options.hooks ? { hooks: options.hooks } : {}),
    });
    this.manifests = new RepositoryManifestStore({
      repository: name,
      driver,
      blobs: options.blobs,
      tags: this.tags,
      link: (descriptor) => this.blobs.link(descriptor),
      logger: repositoryLogger,
      sizeLimit: options.manifestSizeLimit,
      deleteEnabled,
      locks: options.manifestLocks,
      allowSparseIndex: options.allowSparseIndex ?? false,
      ...(options.manifestCache ? { cache: options.manifestCache } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
    });
    this.referrers = new RepositoryReferrersStore(name, driver);
  }
}
