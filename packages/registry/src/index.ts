export * from './digest.js';
export * from './driver/storage-driver.js';
export * from './errors.js';
export * from './reference.js';
export type * from './store/contracts.js';
