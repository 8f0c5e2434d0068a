import type { Logger } from '@glci/config';
import type { DigestAlgorithm } from '../digest.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import type { ContentStore } from './blob-store.js';
import type { Descriptor } from './contracts.js';
import type { Hasher, HashingStrategy } from './hasher.js';
import type { StoreHooks } from './store-hooks.js';
import type { UploadLeases } from './upload-lease.js';

// What an upload session needs of its store, apart from UploadStore so that the store creates
// sessions and a session calls back into its store without the two modules importing each other.

/** What `_uploads/<id>/state.json` holds. */
export interface UploadState {
  readonly id: string;
  readonly repository: string;
  readonly startedAt: string;
  /** Last time bytes were received (expiry counts from here). */
  readonly updatedAt: string;
  /** Bytes in the session's data writer when the state was last saved (the writer's own size wins). */
  readonly size: number;
  readonly algorithm: DigestAlgorithm;
  /** Saved hash state (wasm hashing only), valid at `hashedSize` bytes. */
  readonly hashState?: string;
  readonly hashedSize?: number;
}

export interface UploadStoreOptions {
  readonly driver: StorageDriver;
  /** Where a committed upload is published by its digest. */
  readonly blobs: ContentStore;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly uuid: () => string;
  readonly hashing: HashingStrategy;
  readonly expiryMs: number;
  /** Time to live of a session's lease in storage (see upload-lease.ts). */
  readonly leaseTtlMs: number;
  /** A writing request that receives no bytes for this long is cut (its lease released). */
  readonly idleTimeoutMs: number;
  /** Links a committed blob into the repository; returns false when GC raced it away. */
  readonly link: (repository: string, descriptor: Descriptor) => Promise<boolean>;
  readonly hooks?: StoreHooks;
}

/** The part of `UploadStore` an `UploadSession` calls back into. */
export interface UploadSessionHost {
  readonly deps: UploadStoreOptions;
  readonly leases: UploadLeases;
  saveState(state: UploadState): Promise<void>;
  discard(repository: string, id: string): Promise<void>;
  keepLive(state: UploadState, hasher: Hasher | undefined, size: number): void;
  takeHasher(state: UploadState, size: number): Promise<{ hasher: Hasher; hashedSize: number } | undefined>;
}
