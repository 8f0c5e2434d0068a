export type { StorageDriverSuiteOptions } from './conformance.js';
export { type CreateStorageDriverOptions, createStorageDriver } from './create-driver.js';
export { FsDriver, type FsDriverOptions } from './fs-driver.js';
export { MemoryDriver, type MemoryDriverOptions } from './memory-driver.js';
export * from './storage-driver.js';
