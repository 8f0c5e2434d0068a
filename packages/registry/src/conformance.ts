/**
 * `@glci/registry/conformance`: the storage-driver conformance suite, for third-party drivers.
 * Needs vitest (an optional peer dependency); the main entry point never imports it.
 */
export { describeStorageDriver, type StorageDriverSuiteOptions } from './driver/conformance.js';
