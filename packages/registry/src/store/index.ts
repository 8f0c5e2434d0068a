export { type ContentStore, GlobalBlobStore } from './blob-store.js';
export type * from './contracts.js';
export { deleteRepositoryContent } from './delete-repository.js';
export {
  DEFAULT_GC_GRACE_PERIOD_MS,
  type GarbageCollectOptions,
  type GarbageCollectReport,
  type GcRoot,
  type GcRootsProvider,
  garbageCollect,
} from './gc.js';
export { type HashingStrategy, nodeHashing, wasmHashing } from './hasher.js';
export { listRepositories, type RegistryStats, type RepositoryListing, registryStats } from './inspect.js';
export { LinkedBlobStore } from './linked-blob-store.js';
export { RepositoryManifestStore } from './manifest-store.js';
export { type ParsedManifest, parseManifest } from './manifest-validation.js';
export {
  type CreateNamespaceOptions,
  createNamespace,
  DEFAULT_MANIFEST_CACHE_BYTES,
  DEFAULT_MANIFEST_SIZE_LIMIT,
  DEFAULT_UPLOAD_EXPIRY_MS,
  DEFAULT_UPLOAD_IDLE_TIMEOUT_MS,
  RegistryNamespace,
} from './namespace.js';
export { RepositoryReferrersStore } from './referrers-store.js';
export { RegistryRepository } from './repository.js';
export type { StoreHookDetail, StoreHooks, StorePoint } from './store-hooks.js';
export { RepositoryTagStore } from './tag-store.js';
export { DEFAULT_UPLOAD_LEASE_TTL_MS, UploadLease, UploadLeases } from './upload-lease.js';
export { UploadSession } from './upload-session.js';
export { type UploadSessionInfo, UploadStore } from './upload-store.js';
